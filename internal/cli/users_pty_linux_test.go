package cli_test

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// On a terminal, a switch that needs a Home PIN asks for it on stderr and reads it from
// stdin without echo.
func TestHomePINPromptOnATerminal(t *testing.T) {
	w, acct := linkedWorld(t)
	master, slave := session.OpenPty(t)
	cmd := w.command("token", "--user", plextvtest.ProtectedUserName)
	var out, errb bytes.Buffer
	var mu sync.Mutex
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &out, lockedWriter{&mu, &errb}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	echoed := make(chan string, 1)
	go func() { b, _ := io.ReadAll(master); echoed <- string(b) }() // ends with EIO once the child exits
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		asked := strings.Contains(errb.String(), "Plex Home PIN for "+plextvtest.ProtectedUserName)
		mu.Unlock()
		if asked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PIN prompt within 10s: %q", errb.String())
		}
	}
	// Type only once the prompt has turned echo off (the master sees the slave's termios).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
		if err == nil && tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the prompt never turned echo off (%v)", err)
		}
	}
	if _, err := master.Write([]byte(plextvtest.ProtectedUserPIN + "\r")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("token --user alice on a terminal: %v: %s", err, errb.String())
	}
	var echo string
	select {
	case echo = <-echoed:
	case <-time.After(5 * time.Second):
	}
	tok := strings.TrimSuffix(out.String(), "\n")
	if w.whoseToken(tok) == "" || tok == acct {
		t.Fatalf("the PIN typed at the prompt did not give alice's token (stdout %s)", session.Fingerprint(tok))
	}
	if strings.Contains(echo, plextvtest.ProtectedUserPIN) || strings.Contains(errb.String(), plextvtest.ProtectedUserPIN) {
		t.Error("the PIN was echoed")
	}
}
