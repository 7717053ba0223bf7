package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/settings"
	"codeberg.org/plexlink/plexlink/storage"
	"github.com/spf13/cobra"
)

// checkTimeout bounds a status check against plex.tv: a script waiting on `status` should
// get "could not check" quickly rather than hang on a dead network.
const checkTimeout = 10 * time.Second

type linkOptions struct{ noBrowser, strong bool }

func newCmdLink(f *factory) *cobra.Command {
	o := &linkOptions{}
	cmd := &cobra.Command{
		Use:   "link",
		Short: "Link a Plex account from the terminal: shows the code, opens the browser, waits, stores",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return exit(linkRun(f, o)) },
	}
	cmd.Flags().BoolVar(&o.noBrowser, "no-browser", false, "do not open a browser; just print the code and URL (e.g. over SSH)")
	cmd.Flags().BoolVar(&o.strong, "strong", false, "use a strong code and the app.plex.tv sign-in page")
	return cmd
}

func linkRun(f *factory, o *linkOptions) int {
	env := f.env
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	// With no keychain to store into, say so now, not after the user has approved a code.
	if _, err := svc.Tokens.Load(); errors.Is(err, storage.ErrKeychainUnavailable) {
		return fail(env, exitFailure, "cannot link: %v", err)
	}
	ctx, stop := f.signalContext()
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	unlock, err := f.st.LinkLock(f.logger(), func() { cancel(settings.ErrStoppedByUnlink) })
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	defer unlock()

	p := newProgress(env.Stdout, isTerminal(env.Stdout))
	defer p.stop()
	opts := account.LinkOptions{Strong: o.strong, OnEvent: p.event}
	if !o.noBrowser {
		opts.OpenURL = env.OpenURL
	}
	out := svc.Link(ctx, opts)
	p.stop()
	switch out.Kind {
	case account.Linked:
		if out.Err != nil {
			fmt.Fprintf(env.Stderr, "plexlink: %v\n", out.Err)
		}
		fmt.Fprintf(env.Stdout, "Linked as %s\n", account.DisplayName(out.Account))
		if note := out.DroppedNote(); note != "" {
			fmt.Fprintf(env.Stderr, "plexlink: %s\n", note)
		}
		return exitOK
	case account.NotSaved:
		return retrySave(out, env)
	case account.Cancelled:
		if errors.Is(context.Cause(ctx), settings.ErrStoppedByUnlink) {
			return fail(env, exitFailure, "%v; nothing was stored", settings.ErrStoppedByUnlink)
		}
		return fail(env, exitInterrupted, "%s", out.Summary())
	case account.Expired, account.Rejected:
		return fail(env, exitFailure, "%s Run `plexlink link` again.", out.Summary())
	default:
		return fail(env, exitFailure, "%s", out.Summary())
	}
}

// retrySave keeps a validated token alive in memory while the keychain is fixed, so a
// locked keychain never costs the user a second trip through plex.tv/link.
func retrySave(out account.Outcome, env Env) int {
	fmt.Fprintf(env.Stderr, "plexlink: %s\n", out.Summary())
	if !isTerminal(env.Stdin) {
		return fail(env, exitFailure, "the token was not stored; fix the keychain and run `plexlink link` again")
	}
	in := bufio.NewReader(env.Stdin)
	for {
		fmt.Fprint(env.Stderr, "Unlock or start your keychain, then press Enter to try again (Ctrl-D to give up): ")
		if _, err := in.ReadString('\n'); err != nil {
			fmt.Fprintln(env.Stderr)
			return fail(env, exitFailure, "the token was not stored")
		}
		if out = out.Retry(); out.Kind == account.NotSaved {
			fmt.Fprintf(env.Stderr, "plexlink: still failing: %v\n", out.Err)
			continue
		}
		fmt.Fprintf(env.Stdout, "Linked as %s\n", account.DisplayName(out.Account))
		return exitOK
	}
}

// statusJSON is the stable, documented shape of `plexlink status --json`.
type statusJSON struct {
	Linked     bool    `json:"linked"`
	Username   string  `json:"username"`
	Title      string  `json:"title,omitempty"`
	Email      string  `json:"email,omitempty"`
	AccountID  int64   `json:"account_id,omitempty"`
	LinkedAt   string  `json:"linked_at,omitempty"`
	Valid      *bool   `json:"valid"`
	CheckError string  `json:"check_error,omitempty"`
	Error      string  `json:"error,omitempty"`
	Tools      *int    `json:"tools,omitempty"`
	Service    string  `json:"keyring_service"`
	ServerURL  *string `json:"server_url,omitempty"`
}

type statusOptions struct{ asJSON, offline bool }

func newCmdStatus(f *factory) *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the linked account and whether plex.tv accepts the token",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return exit(statusRun(f, o)) },
	}
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&o.offline, "offline", false, "do not ask plex.tv whether the token still works")
	return cmd
}

