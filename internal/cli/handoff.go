package cli

// Handing Plex to other tools: `servers`, `token --server/--tool`, `env`, `exec`, `tools`
// (docs/PLEX-TV-TOOLS.md says what those tools read and why).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/servers"
	"codeberg.org/plexlink/plexlink/internal/termtext"
	"codeberg.org/plexlink/plexlink/storage"
	"github.com/spf13/cobra"
)

// handoffTimeout bounds a command that asks plex.tv and then probes servers.
const handoffTimeout = checkTimeout + servers.ProbeTimeout + 2*time.Second

// execMarker is set in the environment of every `plexlink exec` child.
const execMarker = "PLEXLINK_EXEC"

// failure is a command's outcome other than success: the exit code and what to tell the user.
type failure struct {
	code int
	msg  string
}

func (f *failure) Error() string { return f.msg }

func failf(code int, format string, args ...any) *failure {
	return &failure{code: code, msg: fmt.Sprintf(format, args...)}
}

func report(env Env, err error) int {
	var f *failure
	if errors.As(err, &f) {
		return fail(env, f.code, "%s", f.msg)
	}
	return fail(env, exitFailure, "%v", err)
}

// plexError turns what plex.tv or the keychain said into a failure a user can act on.
func plexError(err error) *failure {
	var amb *servers.AmbiguousError
	if f := homeError(err); f != nil {
		return f
	}
	switch {
	case errors.Is(err, storage.ErrNotLinked):
		return failf(exitFailure, "not linked; run `plexlink link` first")
	case errors.Is(err, storage.ErrKeychainUnavailable):
		return failf(exitKeychain, "%v", err)
	case errors.Is(err, account.ErrBadToolName):
		return failf(exitUsage, "%v", err)
	case errors.Is(err, account.ErrAccountRefused), errors.Is(err, account.ErrOtherHost):
		return failf(exitFailure, "%v", err)
	case errors.Is(err, auth.ErrUnauthorized):
		return failf(exitFailure, "plex.tv rejected the token; run `plexlink link` to relink (%v)", err)
	case errors.As(err, &amb):
		return failf(exitUsage, "%v", err)
	default:
		return failf(exitFailure, "%v", err)
	}
}

// choice is what --server and --tool pick: the token to hand over and, with --server, where.
type choice struct {
	token    auth.Token
	url      string
	server   *servers.Server
	identity *auth.Identity // the tool's headers, with --tool
	notes    []string       // what the user should know about the token (stderr)
	who      string         // the Plex Home user it acts as, with --user ("" : the account)
}

// toolNotes says what ToolToken had to do beyond reading the keychain.
func toolNotes(tool string, h account.ToolHandout) []string {
	switch {
	case h.Renewed:
		return []string{fmt.Sprintf("plex.tv no longer accepted %s's token (signed out elsewhere?); it has a new one, under the same device", tool)}
	case h.Unchecked != nil:
		return []string{fmt.Sprintf("could not check %s's token with plex.tv (%v); handing out the stored one", tool, h.Unchecked)}
	}
	return nil
}

// warn prints the choice's notes on stderr, away from the output scripts read.
func (c choice) warn(env Env) {
	for _, n := range c.notes {
		fmt.Fprintf(env.Stderr, "plexlink: %s\n", n)
	}
}

// choose resolves --tool and --server. probe finds the server's URL too (env, exec).
func choose(ctx context.Context, svc *account.Service, server, tool string, probe bool) (choice, error) {
	var c choice
	if tool == "" {
		tok, err := svc.Tokens.Load()
		if err != nil {
			return c, plexError(err)
		}
		c.token = auth.Token(tok)
	} else {
		h, err := svc.ToolToken(ctx, tool)
		if err != nil {
			return c, plexError(err)
		}
		c.token, c.identity, c.notes = h.Token, &h.Identity, toolNotes(tool, h)
	}
	return chooseServer(ctx, svc, c, server, probe)
}

