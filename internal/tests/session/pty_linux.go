//go:build linux

package session

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// CountINT is a child that counts the SIGINTs it gets: it waits for the first, gives a
// second one a second to arrive, and prints how many it saw. Perl runs its handler once
// per delivered signal (sh and bash fold signals that arrive during a command into one
// trap run, so they cannot count).
var CountINT = []string{"perl", "-e", `$n = 0; $SIG{INT} = sub { $n++ }; $| = 1; print "ready\n";
select(undef, undef, undef, 0.05) while $n == 0;
select(undef, undef, undef, 0.05) for 1 .. 20; print "count=$n\n"`}

// OpenPty returns a new pseudo-terminal's master and slave (the test skips when the system
// has none).
func OpenPty(tb testing.TB) (master, slave *os.File) {
	tb.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		tb.Skipf("no pseudo-terminals here: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		tb.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return m, s
}

// RunCountingINT starts cmd, a `plexlink exec -- CountINT…` with its stdin and
// SysProcAttr set up by the caller, calls signal once the child is ready, and returns the
// child's last line ("count=N") and plexlink's exit code.
func RunCountingINT(tb testing.TB, cmd *exec.Cmd, signal func(*exec.Cmd)) (string, int) {
	tb.Helper()
	RequireTool(tb, "perl", "perl")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	if c, ok := cmd.Stdin.(io.Closer); ok {
		c.Close() // the child has its own copy
	}
	timer := time.AfterFunc(15*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		_ = cmd.Wait()
		tb.Fatalf("child did not start: %q\n%s", sc.Text(), errb.String())
	}
	signal(cmd)
	var last string
	for sc.Scan() {
		last = sc.Text()
	}
	_ = cmd.Wait()
	return last, cmd.ProcessState.ExitCode()
}
