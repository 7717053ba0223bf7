//go:build linux

package cli_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"codeberg.org/plexlink/plexlink/internal/testenv"
)

// countINT is a child that counts the SIGINTs it gets: it waits for the first, gives a
// second one a second to arrive, and prints how many it saw. Perl runs its handler once
// per delivered signal (sh and bash fold signals that arrive during a command into one
// trap run, so they cannot count).
var countINT = []string{"perl", "-e", `$n = 0; $SIG{INT} = sub { $n++ }; $| = 1; print "ready\n";
select(undef, undef, undef, 0.05) while $n == 0;
select(undef, undef, undef, 0.05) for 1 .. 20; print "count=$n\n"`}

// openPty returns a new pseudo-terminal's master and slave.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// runCounting starts `plexlink exec -- countINT…` as set up by prepare, calls signal
// once the child is ready, and returns the child's last line and plexlink's exit code.
func runCounting(t *testing.T, w *world, prepare func(*exec.Cmd), signal func(*exec.Cmd)) (string, int) {
	t.Helper()
	testenv.RequireTool(t, "perl", "perl")
	cmd := w.command(append([]string{"exec", "--"}, countINT...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	prepare(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if c, ok := cmd.Stdin.(io.Closer); ok {
		c.Close() // the child has its own copy
	}
	timer := time.AfterFunc(15*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		_ = cmd.Wait()
		t.Fatalf("child did not start: %q\n%s", sc.Text(), errb.String())
	}
	signal(cmd)
	var last string
	for sc.Scan() {
		last = sc.Text()
	}
	_ = cmd.Wait()
	return last, cmd.ProcessState.ExitCode()
}

// A Ctrl-C typed in the terminal reaches the child from the terminal; plexlink must not
// send it a second one (many tools take a second Ctrl-C as "force quit").
func TestExecCtrlCInATerminalReachesTheChildOnce(t *testing.T) {
	w, _ := linkedWorld(t)
	master, slave := openPty(t)
	last, code := runCounting(t, w, func(cmd *exec.Cmd) {
		// plexlink leads a new session whose controlling terminal is the pty, in its
		// foreground group, as when typed at a shell prompt.
		cmd.Stdin = slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	}, func(*exec.Cmd) {
		if _, err := master.Write([]byte{3}); err != nil { // ^C
			t.Fatal(err)
		}
	})
	if last != "count=1" || code != 0 {
		t.Errorf("Ctrl-C in the terminal: child printed %q, plexlink exit %d; want count=1 and 0", last, code)
	}
}

// Without a terminal (a service manager, a script's `kill -INT`) the child gets SIGINT only
// from plexlink: it is forwarded, once.
func TestExecSIGINTWithoutTerminalIsForwardedOnce(t *testing.T) {
	w, _ := linkedWorld(t)
	last, code := runCounting(t, w, func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
	}, func(cmd *exec.Cmd) {
		_ = cmd.Process.Signal(syscall.SIGINT)
	})
	if last != "count=1" || code != 0 {
		t.Errorf("kill -INT plexlink: child printed %q, plexlink exit %d; want count=1 and 0", last, code)
	}
}