// chooseServer resolves --server for the token c holds (the account's, a tool's or a Home
// user's): that server's access token for them, and with probe its URL.
func chooseServer(ctx context.Context, svc *account.Service, c choice, server string, probe bool) (choice, error) {
	if server == "" {
		return c, nil
	}
	res, err := svc.Resources(ctx, c.token)
	if err != nil {
		return c, plexError(fmt.Errorf("listing your servers: %w", err))
	}
	list := servers.List(res)
	s, err := servers.Find(list, server)
	if errors.Is(err, servers.ErrNoServers) {
		return c, failf(exitFailure, "no server %q; your servers: %s", server, serverNames(list))
	}
	if err != nil {
		return c, plexError(err)
	}
	if s.Token.IsZero() {
		return c, failf(exitFailure, "plex.tv sent no access token for %s", termtext.Clean(s.Name))
	}
	if probe {
		// The server Find picked is the one probed: its token and its URL go together.
		s = servers.Connect(ctx, svc.ServerOptions(), s)
		if s.URL == "" {
			return c, failf(exitFailure, "none of %s's %d connections answered from this computer; `plexlink servers` shows them", termtext.Clean(s.Name), len(s.Connections))
		}
		c.url = s.URL
	}
	c.token, c.server = s.Token, &s
	return c, nil
}

func serverNames(list []servers.Server) string {
	if len(list) == 0 {
		return "(none: this account has no servers)"
	}
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = fmt.Sprintf("%q", termtext.Clean(s.Name))
	}
	return strings.Join(names, ", ")
}

// vars are the environment variables tools read (docs/PLEX-TV-TOOLS.md), for this choice:
// those of the hand-off table it sets; the others are removed (exec) or unset (env).
func (c choice) vars() []envVar {
	tok := c.token.Reveal()
	vs := setAll(nil, tokenVars, tok, tok, tok)
	if c.url != "" {
		vs = setAll(vs, urlVars, c.url, c.url, c.url)
	}
	if id := c.identity; id != nil {
		vs = setAll(vs, identityVars, id.ClientID, id.Product, id.DeviceName)
	}
	return vs
}

// handoffFlags are --server, --tool and --user, shared by token, env and exec.
type handoffFlags struct{ server, tool, user string }

func (h *handoffFlags) register(f *factory, cmd *cobra.Command) {
	cmd.Flags().StringVar(&h.server, "server", "", "a server's name or machine id: its own access token (and, for env/exec, its URL)")
	cmd.Flags().StringVar(&h.tool, "tool", "", "a tool's own token, minted on first use (names: a-z 0-9 . _ -)")
	_ = cmd.RegisterFlagCompletionFunc("server", f.completeServers)
	_ = cmd.RegisterFlagCompletionFunc("tool", f.completeTools)
	registerUserFlag(f, cmd, &h.user)
}

func (h handoffFlags) check() error {
	if h.tool != "" {
		if err := account.CheckToolName(h.tool); err != nil {
			return failf(exitUsage, "--tool %v", err)
		}
	}
	return nil
}

func (f *factory) timeoutContext(timeout time.Duration) (context.Context, func()) {
	ctx, stop := f.signalContext()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, func() { cancel(); stop() }
}

// serverJSON is the documented shape of `plexlink servers --json`. It has no token field.
type serverJSON struct {
	Name        string           `json:"name"`
	MachineID   string           `json:"machine_id"`
	Owned       bool             `json:"owned"`
	Owner       string           `json:"owner"`
	URL         string           `json:"url"`
	Connections []connectionJSON `json:"connections"`
}

type connectionJSON struct {
	URI     string `json:"uri"`
	Local   bool   `json:"local"`
	Relay   bool   `json:"relay"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"`
}

