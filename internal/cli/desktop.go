package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"codeberg.org/plexlink/plexlink/internal/desktop"
)

// errLinkBusy is what the window or the terminal says when the other one is linking.
var errLinkBusy = errors.New("another Plex Link is linking right now (the window or a terminal's `plexlink link`); finish or cancel it there, then try again")

// linkLockName is per keychain service: the demo and the real app may link side by side.
func linkLockName(service string) string { return "link-" + sanitize(service) }

// errStoppedByUnlink is why a link ends when an unlink elsewhere asked it to stop.
var errStoppedByUnlink = errors.New("linking stopped: `plexlink unlink` (or Unlink in the app) ran meanwhile")

// linkLock takes the link lock for service; stop is called when an unlink elsewhere asks
// this link to stop. A lock that cannot be taken for another reason (no runtime dir) does
// not stop linking: it only guards against two pollers at once.
func linkLock(service string, log *slog.Logger, stop func()) (func(), error) {
	unlock, err := desktop.HoldLock(linkLockName(service), stop)
	switch {
	case errors.Is(err, desktop.ErrLocked):
		return nil, errLinkBusy
	case err != nil:
		log.Warn("link lock unavailable; continuing without it", "err", err)
		return func() {}, nil
	}
	return unlock, nil
}

// Autostart starts this executable at login with --background.
type Autostart struct{ exe string }

// newAutostart returns nil for a `go run` build, whose executable is deleted on exit and
// must not be registered to start at every login.
func newAutostart() *Autostart {
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
	return &Autostart{exe: exe}
}

func (a *Autostart) Enabled() (bool, error) { return desktop.Enabled() }
func (a *Autostart) Enable() error          { return desktop.Enable(a.exe) }
func (a *Autostart) Disable() error         { return desktop.Disable() }

// acquireInstance makes this the one tray app for service, or hands over to the running one.
// done is true when the process should exit with code.
func acquireInstance(service string, background bool, env Env, log *slog.Logger) (inst *desktop.Instance, code int, done bool) {
	req := desktop.Request{Command: desktop.CommandShow}
	if background {
		req.Command = desktop.CommandBackground
	}
	inst, err := desktop.AcquireWith("gui-"+sanitize(service), req)
	switch {
	case errors.Is(err, desktop.ErrAlreadyRunning):
		if !background {
			fmt.Fprintln(env.Stdout, "Plex Link is already running; its window was brought to the front.")
		}
		return nil, exitOK, true
	case errors.Is(err, desktop.ErrNoAnswer):
		return nil, fail(env, exitFailure, "Plex Link is already running but does not answer; quit it (or end the process) and start it again"), true
	case err != nil:
		log.Warn("single-instance check unavailable; continuing", "err", err)
		return nil, 0, false
	}
	return inst, 0, false
}

// logOutput is stderr, except for the Windows GUI build, which has no console: there the
// log goes to a file in the user's cache directory.
func logOutput(env Env) io.Writer {
	if runtime.GOOS != "windows" {
		return env.Stderr
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return env.Stderr
	}
	dir = filepath.Join(dir, "plexlink")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return env.Stderr
	}
	p := filepath.Join(dir, "plexlink.log")
	if fi, err := os.Stat(p); err == nil && fi.Size() > 1<<20 {
		_ = os.Rename(p, p+".1") // keep one old log; the log never holds a token
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return env.Stderr
	}
	return f
}