func statusRun(f *factory, o *statusOptions) int {
	env := f.env
	asJSON, offline := &o.asJSON, &o.offline
	out := statusJSON{Service: f.st.KeyringService()}
	emit := func(code int, human func()) int {
		if *asJSON {
			_ = json.NewEncoder(env.Stdout).Encode(out)
		} else {
			human()
		}
		return code
	}
	svc, err := f.service()
	if err != nil {
		out.Error = err.Error()
		return emit(exitFailure, func() { fail(env, exitFailure, "%v", err) })
	}
	ctx, stop := f.signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	st, err := svc.Status(ctx, !*offline)
	if err != nil {
		out.Error = err.Error()
		return emit(exitKeychain, func() { fail(env, exitKeychain, "%v", err) })
	}
	if errors.Is(st.CheckErr, account.ErrOtherHost) {
		out.Error = st.CheckErr.Error()
		return emit(exitFailure, func() { fail(env, exitFailure, "%v", st.CheckErr) })
	}
	if !st.Linked {
		return emit(exitFailure, func() {
			fmt.Fprintln(env.Stdout, "Not linked. Run `plexlink link` to link your Plex account.")
		})
	}
	out.Linked = true
	out.Valid = st.Valid
	out.Tools = &st.Tools
	if a := st.Account; a != nil {
		out.Username, out.Title, out.Email, out.AccountID = a.Username, a.Title, a.Email, a.ID
		if !a.LinkedAt.IsZero() {
			out.LinkedAt = a.LinkedAt.UTC().Format(time.RFC3339)
		}
	}
	if st.CheckErr != nil {
		out.CheckError = st.CheckErr.Error()
	}
	return emit(exitOK, func() {
		who := account.DisplayName(st.Account)
		if st.Account != nil && st.Account.Email != "" && st.Account.Email != who {
			who += " <" + st.Account.Email + ">"
		}
		fmt.Fprintf(env.Stdout, "Linked as %s\n", who)
		if st.Tools > 0 {
			fmt.Fprintf(env.Stdout, "Tools with a token of their own: %d (`plexlink tools`)\n", st.Tools)
		}
		switch {
		case *offline:
			fmt.Fprintln(env.Stdout, "plex.tv: not checked (--offline)")
		case st.Valid != nil && *st.Valid:
			fmt.Fprintln(env.Stdout, "plex.tv: token valid")
		case st.Valid != nil:
			fmt.Fprintln(env.Stdout, "plex.tv: token rejected — run `plexlink link` to relink")
		default:
			fmt.Fprintf(env.Stdout, "plex.tv: could not check (%v)\n", st.CheckErr)
		}
	})
}

func newCmdToken(f *factory) *cobra.Command {
	h := &handoffFlags{}
	cmd := &cobra.Command{
		Use:     "token",
		Short:   "Print the token and a newline, nothing else (--server: that server's own token; --tool: a token for that tool alone)",
		Example: `  curl -H "X-Plex-Token: $(plexlink token)" https://plex.tv/api/v2/user`,
		Args:    noArgs,
		RunE:    func(*cobra.Command, []string) error { return exit(tokenRun(f, h)) },
	}
	h.register(f, cmd)
	return cmd
}

func tokenRun(f *factory, h *handoffFlags) int {
	env := f.env
	if err := h.check(); err != nil {
		return report(env, err)
	}
	var tok string
	if h.server == "" && h.tool == "" && h.user == "" {
		// Only the keychain: no config, no network, no GUI, so scripts can call this often.
		t, err := f.accountToken()
		if err != nil {
			return report(env, plexError(err))
		}
		tok = t
	} else {
		svc, err := f.service()
		if err != nil {
			return fail(env, exitFailure, "%v", err)
		}
		ctx, stop := f.timeoutContext(handoffTimeout)
		defer stop()
		c, err := chooseFor(ctx, f, svc, *h, false)
		if err != nil {
			return report(env, err)
		}
		c.warn(env)
		tok = c.token.Reveal()
	}
	if _, err := fmt.Fprintln(env.Stdout, tok); err != nil {
		return exitFailure
	}
	return exitOK
}

func newCmdUnlink(f *factory) *cobra.Command {
	var signOut bool
	cmd := &cobra.Command{
		Use:   "unlink",
		Short: "Remove the token and the tools' tokens from this computer (--sign-out: also invalidate them on plex.tv)",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return exit(unlinkRun(f, signOut)) },
	}
	cmd.Flags().BoolVar(&signOut, "sign-out", false, "also invalidate the tokens on plex.tv")
	return cmd
}

func unlinkRun(f *factory, signOut bool) int {
	env := f.env
	svc, err := f.service()
	if err != nil {
		return fail(env, exitFailure, "%v", err)
	}
	st, err := svc.Status(f.env.Context, false)
	if err != nil {
		return fail(env, exitKeychain, "%v", err)
	}
	ctx, stop := f.signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	res, err := svc.Unlink(ctx, signOut)
	if err != nil {
		return fail(env, exitFailure, "unlink failed: %v", err)
	}
	for _, name := range res.ToolsNotSignedOut {
		fmt.Fprintf(env.Stderr, "plexlink: could not sign out %s's token on plex.tv; it was removed here but stays valid until you remove the device %q at https://app.plex.tv/desktop/#!/settings/devices/all\n", name, name)
	}
	unlinkedUsers(env, res)
	if n := len(res.ToolsRemoved); n > 0 {
		fmt.Fprintf(env.Stdout, "Removed the tokens of %d tool(s): %s.\n", n, strings.Join(res.ToolsRemoved, ", "))
	}
	if signOut && st.Linked {
		if res.SignedOut {
			fmt.Fprintln(env.Stdout, "Signed out on plex.tv.")
		} else {
			fmt.Fprintf(env.Stderr, "plexlink: could not sign out on plex.tv (%v); the token was removed from this computer but stays valid until you remove the device at https://app.plex.tv/desktop/#!/settings/devices/all\n", res.SignOutErr)
		}
	}
	if !st.Linked {
		fmt.Fprintln(env.Stdout, "Not linked; nothing to remove.")
		return exitOK
	}
	fmt.Fprintln(env.Stdout, "Unlinked: the token was removed from the keychain.")
	return exitOK
}

const waitingText = "Waiting for you to approve the code…"

// progress renders engine states on a terminal (a live countdown line) or as plain lines.
type progress struct {
	out io.Writer
	tty bool

	mu       sync.Mutex
	status   string
	deadline time.Time
	ticker   *time.Ticker
	done     chan struct{}
	once     sync.Once
}

func newProgress(out io.Writer, tty bool) *progress {
	p := &progress{out: out, tty: tty, done: make(chan struct{})}
	if tty {
		p.ticker = time.NewTicker(time.Second)
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	for {
		select {
		case <-p.ticker.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		case <-p.done:
			return
		}
	}
}

// stop ends the countdown and leaves the cursor on a fresh line.
func (p *progress) stop() {
	p.once.Do(func() {
		if p.ticker != nil {
			p.ticker.Stop()
			close(p.done)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.tty && p.status != "" {
			fmt.Fprint(p.out, "\r\033[K")
		}
		p.status = ""
	})
}

func (p *progress) redraw() {
	if !p.tty || p.status == "" {
		return
	}
	line := p.status
	if !p.deadline.IsZero() {
		left := time.Until(p.deadline).Round(time.Second)
		if left < 0 {
			left = 0
		}
		line += fmt.Sprintf(" — code expires in %d:%02d", int(left.Minutes()), int(left.Seconds())%60)
	}
	fmt.Fprintf(p.out, "\r\033[K%s", line)
}

// setStatus shows s as the live line (terminal) or as a new line (pipe, log file).
func (p *progress) setStatus(s string) {
	p.status = s
	if p.tty {
		p.redraw()
		return
	}
	fmt.Fprintln(p.out, s)
}

// println prints a permanent line above the live one.
func (p *progress) println(s string) {
	if p.tty && p.status != "" {
		fmt.Fprint(p.out, "\r\033[K")
	}
	fmt.Fprintln(p.out, s)
	p.redraw()
}

func (p *progress) event(e auth.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.State {
	case auth.StatePinReady, auth.StateRenewed:
		p.deadline = e.ExpiresAt
		head := "Your Plex link code:"
		if e.State == auth.StateRenewed {
			head = "The previous code expired. Your new Plex link code:"
		}
		text := head + "\n\n"
		if big := bigText(e.Code); big != "" && len(e.Code) <= 8 {
			text += big + "\n"
		}
		text += "    " + e.Code + "\n\nOpen " + e.LinkURL + " and approve the code."
		if !e.ExpiresAt.IsZero() {
			text += fmt.Sprintf(" It expires at %s.", e.ExpiresAt.Local().Format("15:04:05"))
		}
		p.println(text)
		p.setStatus(waitingText)
	case auth.StateBrowserFailed:
		p.println(fmt.Sprintf("Could not open a browser (%v); open the link above by hand.", e.Err))
	case auth.StateWaiting:
		if p.status != waitingText {
			p.setStatus(waitingText)
		}
	case auth.StateRetrying:
		p.setStatus(fmt.Sprintf("plex.tv did not answer (%v); retrying in %s…", e.Err, e.RetryIn.Round(time.Second)))
	case auth.StateValidating:
		p.deadline = time.Time{}
		p.setStatus("Approved; checking the token with plex.tv…")
	case auth.StateLinked, auth.StateFailed:
		// The caller prints the outcome once Link returns.
	}
}

// isTerminal reports whether f is an interactive terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	// /dev/null is a character device too, and the usual stdin of scripts and services.
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}
