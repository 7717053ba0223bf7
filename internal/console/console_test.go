package console

import (
	"os"
	"testing"
)

// The decision is the part a redirect depends on: a stream the shell or a script gave the
// process is never replaced, and nothing is attached when nothing is missing.
func TestPlan(t *testing.T) {
	for _, c := range []struct {
		name                 string
		out, err             Stream
		attach, reOut, reErr bool
	}{
		{"typed in a console: both missing", Missing, Missing, true, true, true},
		{"stdout piped (| clip, or captured by PowerShell)", Redirected, Missing, true, false, true},
		{"stderr redirected (2> log)", Missing, Redirected, true, true, false},
		{"both redirected (script, or Wine's pipes)", Redirected, Redirected, false, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			attach, reOut, reErr := Plan(c.out, c.err)
			if attach != c.attach || reOut != c.reOut || reErr != c.reErr {
				t.Errorf("Plan(%v, %v) = attach %v, reopen stdout %v, stderr %v; want %v, %v, %v",
					c.out, c.err, attach, reOut, reErr, c.attach, c.reOut, c.reErr)
			}
		})
	}
}

func TestAttachParentLeavesRedirectedStreams(t *testing.T) {
	// Under `go test` both streams are redirected on every OS: nothing may change.
	out, errf := os.Stdout, os.Stderr
	AttachParent()
	if os.Stdout != out || os.Stderr != errf {
		t.Errorf("AttachParent replaced a redirected stream (stdout changed: %v, stderr changed: %v)",
			os.Stdout != out, os.Stderr != errf)
	}
}
