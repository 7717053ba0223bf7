package cli

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func newCmdDemo(f *factory) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start the desktop app against a built-in fake plex.tv, fully offline (keychain service plexlink-demo)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ttl < time.Second {
				return exit(f.usageError(cmd, "demo: --pin-ttl must be at least 1s"))
			}
			if f.st.ServerURL != "" || f.st.LinkURL != "" {
				return exit(f.usageError(cmd, "demo runs its own fake plex.tv; --server-url and --link-url do not apply"))
			}
			return exit(f.runDesktop("--demo", "--pin-ttl", ttl.String()))
		},
	}
	cmd.Flags().DurationVar(&ttl, "pin-ttl", plextvtest.DefaultPinTTL, "how long the demo's codes live (e.g. 30s to watch a code expire and renew)")
	return cmd
}

// desktopNames are the desktop app's executable names, as the packages install them.
func desktopNames() []string {
	switch runtime.GOOS {
	case "windows":
		return []string{"Plex Link.exe", "plexlink-desktop.exe"}
	case "darwin":
		return []string{"Plex Link", "plexlink-desktop"}
	default:
		return []string{"plexlink-desktop"}
	}
}

// findDesktop looks for the desktop app beside this program, then on PATH.
func findDesktop() (string, error) {
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		for _, name := range desktopNames() {
			p := filepath.Join(filepath.Dir(exe), name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	for _, name := range desktopNames() {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if runtime.GOOS == "darwin" {
		p := "/Applications/Plex Link.app/Contents/MacOS/Plex Link"
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the Plex Link desktop app was not found beside this program or on PATH")
}

// runDesktop runs the desktop app with args, its output passed through, and returns its
// exit code.
func (f *factory) runDesktop(args ...string) int {
	if f.env.Desktop != nil {
		return f.env.Desktop(args)
	}
	path, err := findDesktop()
	if err != nil {
		return fail(f.env, exitFailure, "%v; install the desktop app (the plexlink-desktop package, Plex Link.exe or Plex Link.app), or build it from the source with `make build`", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f.env.Stdin, f.env.Stdout, f.env.Stderr
	// A Ctrl-C or a logout reaches the app too (same process group): wait for it to quit
	// cleanly and report how it ended, rather than leave first.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		return fail(f.env, exitFailure, "starting %s: %v", path, err)
	}
}
