package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/settings"
)

// acquireInstance makes this the one tray app for service, or hands over to the running one.
// done is true when the process should exit with code.
func acquireInstance(service string, background bool, env Env, log *slog.Logger) (inst *desktop.Instance, code int, done bool) {
	req := desktop.Request{Command: desktop.CommandShow}
	if background {
		req.Command = desktop.CommandBackground
	}
	inst, err := desktop.AcquireWith("gui-"+settings.Sanitize(service), req)
	switch {
	case errors.Is(err, desktop.ErrAlreadyRunning):
		if !background {
			fmt.Fprintln(env.Stdout, "Plex Link is already running; its window was brought to the front.")
		}
		return nil, exitOK, true
	case errors.Is(err, desktop.ErrNoAnswer):
		return nil, fail(env, "Plex Link is already running but does not answer; quit it (or end the process) and start it again"), true
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
