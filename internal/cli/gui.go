package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/notify"
	"codeberg.org/plexlink/plexlink/internal/tray"
	"codeberg.org/plexlink/plexlink/storage"
)

// TrayIcons are the PNG tray icons main.go embeds.
type TrayIcons struct{ Normal, Relink []byte }

// WindowIO is the window process's link to the tray that started it (internal/winproto on
// its stdin and stdout).
type WindowIO struct {
	Start    string    // winproto.CmdShow, CmdLink or CmdUnlink
	Commands io.Reader // tray → window
	Events   io.Writer // window → tray
}

// trayProbeTimeout bounds the D-Bus question whether a tray host exists.
const trayProbeTimeout = 2 * time.Second

// runGUI starts the desktop app: the tray process when the session has a tray, which starts
// the Fyne window as a child process on demand; otherwise one plain Fyne window that quits
// when closed.
func runGUI(ctx context.Context, g globals, env Env, demo bool) int {
	if env.GUI == nil {
		return fail(env, exitFailure, "this build has no tray app; use the commands in `plexlink help`")
	}
	svc, err := newService(g, env)
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	logger := newLogger(env)
	service := keyringService(g, env)
	inst, code, done := acquireInstance(service, g.background, env, logger)
	if done {
		return code
	}
	if inst != nil {
		defer inst.Close()
	}
	var auto *Autostart
	if !demo {
		auto = newAutostart()
	}
	if why := desktop.TrayUnavailable(trayProbeTimeout); why != "" || env.TrayIcons.Normal == nil {
		if why == "" {
			why = "this build has no tray icons"
		}
		logger.Info("no system tray; running as a plain window (closing it quits)", "reason", why)
		return env.GUI(GUIOptions{
			Service:   svc,
			Demo:      demo,
			OpenURL:   openBrowser,
			Logger:    logger,
			Instance:  inst,
			LinkLock:  func(stop func()) (func(), error) { return linkLock(service, logger, stop) },
			Autostart: auto,
			Clipboard: tray.NewClipboard(),
		})
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(env, exitFailure, "finding this program to start its window: %v", err)
	}
	o := tray.Options{
		Backend:    svc,
		Title:      guiTitle(demo),
		Launch:     tray.ProcessLauncher(exe, windowArgs(g, demo), windowEnv(service), logger),
		Clipboard:  tray.NewClipboard(),
		Notify:     notifier(logger),
		ShowWindow: !g.background,
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

func guiTitle(demo bool) string {
	if demo {
		return "Plex Link (demo)"
	}
	return "Plex Link"
}

// windowArgs start this program as the window process with the tray's settings. Only
// addresses travel in argv; the window reads the token from the keychain itself.
func windowArgs(g globals, demo bool) []string {
	var args []string
	if g.serverURL != "" {
		args = append(args, "--server-url", g.serverURL)
	}
	if g.linkURL != "" {
		args = append(args, "--link-url", g.linkURL)
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

// cmdWindow is the window process the tray starts (`plexlink window [--link|--unlink]`):
// a Fyne window that speaks internal/winproto on stdin/stdout and exits when closed. It
// takes no single-instance lock: the tray owns that and starts at most one window.
func cmdWindow(g globals, args []string, env Env) int {
	fs := newFlagSet("window", env)
	g.register(fs)
	link := fs.Bool("link", false, "start linking at once")
	unlink := fs.Bool("unlink", false, "ask to unlink at once")
	demo := fs.Bool("demo", false, "the demo's title; no start at login")
	if code, ok := parse(fs, args, env); !ok {
		return code
	}
	if env.GUI == nil {
		return fail(env, exitFailure, "this build has no window; use the commands in `plexlink help`")
	}
	svc, err := newService(g, env)
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	logger := newLogger(env)
	service := keyringService(g, env)
	start := "show"
	switch {
	case *link:
		start = "link"
	case *unlink:
		start = "unlink"
	}
	o := GUIOptions{
		Service:  svc,
		Demo:     *demo,
		OpenURL:  openBrowser,
		Logger:   logger,
		LinkLock: func(stop func()) (func(), error) { return linkLock(service, logger, stop) },
		Window:   &WindowIO{Start: start, Commands: os.Stdin, Events: env.Stdout},
		// Only to tell whether a secret copy is possible: the tray does the copying.
		Clipboard: tray.NewClipboard(),
	}
	if !*demo {
		o.Autostart = newAutostart()
	}
	return env.GUI(o)
}

func cmdFakeServer(args []string, env Env) int {
	return plextvtest.RunFakeServer(args, env.Stdout, env.Stderr)
}

func cmdDemo(g globals, args []string, env Env) int {
	fs := newFlagSet("demo", env)
	ttl := fs.Duration("pin-ttl", plextvtest.DefaultPinTTL, "how long the demo's codes live (e.g. 30s to watch a code expire and renew)")
	if code, ok := parse(fs, args, env); !ok {
		return code
	}
	if *ttl < time.Second {
		return usageError(env, "demo: --pin-ttl must be at least 1s")
	}
	if g.serverURL != "" || g.linkURL != "" {
		return usageError(env, "demo runs its own fake plex.tv; --server-url and --link-url do not apply")
	}
	srv, err := plextvtest.Listen("127.0.0.1:0", plextvtest.WithPinTTL(*ttl), plextvtest.WithStrongPinTTL(2**ttl))
	if err != nil {
		return fail(env, exitFailure, "starting the demo's fake plex.tv: %v", err)
	}
	defer srv.Close()
	g.serverURL, g.linkURL = srv.URL, srv.LinkURL
	// The demo keeps its own keychain item and config, so it can never touch a real link.
	service := demoService
	if s := env.Getenv("PLEXLINK_KEYRING_SERVICE"); s != "" && s != storage.DefaultService {
		service = s
	}
	getenv := env.Getenv
	env.Getenv = func(k string) string {
		if k == "PLEXLINK_KEYRING_SERVICE" {
			return service
		}
		return getenv(k)
	}
	fmt.Fprintf(env.Stdout, "Plex Link demo — offline, against a built-in fake plex.tv at %s\n", srv.URL)
	fmt.Fprintf(env.Stdout, "Approve codes on the fake link page (%s) that opens in your browser.\n", srv.LinkURL)
	fmt.Fprintf(env.Stdout, "Keychain service: %s. Your real Plex link is not touched.\n", service)
	return runGUI(context.Background(), g, env, true)
}

// demoService is the keychain service `plexlink demo` uses.
const demoService = "plexlink-demo"

// newLogger logs to stderr at info level, or debug with PLEXLINK_LOG=debug. Nothing logged
// may hold a token: auth.Token formats as "[redacted]" and the UI logs states, not secrets.
func newLogger(env Env) *slog.Logger {
	level := slog.LevelInfo
	if env.Getenv("PLEXLINK_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(logOutput(env), &slog.HandlerOptions{Level: level}))
}
