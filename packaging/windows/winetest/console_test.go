//go:build linux

package winetest

import (
	"bytes"
	"debug/pe"
	"os"
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

// TestReleaseExeHasTheConsoleFix checks the built .exe: a GUI-subsystem program (no console
// window on a double-click) that carries console.AttachParent.
func TestReleaseExeHasTheConsoleFix(t *testing.T) {
	w := shared(t)
	f, err := pe.Open(w.exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Fatalf("%s is not a 64-bit GUI-subsystem program", w.exe)
	}
	data, err := os.ReadFile(w.exe)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"internal/console.AttachParent", "AttachConsole", "CONOUT$"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the release .exe does not contain %q: main.go no longer calls console.AttachParent?", want)
		}
	}
}
