package desktop

import (
	"os"
	"path/filepath"
	"strings"
)

// Autostart turns starting at login on and off. The tray owns it; the window and the tests
// use the same interface.
type Autostart interface {
	Enabled() (bool, error)
	Enable() error
	Disable() error
}

type exeAutostart struct{ exe string }

// NewAutostart starts this executable at login with --background. It returns nil for a
// `go run` build, whose executable is deleted on exit and must not start at every login.
func NewAutostart() Autostart {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	if strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return nil
	}
	return &exeAutostart{exe: exe}
}

func (a *exeAutostart) Enabled() (bool, error) { return Enabled() }
func (a *exeAutostart) Enable() error          { return Enable(a.exe) }
func (a *exeAutostart) Disable() error         { return Disable() }
