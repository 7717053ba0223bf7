//go:build linux

package cli_test

import (
	"os/exec"
	"syscall"
	"testing"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// runCounting runs `plexlink exec -- session.CountINT…` as set up by prepare and signals it
// once the child is ready; it returns the child's last line and plexlink's exit code.
func runCounting(t *testing.T, w *world, prepare func(*exec.Cmd), signal func(*exec.Cmd)) (string, int) {
	t.Helper()
	cmd := w.command(append([]string{"exec", "--"}, session.CountINT...)...)
	prepare(cmd)
	return session.RunCountingINT(t, cmd, signal)
}

// A Ctrl-C typed in the terminal reaches the child from the terminal; plexlink must not
// send it a second one (many tools take a second Ctrl-C as "force quit").
func TestExecCtrlCInATerminalReachesTheChildOnce(t *testing.T) {
	w, _ := linkedWorld(t)
	master, slave := session.OpenPty(t)
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
