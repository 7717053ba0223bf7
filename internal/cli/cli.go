// Package cli is the `plexlink` command line (cmd/plexlink): link, status, token, servers,
// env, exec, tools, users, unlink, demo, fake-server. It is pure Go — no Fyne, no tray, no cgo —
// so it runs in any terminal and on any machine (a NAS, a Raspberry Pi, a Windows console).
// The desktop app is the other program (the root main.go, internal/app).
//
// Commands are a table in the style of the GitHub CLI: newCmdX builds the cobra command and
// binds its flags, xRun runs it against the factory's account service and prints. A run
// function prints its own errors and returns the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/settings"
	"codeberg.org/plexlink/plexlink/storage"
)

// Exit codes shared by all commands.
const (
	exitOK          = 0
	exitFailure     = 1 // also "not linked" for status and token
	exitUsage       = 2 // bad command or flag
	exitKeychain    = 2 // status/token: the keychain could not be read
	exitInterrupted = 130
)

// Env is the process's outside world, injectable for tests.
type Env struct {
	Stdin          io.Reader // what `exec` children and link's retry prompt read; nil → os.Stdin
	Stdout, Stderr io.Writer
	Getenv         func(string) string // nil → os.Getenv
	Environ        func() []string     // the environment `exec` passes on; nil → os.Environ
	// Open builds the account service for the settings; nil → the real one (the OS
	// keychain, config.json, plex.tv). In-process tests pass one over storage.MemoryStore
	// and the fake plex.tv.
	Open func(settings.Settings) (*account.Service, error)
	// Desktop runs the desktop app with args (`plexlink demo`); nil → look for it beside
	// this program and on PATH.
	Desktop func(args []string) int
	// OpenURL opens link's page in a browser; nil → the system's browser.
	OpenURL func(url string) error
	// Context is what every command runs under; cancelling it is a Ctrl-C. nil →
	// context.Background() (the commands watch SIGINT and SIGTERM themselves).
	Context context.Context
}

// factory is what every command is built with: the process's Env and the settings the
// persistent flags fill in.
type factory struct {
	env Env
	st  settings.Settings
}

// service opens the account service for the settings.
func (f *factory) service() (*account.Service, error) {
	if f.env.Open != nil {
		return f.env.Open(f.st)
	}
	return f.st.Open(f.env.Stderr)
}

// accountToken reads only the stored account token: no config, no network (`plexlink
// token` is called often by scripts).
func (f *factory) accountToken() (string, error) {
	if f.env.Open != nil {
		svc, err := f.env.Open(f.st)
		if err != nil {
			return "", err
		}
		return svc.Tokens.Load()
	}
	return storage.NewKeychain(f.st.KeyringService()).Load()
}

// signalContext is the command's context: Env.Context, ended by SIGINT or SIGTERM too.
func (f *factory) signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(f.env.Context, os.Interrupt, syscall.SIGTERM)
}

// logger logs to stderr at info level, or debug with PLEXLINK_LOG=debug.
func (f *factory) logger() *slog.Logger {
	level := slog.LevelInfo
	if f.env.Getenv("PLEXLINK_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(f.env.Stderr, &slog.HandlerOptions{Level: level}))
}

// exitError is an exit code whose message was already printed.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// exit turns a run function's exit code into what cobra's RunE returns.
func exit(code int) error {
	if code == exitOK {
		return nil
	}
	return exitError(code)
}

// usageError reports a bad invocation of cmd: the message, then cmd's usage, exit 2.
func (f *factory) usageError(cmd *cobra.Command, msg string) int {
	fmt.Fprintf(f.env.Stderr, "plexlink: %s\n\n%s", msg, cmd.UsageString())
	return exitUsage
}

// noArgs refuses positional arguments with the message scripts have always seen.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q", args[0])
	}
	return nil
}

func fail(env Env, code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(env.Stderr, "plexlink: %s\n", strings.TrimSpace(msg))
	return code
}

// Main runs the command line and returns the process exit code.
func Main(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Environ == nil {
		env.Environ = os.Environ
	}
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	if env.OpenURL == nil {
		env.OpenURL = desktop.OpenBrowser
	}
	if env.Context == nil {
		env.Context = context.Background()
	}
	f := &factory{env: env, st: settings.FromEnv(env.Getenv)}
	root := newCmdRoot(f)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	cmd, err := root.ExecuteC()
	var code exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	default:
		// cobra's own complaints: an unknown command or flag, wrong arguments.
		if cmd == nil {
			cmd = root
		}
		return f.usageError(cmd, err.Error())
	}
}

func newCmdRoot(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "plexlink",
		Short: "Plex Link keeps your Plex token in the OS keychain and hands it to the tools you run",
		Long: `Plex Link keeps your Plex token in the OS keychain and hands it to the tools you run.

The desktop app (tray icon and window) is the other program: plexlink-desktop, or Plex Link
in your applications.`,
		Version:       settings.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		// No Args validator: cobra's own check names an unknown command and suggests the
		// nearest ("did you mean"). A run with no command prints the help.
	}
	root.SetVersionTemplate(versionLine())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	// The flags win over the environment (settings.FromEnv), which fills f.st first.
	var serverURL, linkURL string
	pf := root.PersistentFlags()
	pf.StringVar(&serverURL, "server-url", "", "plex.tv API base (env PLEXLINK_SERVER_URL; default https://plex.tv/api/v2); https, or http on loopback")
	pf.StringVar(&linkURL, "link-url", "", "link page base; the browser opens <base>/?pin=CODE (env PLEXLINK_LINK_URL; default https://plex.tv/link)")
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if cmd.Flags().Changed("server-url") {
			f.st.ServerURL = serverURL
		}
		if cmd.Flags().Changed("link-url") {
			f.st.LinkURL = linkURL
		}
	}
	root.AddGroup(&cobra.Group{ID: "account", Title: "Your Plex account:"}, &cobra.Group{ID: "tools", Title: "Handing Plex to other tools:"})
	for _, c := range []*cobra.Command{newCmdLink(f), newCmdStatus(f), newCmdToken(f), newCmdUnlink(f)} {
		c.GroupID = "account"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdServers(f), newCmdEnv(f), newCmdExec(f), newCmdTools(f), newCmdUsers(f)} {
		c.GroupID = "tools"
		root.AddCommand(c)
	}
	root.AddCommand(newCmdDemo(f), newCmdFakeServer(f), newCmdVersion())
	root.SetHelpCommandGroupID("")
	root.SetCompletionCommandGroupID("")
	return root
}

func versionLine() string {
	return fmt.Sprintf("plexlink {{.Version}} (%s, %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newCmdVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "plexlink %s (%s, %s/%s)\n", settings.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}

func newCmdFakeServer(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "fake-server [flags]",
		Short: "Run the fake plex.tv (and fake media servers) on loopback; prints its URLs as one JSON line",
		Long: `Run the fake plex.tv on loopback, with three fake Plex Media Servers. It prints one JSON
line ({"api_url":…,"link_url":…,"account_token":…,…}); point plexlink at it with
PLEXLINK_SERVER_URL and PLEXLINK_LINK_URL. ` + "`plexlink fake-server --help`" + ` lists its flags.`,
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(plextvtest.RunFakeServer(args, f.env.Stdout, f.env.Stderr))
		},
	}
}
