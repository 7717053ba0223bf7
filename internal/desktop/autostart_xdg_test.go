//go:build !darwin && !windows

package desktop

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// need reports a missing tool: a failure in CI, a skip elsewhere.
// (Not session.Require: internal/tests/session is Linux-only, and these tests also run in the macOS and
// Windows CI jobs.)
func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	msg := tool + " not found (Debian package " + pkg + "; `make deps-test` installs it)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func TestAutostartXDG(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	path := filepath.Join(cfg, "autostart", AppID+".desktop")
	if p, err := AutostartPath(); err != nil || p != path {
		t.Fatalf("AutostartPath = %q, %v; want %q", p, err, path)
	}
	assertEnabled(t, false)

	exe := "/opt/Plex Link/bin/plexlink"
	if err := Enable(exe); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != LinuxAutostartEntry(exe) {
		t.Errorf("file content differs from LinuxAutostartEntry:\n%s", data)
	}
	assertEnabled(t, true)

	out, err := exec.Command(need(t, "desktop-file-validate", "desktop-file-utils"), path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate: %v\n%s", err, out)
	}

	// A settings app that switches the entry off without deleting it.
	if err := os.WriteFile(path, append(data, "Hidden=true\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	assertEnabled(t, false)

	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Disable left %s (stat: %v)", path, err)
	}
	assertEnabled(t, false)
	if err := Disable(); err != nil {
		t.Errorf("second Disable: %v", err)
	}
}

func assertEnabled(t *testing.T, want bool) {
	t.Helper()
	got, err := Enabled()
	if err != nil || got != want {
		t.Fatalf("Enabled() = %v, %v; want %v", got, err, want)
	}
}