func newCmdServers(f *factory) *cobra.Command {
	var asJSON bool
	var user string
	cmd := &cobra.Command{
		Use:   "servers",
		Short: "Your Plex Media Servers, who owns them, and the URL that answers from here",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return exit(serversRunAs(f, asJSON, user)) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	registerUserFlag(f, cmd, &user)
	return cmd
}

func serversRun(f *factory, asJSON bool) int { return serversRunAs(f, asJSON, "") }

// serversRunAs is `servers`, as the Plex Home user named user ("": the account).
func serversRunAs(f *factory, asJSON bool, user string) int {
	env := f.env
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	ctx, stop := f.timeoutContext(handoffTimeout)
	defer stop()
	c, err := chooseFor(ctx, f, svc, handoffFlags{user: user}, false)
	if err != nil {
		return report(env, err)
	}
	c.warn(env)
	res, err := svc.Resources(ctx, c.token)
	if err != nil {
		return report(env, plexError(fmt.Errorf("listing your servers: %w", err)))
	}
	list := servers.Probe(ctx, svc.ServerOptions(), res, true)
	me := c.who
	if st, err := svc.Status(ctx, false); err == nil && st.Account != nil && me == "" {
		me = account.DisplayName(st.Account)
	}
	out := make([]serverJSON, 0, len(list))
	for _, s := range list {
		j := serverJSON{Name: s.Name, MachineID: s.MachineID, Owned: s.Owned, Owner: s.Owner, URL: s.URL,
			Connections: []connectionJSON{}}
		if s.Owned {
			j.Owner = me
		}
		for _, c := range s.Connections {
			j.Connections = append(j.Connections, connectionJSON{URI: c.URI, Local: c.Local, Relay: c.Relay, OK: c.OK, Skipped: c.Skipped})
		}
		out = append(out, j)
	}
	if asJSON {
		// The names are whatever the servers' owners chose: escaped, C1 and DEL too.
		b, _ := json.Marshal(out)
		_, _ = env.Stdout.Write(append(termtext.EscapeJSON(b), '\n'))
		return exitOK
	}
	rows := make([][]string, 0, len(out))
	for _, s := range out {
		owner, u := s.Owner, s.URL
		if s.Owned {
			owner = "you"
		}
		if u == "" {
			u = fmt.Sprintf("(none of %d connections answered)", len(s.Connections))
		}
		rows = append(rows, []string{termtext.Clean(s.Name), termtext.Clean(owner), termtext.Clean(u), termtext.Clean(s.MachineID)})
	}
	return printList(env, false, out, "This account has no Plex Media Servers.", []string{"NAME", "OWNER", "URL", "MACHINE ID"}, rows)
}

// printList prints v as JSON, or the rows as aligned columns under header (empty when there
// are none).
func printList(env Env, asJSON bool, v any, empty string, header []string, rows [][]string) int {
	if asJSON {
		_ = json.NewEncoder(env.Stdout).Encode(v)
		return exitOK
	}
	if len(rows) == 0 {
		fmt.Fprintln(env.Stdout, empty)
		return exitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	for _, r := range append([][]string{header}, rows...) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
	return exitOK
}

func newCmdEnv(f *factory) *cobra.Command {
	h := &handoffFlags{}
	var format string
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print PLEX_TOKEN, PLEX_URL, PLEXAPI_*, KOMETA_* for eval (and unset the ones not set)",
		Example: `  eval "$(plexlink env --server "Living Room")"
  plexlink env --tool kometa --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return exit(envRun(f, cmd, h, format)) },
	}
	h.register(f, cmd)
	cmd.Flags().StringVar(&format, "format", "sh", "sh, fish, powershell, dotenv or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"sh", "fish", "powershell", "dotenv", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func envRun(f *factory, cmd *cobra.Command, h *handoffFlags, format string) int {
	env := f.env
	render, ok := envFormats[format]
	if !ok {
		return f.usageError(cmd, fmt.Sprintf("env: unknown --format %q (sh, fish, powershell, dotenv, json)", format))
	}
	if err := h.check(); err != nil {
		return report(env, err)
	}
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	ctx, stop := f.timeoutContext(handoffTimeout)
	defer stop()
	c, err := chooseFor(ctx, f, svc, *h, true)
	if err != nil {
		return report(env, err)
	}
	c.warn(env)
	text, err := render(c.vars())
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	if _, err := fmt.Fprint(env.Stdout, text); err != nil {
		return exitFailure
	}
	return exitOK
}

func newCmdExec(f *factory) *cobra.Command {
	h := &handoffFlags{}
	var force bool
	cmd := &cobra.Command{
		Use:     "exec [--server S] [--tool T] [--user U] [--force] -- COMMAND [ARGS…]",
		Short:   "Run COMMAND with those variables in its environment only",
		Example: `  plexlink exec --server "Living Room" --tool kometa -- python3 kometa.py --run`,
		RunE:    func(cmd *cobra.Command, argv []string) error { return exit(execRun(f, cmd, h, force, argv)) },
	}
	// Flags stop at `--` or the command's name; what follows is the command, untouched.
	cmd.Flags().SetInterspersed(false)
	h.register(f, cmd)
	cmd.Flags().BoolVar(&force, "force", false, "run even inside another `plexlink exec`")
	return cmd
}

func execRun(f *factory, cmd *cobra.Command, h *handoffFlags, force bool, argv []string) int {
	env := f.env
	if len(argv) == 0 {
		return f.usageError(cmd, "exec: no command given (plexlink exec [--server S] [--tool T] -- COMMAND ARGS…)")
	}
	if env.Getenv(execMarker) != "" && !force {
		return fail(env, exitUsage, "already inside `plexlink exec` (%s is set); pass --force to run another one inside it", execMarker)
	}
	if err := h.check(); err != nil {
		return report(env, err)
	}
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	ctx, stop := f.timeoutContext(handoffTimeout)
	c, err := chooseFor(ctx, f, svc, *h, true)
	stop()
	if err != nil {
		return report(env, err)
	}
	c.warn(env)
	path, err := exec.LookPath(argv[0])
	if err != nil {
		code := 127
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		return fail(env, code, "exec: %v", err)
	}
	return runChild(path, argv, childEnv(withoutHomePIN(env.Environ()), c.vars()), env)
}

// childEnv is the parent's environment without any variable of the hand-off table, with
// the chosen variables and the marker added: a stale PLEX_URL (from an earlier `eval
// "$(plexlink env --server …)"`) never reaches the child next to another token.
func childEnv(base []string, vs []envVar) []string {
	vs = append(vs, envVar{execMarker, "1"})
	drop := make(map[string]bool, len(handoffVars)+len(vs))
	for _, n := range handoffVars {
		drop[envKey(n)] = true
	}
	for _, v := range vs {
		drop[envKey(v.name)] = true
	}
	out := make([]string, 0, len(base)+len(vs))
	for _, kv := range base {
		if name, _, _ := strings.Cut(kv, "="); !drop[envKey(name)] {
			out = append(out, kv)
		}
	}
	for _, v := range vs {
		out = append(out, v.name+"="+v.value)
	}
	return out
}

// envKey is how the system compares variable names: Windows ignores case.
func envKey(name string) string {
	if runtime.GOOS == "windows" {
		return strings.ToUpper(name)
	}
	return name
}

// runChild runs the command with stdio passed through and SIGINT/SIGTERM/SIGHUP forwarded,
// and returns its exit status (128+N when signal N killed it), as a shell would.
//
// The child stays in plexlink's process group. A Ctrl-C typed in the terminal whose
// foreground group that is reaches the child from the terminal itself; forwarding it too
// would make it a second Ctrl-C, which many tools take as "force quit". So SIGINT is
// forwarded only while plexlink's group is not the terminal's foreground (no terminal, a
// background job, a service manager). os/signal does not say who sent a signal, so a
// `kill -INT` aimed at plexlink alone while it is in the foreground is not passed on.
func runChild(path string, argv, environ []string, env Env) int {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args = argv
	cmd.Env = environ
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	tty := openControllingTerminal()
	defer tty.Close()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fail(env, 126, "exec: %v", err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == os.Interrupt && tty.foreground() {
					continue // the terminal's Ctrl-C: the child has it already
				}
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if err == nil {
		return exitOK
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fail(env, exitFailure, "exec: %v", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// toolJSON is the documented shape of `plexlink tools --json`. It has no token field.
type toolJSON struct {
	Name     string `json:"name"`
	ClientID string `json:"client_id"`
	Created  string `json:"created"`
	LastUsed string `json:"last_used,omitempty"`
	User     string `json:"user,omitempty"` // the Plex Home user the token is of ("": the account)
}

func newCmdTools(f *factory) *cobra.Command {
	var asJSON bool
	var user string
	cmd := &cobra.Command{
		Use:   "tools",
		Short: "List the tools with a token of their own (never the tokens)",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return exit(toolsRunAs(f, asJSON, user)) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	registerUserFlag(f, cmd, &user)
	cmd.AddCommand(newCmdToolsRevoke(f))
	return cmd
}

func toolsRun(f *factory, asJSON bool) int { return toolsRunAs(f, asJSON, "") }

// toolsRunAs lists the account's tools and the Plex Home users' ("user" says whose), or
// with user only that user's. No network: the keychain's index and config.json.
func toolsRunAs(f *factory, asJSON bool, user string) int {
	env := f.env
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	var tools []account.ToolInfo
	if user == "" {
		if tools, err = svc.Tools(); err != nil {
			return fail(env, exitFailure, "%v", err)
		}
	}
	ut, err := svc.UserTools(user)
	if errors.Is(err, auth.ErrNoSuchHomeUser) {
		return fail(env, exitFailure, "no Plex Home user %q has a tool token here (`plexlink users` lists the Home)", termtext.Clean(user))
	}
	if err != nil {
		return report(env, plexError(err))
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	out := make([]toolJSON, 0, len(tools)+len(ut))
	for _, t := range tools {
		out = append(out, toolJSON{Name: t.Name, ClientID: t.ClientID, Created: stamp(t.Created), LastUsed: stamp(t.LastUsed)})
	}
	for _, t := range ut {
		out = append(out, toolJSON{Name: t.Name, ClientID: t.ClientID, Created: stamp(t.Created), User: t.User})
	}
	header := []string{"TOOL", "CLIENT ID", "CREATED", "LAST USED"}
	if len(ut) > 0 {
		header = append(header, "USER")
	}
	rows := make([][]string, 0, len(out))
	for _, j := range out {
		row := []string{j.Name, j.ClientID, j.Created, j.LastUsed}
		if len(ut) > 0 {
			row = append(row, termtext.Clean(j.User))
		}
		rows = append(rows, row)
	}
	empty := "No tool has a token of its own yet; `plexlink token --tool NAME` makes one."
	if user != "" {
		empty = "No tool has a token of this Plex Home user yet; `plexlink token --user USER --tool NAME` makes one."
	}
	if asJSON {
		b, _ := json.Marshal(out)
		_, _ = env.Stdout.Write(append(termtext.EscapeJSON(b), '\n'))
		return exitOK
	}
	return printList(env, false, out, empty, header, rows)
}

func newCmdToolsRevoke(f *factory) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:               "revoke NAME",
		Short:             "Sign a tool's token out on plex.tv and remove it; the others keep working",
		ValidArgsFunction: f.completeToolArg,
		RunE:              func(cmd *cobra.Command, args []string) error { return exit(toolsRevokeRun(f, cmd, args)) },
	}
	registerUserFlag(f, cmd, &user)
	return cmd
}

func toolsRevokeRun(f *factory, cmd *cobra.Command, args []string) int {
	env := f.env
	if len(args) != 1 {
		return f.usageError(cmd, "tools revoke: give exactly one tool name")
	}
	name := args[0]
	if err := account.CheckToolName(name); err != nil {
		return f.usageError(cmd, fmt.Sprintf("tools revoke: %v", err))
	}
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	ctx, stop := f.timeoutContext(checkTimeout)
	defer stop()
	if user, _ := cmd.Flags().GetString("user"); user != "" {
		return revokeUserTool(ctx, env, svc, user, name)
	}
	if err := svc.RevokeTool(ctx, name); err != nil {
		if errors.Is(err, account.ErrNoTool) {
			return fail(env, exitFailure, "%s has no token of its own (`plexlink tools` lists those that do)", name)
		}
		return report(env, plexError(err))
	}
	fmt.Fprintf(env.Stdout, "Revoked %s's token: signed out on plex.tv and removed from the keychain.\n", name)
	return exitOK
}
