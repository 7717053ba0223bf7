package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Builds tiny pure-Go Windows programs (no cgo, quick) to show the checker tells a GUI
// executable from a console one.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(name string, ldflags string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", out, src)
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GO111MODULE=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		return out
	}
	gui := build("gui.exe", "-H=windowsgui")
	console := build("console.exe", "")
	if err := check(gui, false); err != nil {
		t.Errorf("GUI exe rejected: %v", err)
	}
	if err := check(console, false); err == nil || !strings.Contains(err.Error(), "subsystem") {
		t.Errorf("console exe: %v, want a subsystem error", err)
	}
	if err := check(gui, true); err == nil || !strings.Contains(err.Error(), ".rsrc") {
		t.Errorf("exe without resources: %v, want a .rsrc error", err)
	}
	if err := check(src, false); err == nil {
		t.Error("a Go source file passed as an executable")
	}
}
