//go:build unix

package cli_test

import (
	"os"
	"syscall"
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
