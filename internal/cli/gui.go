package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/storage"
)

// runGUI starts the tray app with the service the settings describe.
func runGUI(ctx context.Context, g globals, env Env, demo bool) int {
	if env.GUI == nil {
		return fail(env, exitFailure, "this build has no tray app; use the commands in `plexlink help`")
	}
	svc, err := newService(g, env)
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	logger := newLogger(env)
	service := keyringService(env)
	inst, code, done := acquireInstance(service, g.background, env, logger)
	if done {
		return code
	}
	if inst != nil {
		defer inst.Close()
	}
	o := GUIOptions{
		Service:    svc,
		Background: g.background,
		Demo:       demo,
		OpenURL:    openBrowser,
		Logger:     logger,
		Instance:   inst,
		LinkLock:   func() (func(), error) { return linkLock(service, logger) },
	}
	if !demo {
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
