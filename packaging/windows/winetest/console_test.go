//go:build linux

package winetest

import (
	"bytes"
	"debug/pe"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConsoleAttachUnderWine runs internal/console's Windows test binary in the prefix. Wine
// hands a GUI program its parent's console handles where Windows does not, so the release
// .exe cannot show the bug here; the unit test takes the handles away itself and checks that
// AttachParent brings the words back to the parent's console and leaves a pipe alone. Wine's
// console (conhost) is a window: it needs the prefix's display.
func TestConsoleAttachUnderWine(t *testing.T) {
	w := shared(t)
	p, err := w.start(w.env(), "wine", w.console, "-test.v", "-test.count=1")
	if err != nil {
		t.Fatal(err)
	}
	res := p.wait(2 * time.Minute)
	if res.err != nil || res.code != 0 {
		t.Fatalf("console.test.exe under Wine: exit %d, %v\n%s", res.code, res.err, res.output())
	}
	for _, name := range []string{"TestPlan", "TestAttachParentLeavesRedirectedStreams",
		"TestAttachParentWritesToTheParentsConsole", "TestAttachParentKeepsARedirectedStdout"} {
		if !strings.Contains(res.stdout, "--- PASS: "+name+" ") {
			t.Errorf("console.test.exe did not pass %s:\n%s", name, res.output())
		}
	}
	t.Logf("wine: internal/console's Windows tests passed in %v", res.took.Round(time.Millisecond))
}

// TestReleaseSubsystems checks the two built programs: plexlink.exe is a console program
// (a shell waits for it and shows what it prints) without the console fix, which it does
// not need; "Plex Link.exe" is a GUI-subsystem program (no console window on a double-click
// or at login) that carries console.AttachParent for `"Plex Link.exe" --version` typed in a
// shell — which prints, here too (Wine hands a GUI program its parent's handles anyway).
func TestReleaseSubsystems(t *testing.T) {
	w := shared(t)
	for _, c := range []struct {
		exe       string
		subsystem uint16
		fix       bool
	}{
		{w.cli, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI, false},
		{w.app, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI, true},
	} {
		f, err := pe.Open(c.exe)
		if err != nil {
			t.Fatal(err)
		}
		oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
		f.Close()
		if !ok || oh.Subsystem != c.subsystem {
			t.Fatalf("%s is not a 64-bit program for subsystem %d", c.exe, c.subsystem)
		}
		data, err := os.ReadFile(c.exe)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"internal/console.AttachParent", "AttachConsole"} {
			if bytes.Contains(data, []byte(want)) != c.fix {
				t.Errorf("%s contains %q: %v, want %v", filepath.Base(c.exe), want, !c.fix, c.fix)
			}
		}
	}
	res := w.wine(nil, time.Minute, w.app, "--version")
	if res.err != nil || res.code != 0 || !strings.HasPrefix(res.stdout, "Plex Link ") {
		t.Fatalf("\"Plex Link.exe\" --version: exit %d, %v\n%s", res.code, res.err, res.output())
	}
}

// shell is a cmd.exe in a console window running line (credhelper console-run): the exit
// status it saw and the console's text. Nothing run this way may print a token.
func (w *world) shell(t *testing.T, env []string, line string) (int, string) {
	t.Helper()
	res := w.wine(env, 2*time.Minute, w.helper, "console-run", line)
	if res.err != nil || res.code != 0 {
		t.Fatalf("credhelper console-run %s: exit %d, %v\n%s", line, res.code, res.err, res.output())
	}
	var code int
	var screen string
	for _, l := range strings.Split(res.stdout, "\n") {
		l = strings.TrimRight(l, "\r")
		if v, ok := strings.CutPrefix(l, "exit="); ok {
			code, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "screen="); ok {
			screen = v
		}
	}
	t.Logf("wine: cmd /c %s in a console: exit %d in %v", line, code, res.took.Round(time.Millisecond))
	return code, screen
}

// consoleProgram checks plexlink.exe as a console program, from a cmd.exe in a console
// window (issue #21): `version` prints on that console, and `exec` is waited for, shows
// its child's output there and hands back the child's exit status. env must be linked
// (exec hands a token). Under Wine a GUI-subsystem program passes this too (measured:
// `"Plex Link.exe" --version` prints there and cmd /c waits for it), so what tells the
// subsystems apart is TestReleaseSubsystems' PE check; this is the behaviour end to end.
func (w *world) consoleProgram(t *testing.T, env []string) {
	t.Helper()
	exe := `"` + winPath(w.cli) + `"`
	code, screen := w.shell(t, env, exe+" version")
	if code != 0 || !strings.Contains(screen, "plexlink ") || !strings.Contains(screen, "windows/amd64") {
		t.Fatalf("cmd /c plexlink.exe version: exit %d, console %q; want exit 0 and the version line on the console", code, screen)
	}
	res := w.cmd(t, env, 3, "exec", "--", "cmd", "/c", "exit 3")
	if res.stdout != "" {
		t.Fatalf("plexlink.exe exec -- cmd /c exit 3 printed %q", res.stdout)
	}
	code, screen = w.shell(t, env, exe+` exec -- cmd /c "echo child-says-hi& exit 3"`)
	if code != 3 || !strings.Contains(screen, "child-says-hi") {
		t.Fatalf("cmd /c plexlink.exe exec -- cmd /c \"echo child-says-hi& exit 3\": exit %d, console %q; want 3 and the child's words", code, screen)
	}
}
