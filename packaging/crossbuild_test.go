package packaging

import (
	"os"
	"os/exec"
	"strings"
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
	build := []string{"./storage/", "./internal/desktop/", "./internal/settings/"}
	for _, goos := range []string{"darwin", "windows"} {
		b := build
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

// crossTargets are the machines the command line ships for (`make crossbuild`).
var crossTargets = []struct{ goos, goarch, goarm string }{
	{"linux", "amd64", ""}, {"linux", "arm64", ""}, {"linux", "arm", "7"},
	{"darwin", "amd64", ""}, {"darwin", "arm64", ""},
	{"windows", "amd64", ""}, {"windows", "arm64", ""},
	{"freebsd", "amd64", ""},
}

// The command line is pure Go: it cross-builds with CGO_ENABLED=0 for every target, and
// nothing with cgo (Fyne, systray, GL) is in its import graph.
func TestCommandLineCrossBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the command line for 8 targets")
	}
	// Every non-standard package in the graph, marked when it has cgo files.
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{if .CgoFiles}} cgo{{end}}{{end}}`, "../cmd/plexlink").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasSuffix(dep, " cgo") || strings.HasPrefix(dep, "fyne.io/") || strings.HasPrefix(dep, "github.com/go-gl/") ||
			strings.Contains(dep, "systray") || strings.HasSuffix(dep, "plexlink/ui") || strings.HasSuffix(dep, "internal/tray") {
			t.Errorf("the command line imports %s", dep)
		}
	}
	for _, tg := range crossTargets {
		cmd := exec.Command("go", "build", "-o", os.DevNull, "./cmd/plexlink")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOOS="+tg.goos, "GOARCH="+tg.goarch, "GOARM="+tg.goarm, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s GOARCH=%s go build ./cmd/plexlink: %v\n%s", tg.goos, tg.goarch, err, out)
		}
	}
}
