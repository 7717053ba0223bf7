package cli

import (
	"os"
	"testing"
)

// Regression (issue 6 fault matrix): /dev/null is a character device, and link took it for
// a terminal, so a script whose keychain was locked at save time got an "press Enter"
// prompt read from /dev/null instead of the instructions to recover.
func TestIsTerminalRejectsDevNull(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error("isTerminal(/dev/null) = true")
	}
	f, err := os.CreateTemp(t.TempDir(), "plain")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("isTerminal(regular file) = true")
	}
}
