// Package app is the start-up of the Plex Link desktop app (the root main.go): the single
// instance, the tray process and the window process it starts on demand, start at login,
// notifications, the link lock and the log. It never imports Fyne: the window itself is
// the ui package, which main.go hands in as Env.Window.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/notify"
	"codeberg.org/plexlink/plexlink/internal/settings"
	"codeberg.org/plexlink/plexlink/internal/tray"
	"codeberg.org/plexlink/plexlink/storage"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Env is the process's outside world, injectable for tests.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string // nil → os.Getenv
	// Window runs the Fyne window and returns the exit code (ui.Run); nil in a build without one.
	Window func(WindowOptions) int
	// TrayIcons are the tray's PNG icons; without them the app runs as one window.
	TrayIcons TrayIcons
}

// TrayIcons are the PNG tray icons main.go embeds.
type TrayIcons struct{ Normal, Relink []byte }

// WindowOptions is what the window (ui) is started with; ui takes it as it is.
type WindowOptions struct {
	Service *account.Service
	Demo    bool
	OpenURL func(string) error
	Logger  *slog.Logger
	// Instance receives "show" requests from later launches; nil when single-instance
	// detection is unavailable, and in a window process (the tray holds the instance).
	Instance *desktop.Instance
	// LinkLock keeps the window and a terminal `plexlink link` from linking at once; stop is
	// called when an unlink elsewhere needs the link to end.
	LinkLock func(stop func()) (unlock func(), err error)
	// Autostart is nil in the demo, in builds run from a temporary directory and in the
	// window process (its tray owns start at login); the one-process window hands it to
	// its in-process tray.
	Autostart desktop.Autostart
	// Parent is set in the window process a tray started; nil for the one-process window of
	// a session without a tray.
	Parent *Parent
	// Clipboard copies the token as a secret (the same X11 clipboard the tray uses).
	Clipboard tray.Clipboard
}

// Parent is the window process's link to the tray that started it (internal/winproto on
// its stdin and stdout).
type Parent struct {
	Start    string    // winproto.CmdShow, CmdLink or CmdUnlink
	Commands io.Reader // tray → window
	Events   io.Writer // window → tray
}

const usage = `Plex Link — the desktop app: a tray icon, and a window on demand.

Usage:
  plexlink-desktop [--background]     start the app (--background: no window; a login start)
  plexlink-desktop --demo [--pin-ttl 15m]
                                      the app against a built-in fake plex.tv, fully offline
                                      (keychain service plexlink-demo)
  plexlink-desktop version            print the version

Settings: --server-url URL (env PLEXLINK_SERVER_URL), --link-url URL (env PLEXLINK_LINK_URL),
PLEXLINK_KEYRING_SERVICE, PLEXLINK_LOG=debug. The command line is the separate program
` + "`plexlink`" + ` (plexlink help).
`

// Main runs the desktop app and returns the process exit code.
func Main(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	st := settings.FromEnv(env.Getenv)
	fs := flag.NewFlagSet("plexlink-desktop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&st.ServerURL, "server-url", st.ServerURL, "plex.tv API base URL")
	fs.StringVar(&st.LinkURL, "link-url", st.LinkURL, "link page base URL")
	background := fs.Bool("background", false, "start without showing the window")
	demo := fs.Bool("demo", false, "run against a built-in fake plex.tv")
	ttl := fs.Duration("pin-ttl", plextvtest.DefaultPinTTL, "with --demo: how long codes live")
	showVersion := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return exitOK
		}
		return usageError(env, err.Error())
	}
	rest := fs.Args()
	switch {
	case *showVersion || len(rest) == 1 && rest[0] == "version":
		fmt.Fprintf(env.Stdout, "Plex Link %s (%s, %s/%s)\n", settings.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case len(rest) == 1 && rest[0] == "help":
		fmt.Fprint(env.Stdout, usage)
		return exitOK
	case len(rest) > 0 && rest[0] == "window": // started by the tray process, not listed
		return runWindowProcess(st, rest[1:], env)
	case len(rest) > 0:
		return usageError(env, fmt.Sprintf("unexpected argument %q (the command line is `plexlink`)", rest[0]))
	}
	if *demo {
		if *ttl < time.Second {
			return usageError(env, "--pin-ttl must be at least 1s")
		}
		return runDemo(st, *ttl, env)
	}
	return run(st, env, *background, false)
}

