package reliability

import (
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// lockLinkThenApprove starts p's link, locks the login collection once the code is shown
// (a screen locker kicking in while the user is in the browser) and approves the code.
func (w *world) lockThenApprove(t *testing.T, p *session.Proc) bool {
	t.Helper()
	code, ok := waitCode(t, p, 1, 15*time.Second)
	if !ok {
		t.Errorf("no code printed")
		return false
	}
	if err := w.sess.LockCollection(); err != nil {
		t.Fatal(err)
	}
	if err := w.approve(code); err != nil {
		t.Fatal(err)
	}
	return true
}

func lockedAtSaveInScript(t *testing.T, w *world) result {
	p := w.start("link", "--no-browser")
	w.lockThenApprove(t, p)
	res := p.Wait(t, 30*time.Second)
	if err := w.sess.UnlockCollection(w.sess.Password); err != nil {
		t.Fatal(err)
	}
	return res
}

// lockedAtSaveInTerminal runs link with a terminal on stdin: after the save fails the CLI
// waits for Enter, the keychain is unlocked, Enter is pressed, and the token it already
// holds is saved without a second trip through plex.tv.
func lockedAtSaveInTerminal(t *testing.T, w *world) result {
	master, slave, err := openPTY()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	defer master.Close()
	go func() { _, _ = io.Copy(io.Discard, master) }() // the echo must not fill the pty buffer
	cmd := w.command("link", "--no-browser")
	cmd.Stdin = slave
	p := session.Start(t, cmd)
	slave.Close()
	w.lockThenApprove(t, p)
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.Stderr(), "press Enter") && time.Now().Before(deadline) && !p.Exited() {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(p.Stderr(), "press Enter") {
		t.Errorf("no retry prompt after the failed save: %q", p.Stderr())
	}
	if err := w.sess.UnlockCollection(w.sess.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := master.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	res := p.Wait(t, 30*time.Second)
	if n := w.fake.Count(plextvtest.RouteCreatePin); n != 1 {
		t.Errorf("saving again went through plex.tv again (%d PINs)", n)
	}
	return res
}

func keychainGone(t *testing.T, w *world) result {
	if err := w.sess.StopSecretService(); err != nil {
		t.Fatal(err)
	}
	res := w.run("link", "--no-browser")
	if err := w.sess.StartSecretService(); err != nil {
		t.Fatal(err)
	}
	return res
}

// openPTY returns a new pseudo-terminal pair (Linux).
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
