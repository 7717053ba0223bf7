// Package packaging holds the scripts behind `make package`; its tests check the parts that
// can be checked on any machine: the CI workflow (actionlint), the desktop entry and
// AppStream metainfo (their validators), the scripts' syntax, and that every place naming
// the app ID agrees.
package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/internal/desktop"
)

// actionlintModule is pinned here (not in go.mod: it is a tool, not a dependency).
const actionlintModule = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"

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

func TestWorkflowPassesActionlint(t *testing.T) {
	bin := t.TempDir()
	install := exec.Command("go", "install", actionlintModule)
	install.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		msg := "cannot install " + actionlintModule + " (needs the Go module proxy once): " + string(out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// shellcheck and pyflakes are optional plugins; leave them out so the result does not
	// depend on what else is installed.
	cmd := exec.Command(filepath.Join(bin, "actionlint"), "-shellcheck=", "-pyflakes=", ".github/workflows/ci.yml")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

func TestWorkflowCoversThreePlatforms(t *testing.T) {
	data, err := os.ReadFile("../.github/workflows/ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"runs-on: ubuntu-", "runs-on: macos-", "runs-on: windows-", "actions/upload-artifact@", "go-version-file: go.mod"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("ci.yml lacks %q", want)
		}
	}
}

func TestDesktopEntryValidates(t *testing.T) {
	tool := need(t, "desktop-file-validate", "desktop-file-utils")
	p := filepath.Join("linux", desktop.AppID+".desktop")
	out, err := exec.Command(tool, p).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", p, err, out)
	}
}

func TestMetainfoValidates(t *testing.T) {
	tool := need(t, "appstreamcli", "appstream")
	src, err := os.ReadFile(filepath.Join("linux", desktop.AppID+".metainfo.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// linux.sh fills these in the same way.
	filled := strings.NewReplacer("@VERSION@", "0.1.0", "@DATE@", "2025-01-01").Replace(string(src))
	p := filepath.Join(t.TempDir(), desktop.AppID+".metainfo.xml")
	if err := os.WriteFile(p, []byte(filled), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "validate", "--no-net", p).CombinedOutput()
	if err != nil {
		t.Errorf("appstreamcli validate: %v\n%s", err, out)
	}
	if !strings.Contains(filled, "<launchable type=\"desktop-id\">"+desktop.AppID+".desktop</launchable>") {
		t.Error("metainfo does not launch the packaged .desktop file")
	}
}

// The app ID is spelled in several files that no compiler connects.
func TestAppIDAgrees(t *testing.T) {
	toml, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*ID\s*=\s*"([^"]+)"`).FindSubmatch(toml)
	if m == nil || string(m[1]) != desktop.AppID {
		t.Errorf("FyneApp.toml ID = %q, want %q", m, desktop.AppID)
	}
	for _, f := range []string{"linux/" + desktop.AppID + ".metainfo.xml", "windows/exe.manifest"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), desktop.AppID) {
			t.Errorf("%s does not name %s", f, desktop.AppID)
		}
	}
	entry, err := os.ReadFile("linux/" + desktop.AppID + ".desktop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(entry), "\nIcon="+desktop.AppID+"\n") {
		t.Errorf("desktop entry's Icon is not %s", desktop.AppID)
	}
}

// The Windows programs' final names (an installer and a zip are made from dist/windows/)
// are spelled in the build script, the CI workflow, the Wine tests and the command line's
// search for the desktop app beside it (plexlink demo).
func TestWindowsNamesAgree(t *testing.T) {
	for file, wants := range map[string][]string{
		"windows.sh": {`out="$DIST/windows"`, `cli="$out/plexlink.exe"`, `app="$out/Plex Link.exe"`,
			"-subsystem console \"$cli\"", "-subsystem gui \"$app\""},
		"../.github/workflows/ci.yml": {"-subsystem console test-artifacts/dist/windows/plexlink.exe",
			`-subsystem gui "test-artifacts/dist/windows/Plex Link.exe"`, "dist/windows/plexlink.exe version"},
		"windows/installer.nsi":         {`"${SRC}\plexlink.exe"`, `"${SRC}\${APPNAME}.exe"`, `!define APPNAME "Plex Link"`},
		"windows/winetest/wine_test.go": {`filepath.Join(dist, "windows", "plexlink.exe"), filepath.Join(dist, "windows", "Plex Link.exe")`},
		"../internal/cli/demo.go":       {`"Plex Link.exe"`},
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s lacks %s", file, want)
			}
		}
	}
}

func TestScriptsParse(t *testing.T) {
	bash := need(t, "bash", "bash")
	scripts, _ := filepath.Glob("*.sh")
	more, _ := filepath.Glob("*/*.sh")
	scripts = append(scripts, more...)
	if len(scripts) < 6 {
		t.Fatalf("found only %v", scripts)
	}
	for _, s := range scripts {
		if out, err := exec.Command(bash, "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
		st, err := os.Stat(s)
		if err == nil && st.Mode()&0o111 == 0 && s != "common.sh" {
			t.Errorf("%s is not executable", s)
		}
	}
}
