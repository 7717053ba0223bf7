//go:build linux

package winetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The per-user installer (packaging/windows/installer.nsi), as a user and a script use it:
// a silent install puts both programs in the Programs folder, a Start-menu shortcut, the
// folder on the user's PATH and an entry under installed apps; the installed plexlink.exe
// runs; a silent uninstall leaves nothing behind — files, shortcut, PATH entry, the Run key
// of start at login, the uninstall entry.
func TestInstallerUnderWine(t *testing.T) {
	w := shared(t)
	setups, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(w.cli)), "plexlink-*-windows-amd64-setup.exe"))
	if len(setups) != 1 {
		t.Fatalf("packaging/windows.sh built %d installers beside %s, want 1", len(setups), filepath.Dir(w.cli))
	}
	users, _ := filepath.Glob(filepath.Join(w.prefix, "drive_c", "users", "*", "AppData", "Local"))
	var local string
	for _, u := range users {
		if !strings.Contains(u, string(filepath.Separator)+"Public"+string(filepath.Separator)) {
			local = u
		}
	}
	if local == "" {
		t.Fatalf("no user profile in the prefix (%v)", users)
	}
	profile := filepath.Dir(filepath.Dir(local))
	dir := filepath.Join(local, "Programs", "Plex Link")
	winDir := `C:\users\` + filepath.Base(profile) + `\AppData\Local\Programs\Plex Link`
	shortcut := filepath.Join(profile, "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "Plex Link.lnk")

	if res := w.wine(nil, 3*time.Minute, setups[0], "/S"); res.err != nil || res.code != 0 {
		t.Fatalf("silent install: exit %d %v\n%s", res.code, res.err, res.output())
	}
	for _, f := range []string{"Plex Link.exe", "plexlink.exe", "Uninstall.exe", "README.md", "LICENSE.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("installed %s: %v", f, err)
		}
	}
	if _, err := os.Stat(shortcut); err != nil {
		t.Errorf("Start-menu shortcut: %v", err)
	}
	res := w.wine(nil, time.Minute, filepath.Join(dir, "plexlink.exe"), "version")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "plexlink ") {
		t.Errorf("installed plexlink.exe version: exit %d\n%s", res.code, res.output())
	}
	if path := w.regValue(t, `HKCU\Environment`, "Path"); !strings.Contains(strings.ToLower(path), strings.ToLower(winDir)) {
		t.Errorf("the user's PATH %q lacks %s", path, winDir)
	}
	if name := w.regValue(t, `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\PlexLink`, "DisplayName"); name != "Plex Link" {
		t.Errorf("installed apps entry: DisplayName %q", name)
	}
	// Start at login as the app sets it.
	run := `"` + winDir + `\Plex Link.exe" --background`
	if res := w.wine(nil, time.Minute, "reg", "add", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", "Plex Link", "/d", run, "/f"); res.code != 0 {
		t.Fatalf("reg add: %s", res.output())
	}

	// The uninstaller copies itself to a temporary folder and returns at once: wait for it.
	if res := w.wine(nil, 3*time.Minute, filepath.Join(dir, "Uninstall.exe"), "/S"); res.err != nil || res.code != 0 {
		t.Fatalf("silent uninstall: exit %d %v\n%s", res.code, res.err, res.output())
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			left, _ := os.ReadDir(dir)
			t.Fatalf("the install folder is still there 90 s after the silent uninstall (%d entries)", len(left))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if _, err := os.Stat(shortcut); !os.IsNotExist(err) {
		t.Errorf("the Start-menu shortcut survived the uninstall (%v)", err)
	}
	if path := w.regValue(t, `HKCU\Environment`, "Path"); strings.Contains(strings.ToLower(path), strings.ToLower(winDir)) {
		t.Errorf("the user's PATH %q still names %s", path, winDir)
	}
	if v := w.regValue(t, `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "Plex Link"); v != "" {
		t.Errorf("the Run value survived the uninstall: %q", v)
	}
	if name := w.regValue(t, `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\PlexLink`, "DisplayName"); name != "" {
		t.Errorf("the installed apps entry survived the uninstall: %q", name)
	}
}

// regValue reads a registry value's data with `wine reg query` ("" when there is none).
func (w *world) regValue(t *testing.T, key, name string) string {
	t.Helper()
	res := w.wine(nil, time.Minute, "reg", "query", key, "/v", name)
	if res.err != nil {
		t.Fatalf("wine reg query: %v", res.err)
	}
	if res.code != 0 {
		return ""
	}
	for _, line := range strings.Split(res.stdout, "\n") {
		for _, typ := range []string{"REG_EXPAND_SZ", "REG_SZ"} {
			if _, data, ok := strings.Cut(line, typ); ok {
				return strings.TrimSpace(data)
			}
		}
	}
	return ""
}