func usageError(env Env, msg string) int {
	fmt.Fprintf(env.Stderr, "plexlink-desktop: %s\n\n%s", msg, usage)
	return exitUsage
}

func fail(env Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "plexlink-desktop: %s\n", strings.TrimSpace(fmt.Sprintf(format, args...)))
	return exitFailure
}

// trayProbeTimeout bounds the D-Bus question whether a tray host exists.
const trayProbeTimeout = 2 * time.Second

// run starts the desktop app: the tray process when the session has a tray, which starts
// the Fyne window as a child process on demand; otherwise one plain Fyne window that quits
// when closed.
func run(st settings.Settings, env Env, background, demo bool) int {
	svc, logger, code := open(st, env)
	if svc == nil {
		return code
	}
	service := st.KeyringService()
	inst, code, done := acquireInstance(service, background, env, logger)
	if done {
		return code
	}
	if inst != nil {
		defer inst.Close()
	}
	var auto desktop.Autostart
	if !demo {
		auto = desktop.NewAutostart()
	}
	if why := desktop.TrayUnavailable(trayProbeTimeout); why != "" || env.TrayIcons.Normal == nil {
		if why == "" {
			why = "this build has no tray icons"
		}
		logger.Info("no system tray; running as a plain window (closing it quits)", "reason", why)
		return env.Window(WindowOptions{
			Service:   svc,
			Demo:      demo,
			OpenURL:   desktop.OpenBrowser,
			Logger:    logger,
			Instance:  inst,
			LinkLock:  func(stop func()) (func(), error) { return st.LinkLock(logger, stop) },
			Autostart: auto,
			Clipboard: tray.NewClipboard(),
		})
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(env, "finding this program to start its window: %v", err)
	}
	o := tray.Options{
		Backend:    svc,
		Title:      title(demo),
		Launch:     tray.ProcessLauncher(exe, windowArgs(st, demo), windowEnv(service), logger),
		Clipboard:  tray.NewClipboard(),
		Notify:     notifier(logger),
		ShowWindow: !background,
		Logger:     logger,
	}
	if auto != nil {
		o.Autostart = auto
	}
	if inst != nil {
		o.Requests = inst.Requests()
	}
	return tray.Run(o, tray.Icons{Normal: env.TrayIcons.Normal, Relink: env.TrayIcons.Relink})
}

// notifier sends the tray's notifications off its loop; a session without a notification
// server only loses them to the log (the menu shows the same state).
func notifier(log *slog.Logger) func(title, body string) {
	return func(title, body string) {
		go func() {
			if err := notify.Send(title, body); err != nil {
				log.Info("notification not shown", "err", err)
			}
		}()
	}
}

func title(demo bool) string {
	if demo {
		return "Plex Link (demo)"
	}
	return "Plex Link"
}

// windowArgs start this program as the window process with the tray's settings. Only
// addresses travel in argv; the window reads the token from the keychain itself.
func windowArgs(st settings.Settings, demo bool) []string {
	var args []string
	if st.ServerURL != "" {
		args = append(args, "--server-url", st.ServerURL)
	}
	if st.LinkURL != "" {
		args = append(args, "--link-url", st.LinkURL)
	}
	args = append(args, "window")
	if demo {
		args = append(args, "--demo")
	}
	return args
}

// windowEnv is this process's environment with the keychain service the tray uses (the
// demo's own one is not in the environment).
func windowEnv(service string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLEXLINK_KEYRING_SERVICE=") {
			env = append(env, kv)
		}
	}
	return append(env, "PLEXLINK_KEYRING_SERVICE="+service)
}

// runWindowProcess is the window process the tray starts (`window [--link|--unlink]`): a
// Fyne window that speaks internal/winproto on stdin/stdout and exits when closed. It takes
// no single-instance lock: the tray owns that and starts at most one window.
func runWindowProcess(st settings.Settings, args []string, env Env) int {
	fs := flag.NewFlagSet("window", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	link := fs.Bool("link", false, "start linking at once")
	unlink := fs.Bool("unlink", false, "ask to unlink at once")
	demo := fs.Bool("demo", false, "the demo's title")
	if err := fs.Parse(args); err != nil {
		return usageError(env, err.Error())
	}
	svc, logger, code := open(st, env)
	if svc == nil {
		return code
	}
	start := "show"
	switch {
	case *link:
		start = "link"
	case *unlink:
		start = "unlink"
	}
	o := WindowOptions{
		Service:  svc,
		Demo:     *demo,
		OpenURL:  desktop.OpenBrowser,
		Logger:   logger,
		LinkLock: func(stop func()) (func(), error) { return st.LinkLock(logger, stop) },
		Parent:   &Parent{Start: start, Commands: os.Stdin, Events: env.Stdout},
		// Only to tell whether a secret copy is possible: the tray does the copying.
		Clipboard: tray.NewClipboard(),
		// No Autostart: the tray owns start at login and tells the window (winproto state).
	}
	return env.Window(o)
}

// runDemo runs the app against a fake plex.tv of its own, on loopback, with its own
// keychain service and config: it can never touch a real link.
func runDemo(st settings.Settings, ttl time.Duration, env Env) int {
	if st.ServerURL != "" || st.LinkURL != "" {
		return usageError(env, "--demo runs its own fake plex.tv; --server-url and --link-url do not apply")
	}
	srv, err := plextvtest.Listen("127.0.0.1:0", plextvtest.WithPinTTL(ttl), plextvtest.WithStrongPinTTL(2*ttl))
	if err != nil {
		return fail(env, "starting the demo's fake plex.tv: %v", err)
	}
	defer srv.Close()
	st.ServerURL, st.LinkURL = srv.URL, srv.LinkURL
	service := settings.DemoService
	if s := env.Getenv("PLEXLINK_KEYRING_SERVICE"); s != "" && s != storage.DefaultService {
		service = s
	}
	getenv := env.Getenv
	st.Getenv = func(k string) string {
		if k == "PLEXLINK_KEYRING_SERVICE" {
			return service
		}
		return getenv(k)
	}
	env.Getenv = st.Getenv
	fmt.Fprintf(env.Stdout, "Plex Link demo — offline, against a built-in fake plex.tv at %s\n", srv.URL)
	fmt.Fprintf(env.Stdout, "Approve codes on the fake link page (%s) that opens in your browser.\n", srv.LinkURL)
	fmt.Fprintf(env.Stdout, "Keychain service: %s. Your real Plex link is not touched.\n", service)
	return run(st, env, false, true)
}

// open is what both processes of the app start with: a window to show (this build has one),
// the account service and the log. A nil service means the start failed with code, said.
func open(st settings.Settings, env Env) (*account.Service, *slog.Logger, int) {
	if env.Window == nil {
		return nil, nil, fail(env, "this build has no window")
	}
	svc, err := st.Open(env.Stderr)
	if err != nil {
		return nil, nil, fail(env, "%v", err)
	}
	return svc, newLogger(env), exitOK
}

// newLogger logs to stderr at info level, or debug with PLEXLINK_LOG=debug. Nothing logged
// may hold a token: auth.Token formats as "[redacted]" and the UI logs states, not secrets.
func newLogger(env Env) *slog.Logger {
	level := slog.LevelInfo
	if env.Getenv("PLEXLINK_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(logOutput(env), &slog.HandlerOptions{Level: level}))
}
