package packaging

import (
	"os"
	"os/exec"
	"testing"
)

// The macOS and Windows builds need their own SDKs for Fyne's cgo code, so here the
// packages without cgo are checked for those platforms: vetted (with their tests) where the
// tests are portable, compiled where the tests use the Linux-only harness.
func TestNoCgoPackagesBuildForMacAndWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles several packages")
	}
	vet := []string{"./auth/...", "./internal/account/...", "./internal/console/...", "./internal/earlylog/",
		"./internal/servers/...", "./internal/notify/...", "./internal/shellquote/...", "./internal/atomicfile/...",
		"./internal/winproto/...", "./packaging/..."}
	build := []string{"./storage/", "./internal/desktop/"}
	for _, goos := range []string{"darwin", "windows"} {
		b := build
		if goos == "windows" {
			// The CLI links the tray, and fyne.io/systray needs cgo on macOS (as Fyne does):
			// there it is built with the app, on a Mac.
			b = append(b, "./internal/cli/")
		}
		for _, c := range []struct {
			verb string
			pkgs []string
		}{{"vet", vet}, {"build", b}} {
			args := append([]string{c.verb}, c.pkgs...)
			if c.verb == "build" {
				args = append([]string{"build", "-o", os.DevNull}, c.pkgs...)
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("GOOS=%s go %s: %v\n%s", goos, c.verb, err, out)
			}
		}
	}
}
