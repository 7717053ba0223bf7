package session

import (
	"os/exec"
	"testing"
	"time"
)

func TestFakeBrowserRecords(t *testing.T) {
	b := NewFakeBrowser(t)
	if _, err := b.WaitOpened(1, 50*time.Millisecond); err == nil {
		t.Fatal("WaitOpened succeeded before anything was opened")
	}
	for _, u := range []string{"http://127.0.0.1:1/link/?pin=AB12", "http://127.0.0.1:1/link/?pin=CD34"} {
		// As pkg/browser does: look xdg-open up on the PATH the app was given.
		cmd := exec.Command("/bin/sh", "-c", `xdg-open "$1"`, "sh", u)
		cmd.Env = []string{b.PathEnv()}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("fake xdg-open: %v: %s", err, out)
		}
	}
	got, err := b.WaitOpened(2, time.Second)
	if err != nil || got != "http://127.0.0.1:1/link/?pin=CD34" {
		t.Fatalf("WaitOpened(2) = %q, %v", got, err)
	}
}
