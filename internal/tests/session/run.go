package session

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Result is how a program a test ran ended: its exit code (-1 when it did not exit by
// itself) and what it printed.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Proc is a running program whose output can be read while it runs: the one run-and-capture
// harness of the end-to-end tests.
type Proc struct {
	cmd      *exec.Cmd
	out, err *SyncBuffer
	done     chan struct{}
	res      Result
}

// Start starts cmd with its output captured; it is killed when tb ends.
func Start(tb testing.TB, cmd *exec.Cmd) *Proc {
	tb.Helper()
	p := &Proc{cmd: cmd, out: &SyncBuffer{}, err: &SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.err
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		p.res = Result{Code: ExitCode(err), Stdout: p.out.String(), Stderr: p.err.String()}
		close(p.done)
	}()
	tb.Cleanup(func() { _ = cmd.Process.Kill(); <-p.done })
	return p
}

// Run runs cmd to its end, killing it after timeout (a command that should give up by itself
// must not hang the test; the result's code is then -1).
func Run(tb testing.TB, cmd *exec.Cmd, timeout time.Duration) Result {
	tb.Helper()
	return Start(tb, cmd).Wait(tb, timeout)
}

// ExitCode is the exit code err (from exec.Cmd.Wait) stands for: 0, the code, or -1.
func ExitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		return -1
	}
}

// Wait waits up to timeout for the program to exit; past it the program is killed and the
// test fails, with what it printed.
func (p *Proc) Wait(tb testing.TB, timeout time.Duration) Result {
	tb.Helper()
	select {
	case <-p.done:
		return p.res
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		tb.Errorf("%v did not finish within %v\nstderr:\n%s", p.cmd.Args, timeout, p.res.Stderr)
		p.res.Code = -1
		return p.res
	}
}

// Exited reports whether the program has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stdout and Stderr are what the program printed so far.
func (p *Proc) Stdout() string { return p.out.String() }
func (p *Proc) Stderr() string { return p.err.String() }

// Signal sends sig to the program (a crash test kills it mid-flight).
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }
