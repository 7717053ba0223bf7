package cli

// Plex Home users: `plexlink users`, and --user on token, servers, env, exec, tools and
// tools revoke (internal/account/home.go keeps the rules: per-user keychain items, the PIN
// asked only for a switch and never kept, the account token never switched).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/termtext"
)

// homePINVar holds a Home user's PIN for a switch that needs one (never a flag: argv is
// visible to every process on the machine).
const homePINVar = "PLEXLINK_HOME_PIN"

// userJSON is the documented shape of `plexlink users --json`. It has no token field.
type userJSON struct {
	Name       string `json:"name"`
	UUID       string `json:"uuid"`
	Admin      bool   `json:"admin"`
	Restricted bool   `json:"restricted"`
	Protected  bool   `json:"protected"`
}

func newCmdUsers(f *factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "users",
		Short: "The Plex Home's users: name, uuid, admin, managed, PIN (never a token)",
		Example: `  plexlink users
  plexlink token --user Kid`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return exit(usersRun(f, asJSON)) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func usersRun(f *factory, asJSON bool) int {
	env := f.env
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	ctx, stop := f.timeoutContext(checkTimeout)
	defer stop()
	users, err := svc.HomeUsers(ctx)
	if err != nil {
		return report(env, plexError(err))
	}
	out := make([]userJSON, 0, len(users))
	rows := make([][]string, 0, len(users))
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, u := range users {
		j := userJSON{Name: account.HomeUserName(u), UUID: u.UUID, Admin: u.Admin, Restricted: u.Restricted, Protected: u.Protected}
		out = append(out, j)
		// Members name themselves: nothing a terminal would act on.
		rows = append(rows, []string{termtext.Clean(j.Name), termtext.Clean(j.UUID), yes(j.Admin), yes(j.Restricted), yes(j.Protected)})
	}
	if asJSON {
		b, _ := json.Marshal(out)
		_, _ = env.Stdout.Write(append(termtext.EscapeJSON(b), '\n'))
		return exitOK
	}
	return printList(env, false, out, "This account has no Plex Home.", []string{"NAME", "UUID", "ADMIN", "MANAGED", "PIN"}, rows)
}

// registerUserFlag adds --user (completed with the Home's names) to cmd.
func registerUserFlag(f *factory, cmd *cobra.Command, user *string) {
	cmd.Flags().StringVar(user, "user", "", "act as this Plex Home user (name, or uuid): their token, servers and tools; "+
		"a PIN comes from "+homePINVar+" or a prompt")
	_ = cmd.RegisterFlagCompletionFunc("user", f.completeHomeUsers)
}

// completeHomeUsers offers the Home's user names (GET /home/users).
func (f *factory) completeHomeUsers(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	svc, err := f.service()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	defer cancel()
	users, err := svc.HomeUsers(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, u := range users {
		name := termtext.Clean(account.HomeUserName(u))
		what := "member"
		switch {
		case u.Admin:
			what = "admin"
		case u.Restricted:
			what = "managed"
		}
		if u.Protected {
			what += ", PIN"
		}
		if strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) {
			out = append(out, name+"\t"+what)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// homePIN asks for a Home PIN: PLEXLINK_HOME_PIN, else a prompt without echo when stdin
// is a terminal, else ErrPINNeeded.
func (f *factory) homePIN() account.PINFunc {
	return func(u auth.HomeUser) (string, error) {
		if p := f.env.Getenv(homePINVar); p != "" {
			return p, nil
		}
		fd := int(os.Stdin.Fd())
		if !isTerminal(os.Stdin) || !term.IsTerminal(fd) {
			return "", account.ErrPINNeeded
		}
		fmt.Fprintf(f.env.Stderr, "Plex Home PIN for %s: ", termtext.Clean(account.HomeUserName(u)))
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(f.env.Stderr)
		if err != nil {
			return "", fmt.Errorf("reading the PIN: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
}

// chooseFor is choose with --user: the token is the Home user's (or, with --tool, the
// tool's token of that user) and --server picks among the servers that user sees.
func chooseFor(ctx context.Context, f *factory, svc *account.Service, h handoffFlags, probe bool) (choice, error) {
	if h.user == "" {
		return choose(ctx, svc, h.server, h.tool, probe)
	}
	var c choice
	var uh account.UserHandout
	if h.tool == "" {
		var err error
		if uh, err = svc.UserToken(ctx, h.user, f.homePIN()); err != nil {
			return c, plexError(err)
		}
		c.token = uh.Token
	} else {
		th, u, err := svc.UserToolToken(ctx, h.user, h.tool, f.homePIN())
		if err != nil {
			return c, plexError(err)
		}
		uh = u
		c.token, c.identity, c.notes = th.Token, &th.Identity, toolNotes(h.tool+" as "+termtext.Clean(account.HomeUserName(u.User)), th)
	}
	c.who = account.HomeUserName(uh.User)
	c.notes = append(userNotes(uh), c.notes...)
	return chooseServer(ctx, svc, c, h.server, probe)
}

// userNotes says what getting the user's token took beyond reading the keychain.
func userNotes(h account.UserHandout) []string {
	name := termtext.Clean(account.HomeUserName(h.User))
	switch {
	case h.Renewed:
		return []string{fmt.Sprintf("plex.tv no longer accepted %s's token (signed out elsewhere?); switched to %s again", name, name)}
	case h.Unchecked != nil:
		return []string{fmt.Sprintf("could not check %s's token with plex.tv (%v); handing out the stored one", name, h.Unchecked)}
	}
	return nil
}

// homeError is plexError for the Plex Home's own failures (nil: not one of those).
func homeError(err error) *failure {
	var amb *account.AmbiguousUserError
	switch {
	case errors.Is(err, account.ErrWrongPIN):
		return failf(exitFailure, "%s; nothing was changed (the account's token and any stored token are as they were)", termtext.Clean(err.Error()))
	case errors.Is(err, account.ErrPINNeeded):
		return failf(exitFailure, "%s: set %s, or run this on a terminal to be asked (the PIN is never stored)", termtext.Clean(err.Error()), homePINVar)
	case errors.As(err, &amb):
		return failf(exitUsage, "%s", termtext.Clean(err.Error()))
	case errors.Is(err, auth.ErrNoSuchHomeUser):
		return failf(exitFailure, "%s; `plexlink users` lists your Plex Home", termtext.Clean(err.Error()))
	}
	return nil
}

// withoutHomePIN drops PLEXLINK_HOME_PIN from what `exec` passes on: the PIN was for
// plexlink's switch, not for the command.
func withoutHomePIN(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if name, _, _ := strings.Cut(kv, "="); envKey(name) != envKey(homePINVar) {
			out = append(out, kv)
		}
	}
	return out
}

// revokeUserTool is `tools revoke --user USER NAME`.
func revokeUserTool(ctx context.Context, env Env, svc *account.Service, user, name string) int {
	err := svc.RevokeUserTool(ctx, user, name)
	if errors.Is(err, account.ErrNoTool) {
		return fail(env, exitFailure, "%s has no token of Plex Home user %q (`plexlink tools --user USER` lists those that do)", name, termtext.Clean(user))
	}
	if err != nil {
		return report(env, plexError(err))
	}
	fmt.Fprintf(env.Stdout, "Revoked %s's token of %s: signed out on plex.tv and removed from the keychain.\n", name, termtext.Clean(user))
	return exitOK
}

// unlinkedUsers reports the Home users' tokens unlink removed.
func unlinkedUsers(env Env, res account.UnlinkResult) {
	for _, name := range res.UsersNotSignedOut {
		fmt.Fprintf(env.Stderr, "plexlink: could not sign out %s's token on plex.tv; it was removed here but stays valid until that Plex Home user removes the device at https://app.plex.tv/desktop/#!/settings/devices/all\n", termtext.Clean(name))
	}
	if n := len(res.UsersRemoved); n > 0 {
		names := make([]string, n)
		for i, s := range res.UsersRemoved {
			names[i] = termtext.Clean(s)
		}
		fmt.Fprintf(env.Stdout, "Removed %d Plex Home user token(s): %s.\n", n, strings.Join(names, ", "))
	}
}
