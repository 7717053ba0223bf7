//go:build unix

package cli_test

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// childSignal: mode "term" kills the child with SIGTERM, as `kill` would.
func childSignal(mode string) int {
	if mode != "term" {
		return 98
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(10 * time.Second)
	return 97
}

// A child killed by signal N makes exec exit 128+N, as a shell reports it.
func TestInProcessExecChildKilledBySignal(t *testing.T) {
	t.Parallel()
	p := linkedInproc(t)
	p.environ = append(os.Environ(), childMode+"=term")
	p.run(execChild(t)...).expect(t, "exec, child killed by SIGTERM", 128+int(syscall.SIGTERM), nil, nil, true)
}
