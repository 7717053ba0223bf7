package display

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestXvfbStartStop(t *testing.T) {
	x := Start(t)
	if !strings.HasPrefix(x.Name, ":") {
		t.Fatalf("display name %q, want :N", x.Name)
	}
	geo, err := x.Xdotool(5*time.Second, "getdisplaygeometry")
	if err != nil || geo != "1280 800" {
		t.Fatalf("getdisplaygeometry = %q, %v; want \"1280 800\"", geo, err)
	}
	socket := "/tmp/.X11-unix/X" + x.Name[1:]
	if _, err := os.Stat(socket); err != nil {
		t.Fatalf("Xvfb socket: %v", err)
	}
	// A second server must get its own display number.
	y := Start(t)
	if y.Name == x.Name {
		t.Fatalf("two servers on %s", x.Name)
	}
	if err := x.Stop(); err != nil {
		t.Fatal(err)
	}
	if Alive(x.Pid) {
		t.Fatalf("Xvfb pid %d alive after Stop", x.Pid)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Fatalf("Xvfb socket %s still there after Stop (%v)", socket, err)
	}
}

// The blank check must reject what a test sees when the app shows nothing.
func TestScreenshotOfEmptyScreenIsBlank(t *testing.T) {
	x := Start(t)
	path := filepath.Join(t.TempDir(), "empty.png")
	if err := x.SaveScreenshot(path); err != nil {
		t.Fatal(err)
	}
	err := CheckNotBlank(path)
	if err == nil {
		t.Fatal("CheckNotBlank accepted a screenshot of an empty display")
	}
	t.Logf("as expected: %v", err)
}

func TestArtifactsDir(t *testing.T) {
	want := filepath.Join(t.TempDir(), "a", "b")
	t.Setenv("PLEXLINK_TEST_ARTIFACTS", want)
	got, err := ArtifactsDir()
	if err != nil || got != want {
		t.Fatalf("ArtifactsDir = %q, %v; want %q", got, err, want)
	}
	if fi, err := os.Stat(want); err != nil || !fi.IsDir() {
		t.Fatalf("ArtifactsDir did not create %s: %v", want, err)
	}
}
