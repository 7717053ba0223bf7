// Package cli is the command-line face of plexlink: link, status, token, unlink,
// fake-server, demo. It never creates a Fyne app, so every command works over SSH and in
// scripts with no display; the tray app is reached through the GUI callback main.go passes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/tray"
)

// Version is the app version, set at build time with -ldflags "-X ...cli.Version=…".
var Version = "0.1.0"

// Exit codes shared by all commands.
const (
	exitOK          = 0
	exitFailure     = 1 // also "not linked" for status and token
	exitUsage       = 2 // bad command or flag
	exitKeychain    = 2 // status/token: the keychain could not be read
	exitInterrupted = 130
)

// GUIOptions is what the tray app needs from the command line.
type GUIOptions struct {
	Service    *account.Service
	Background bool
	Demo       bool
	OpenURL    func(string) error
	Logger     *slog.Logger
	// Instance receives "show" requests from later launches; nil when single-instance
	// detection is unavailable.
	Instance *desktop.Instance
	// LinkLock keeps the window and a terminal `plexlink link` from linking at once.
	LinkLock func(stop func()) (unlock func(), err error)
	// Autostart is nil in the demo and in builds run from a temporary directory.
	Autostart *Autostart
	// Window is set in the window process a tray started (`plexlink window`); nil for the
	// one-process window of a session without a tray.
	Window *WindowIO
	// Clipboard copies the token as a secret (the same X11 clipboard the tray uses).
	Clipboard tray.Clipboard
}

// Env is the process's outside world, injectable for tests.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        func() []string // the environment `exec` passes on; nil → os.Environ
	// GUI starts the tray app and returns its exit code; nil in builds without a GUI.
	GUI func(GUIOptions) int
	// TrayIcons are the tray process's icons; without them the GUI runs as one window.
	TrayIcons TrayIcons
	// BeforeCommand runs once a command (not the tray app) is chosen, before it runs.
	BeforeCommand func()
}

// globals are the settings every command accepts, before or after the command name.
type globals struct {
	serverURL  string
	linkURL    string
	background bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.serverURL, "server-url", g.serverURL, "plex.tv API base URL (env PLEXLINK_SERVER_URL)")
	fs.StringVar(&g.linkURL, "link-url", g.linkURL, "link page base URL; the app opens <base>/?pin=CODE (env PLEXLINK_LINK_URL)")
}

const usage = `Plex Link keeps your Plex token in the OS keychain.

Usage:
  plexlink [--background]         start the tray app (no window with --background)
  plexlink link [--no-browser] [--strong]
                                  link a Plex account from the terminal
  plexlink status [--json] [--offline]
                                  show the linked account and whether plex.tv accepts the token
  plexlink token [--server S] [--tool T]
                                  print the token (for scripts: curl -H "X-Plex-Token: $(plexlink token)");
                                  --server: that server's own access token; --tool: a token for that tool alone
  plexlink servers [--json]       your Plex Media Servers and the URL that answers from here
  plexlink env [--server S] [--tool T] [--format sh|fish|powershell|dotenv|json]
                                  print PLEX_TOKEN, PLEX_URL, PLEXAPI_*, KOMETA_* for eval
  plexlink exec [--server S] [--tool T] [--force] -- COMMAND [ARGS…]
                                  run COMMAND with those variables in its environment only
  plexlink tools [--json]         list the tools with a token of their own
  plexlink tools revoke NAME      sign a tool's token out on plex.tv and remove it
  plexlink unlink [--sign-out]    remove the token and the tools' tokens (--sign-out also invalidates them on plex.tv)
  plexlink demo [--pin-ttl 15m]   the tray app against a built-in fake plex.tv (offline; keychain service plexlink-demo)
  plexlink fake-server [flags]    run the fake plex.tv on loopback (see plexlink fake-server --help)
  plexlink version                print the version
  plexlink help                   show this help

Settings (flags go before or after the command):
  --server-url URL   plex.tv API base (env PLEXLINK_SERVER_URL, default https://plex.tv/api/v2)
  --link-url URL     link page base (env PLEXLINK_LINK_URL, default https://plex.tv/link)
  PLEXLINK_KEYRING_SERVICE   keychain service name (default plexlink)
URLs must be https, or http on a loopback address.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Environ == nil {
		env.Environ = os.Environ
	}
	g := globals{serverURL: env.Getenv("PLEXLINK_SERVER_URL"), linkURL: env.Getenv("PLEXLINK_LINK_URL")}
	fs := newFlagSet("plexlink", env)
	g.register(fs)
	fs.BoolVar(&g.background, "background", false, "start the tray app without showing the window")
	showVersion := fs.Bool("version", false, "print the version")
	if code, ok := parse(fs, args, env); !ok {
		return code
	}
	if *showVersion {
		return cmdVersion(env)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return runGUI(ctxBackground(), g, env, false)
	}
	if g.background {
		return usageError(env, "--background starts the tray app and takes no command")
	}
	cmd, cmdArgs := rest[0], rest[1:]
	if env.BeforeCommand != nil && cmd != "demo" && cmd != "window" {
		env.BeforeCommand()
	}
	switch cmd {
	case "link":
		return cmdLink(g, cmdArgs, env)
	case "status":
		return cmdStatus(g, cmdArgs, env)
	case "token":
		return cmdToken(g, cmdArgs, env)
	case "unlink":
		return cmdUnlink(g, cmdArgs, env)
	case "servers":
		return cmdServers(g, cmdArgs, env)
	case "env":
		return cmdEnv(g, cmdArgs, env)
	case "exec":
		return cmdExec(g, cmdArgs, env)
	case "tools":
		return cmdTools(g, cmdArgs, env)
	case "demo":
		return cmdDemo(g, cmdArgs, env)
	case "window": // started by the tray process, not listed in the usage
		return cmdWindow(g, cmdArgs, env)
	case "fake-server":
		return cmdFakeServer(cmdArgs, env)
	case "version":
		if code, ok := parse(newFlagSet("version", env), cmdArgs, env); !ok {
			return code
		}
		return cmdVersion(env)
	case "help":
		fmt.Fprint(env.Stdout, usage)
		return exitOK
	default:
		return usageError(env, fmt.Sprintf("unknown command %q", cmd))
	}
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by parse
	return fs
}

// parse parses flags; on failure it returns the exit code to use. -h prints usage to
// stdout and succeeds (exit 0): asking for help is not an error.
func parse(fs *flag.FlagSet, args []string, env Env) (int, bool) {
	return parseArgs(fs, args, env, fs.Name() == "plexlink")
}

// parseArgs is parse for a command that takes arguments after its flags (withArgs).
func parseArgs(fs *flag.FlagSet, args []string, env Env, withArgs bool) (int, bool) {
	err := fs.Parse(args)
	if err == nil {
		if !withArgs && fs.NArg() > 0 {
			return usageError(env, fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))), false
		}
		return 0, true
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, usage)
		return exitOK, false
	}
	return usageError(env, err.Error()), false
}

func usageError(env Env, msg string) int {
	fmt.Fprintf(env.Stderr, "plexlink: %s\n\n%s", msg, usage)
	return exitUsage
}

func cmdVersion(env Env) int {
	fmt.Fprintf(env.Stdout, "plexlink %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

func fail(env Env, code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(env.Stderr, "plexlink: %s\n", strings.TrimSpace(msg))
	return code
}

func ctxBackground() context.Context { return context.Background() }
