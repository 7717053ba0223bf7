// Package account is the one place that combines the plex.tv client (auth) with the
// keychain and local state (storage). The CLI and the tray app both drive it, so the rules
// that protect a user's token live here once: a token is stored only after plex.tv has
// validated it, and a failed or cancelled relink never touches the token already stored.
package account

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/storage"
)

// Status is what the app knows about the link. Valid is nil when the token was not checked
// or plex.tv could not be asked (CheckErr says why); only a 401/422 answer makes it false.
type Status struct {
	Linked   bool
	Account  *storage.LinkedAccount
	Valid    *bool
	CheckErr error
	Tools    int // tools with a token of their own
	// HomeUsers is how many Plex Home users have a token here (home.go).
	HomeUsers int
}

// LinkOptions are the per-call choices of a link run.
type LinkOptions struct {
	Strong  bool
	OpenURL func(url string) error // nil: no browser (the code and URL are still reported)
	OnEvent func(auth.Event)       // engine states, called from the engine's goroutine
}

// Service links, unlinks and reports on the one account this install holds.
type Service struct {
	Client *auth.Client
	Tokens storage.TokenStore
	Config *storage.ConfigStore
	// ToolTokens is where a tool's own token is kept (see ToolToken); nil: no tool tokens.
	ToolTokens func(tool string) storage.TokenStore
	// ToolIndex is the keychain item naming the tools with a token (toolindex.go); nil:
	// only config.json names them.
	ToolIndex storage.TokenStore
	// UserTokens is where a Plex Home user's token is kept, by uuid (home.go); nil: none is
	// kept, each use switches anew.
	UserTokens   func(uuid string) storage.TokenStore
	PollInterval time.Duration // 0: the engine's default (1 s)
	// StopLinks stops a link in progress in any process (or waits for it to finish saving)
	// and holds new ones off until release: Unlink runs under it, so no link that started
	// before an unlink can land after it. nil: no guard.
	StopLinks func(ctx context.Context) (release func(), err error)
}

// stopLinksTimeout bounds how long an unlink waits for a link elsewhere to let go.
const stopLinksTimeout = 8 * time.Second

// Approval is a token plex.tv has validated, with its account, not yet stored. It lives
// only in memory: a keychain that refuses it costs the user a retry, not a second trip
// through plex.tv/link.
type Approval struct {
	Token   auth.Token
	Account *storage.LinkedAccount
}

// Authorize runs the PIN flow (the auth engine) and returns the validated token; it stores
// nothing, so a failed or cancelled run leaves the stored token as it was.
func (s *Service) Authorize(ctx context.Context, o LinkOptions) (Approval, error) {
	l := &auth.Linker{
		Client:       s.Client,
		Strong:       o.Strong,
		PollInterval: s.PollInterval,
		OpenURL:      o.OpenURL,
		OnEvent:      o.OnEvent,
	}
	res, err := l.Link(ctx)
	if err != nil {
		return Approval{}, err
	}
	return Approval{Token: res.Token, Account: &storage.LinkedAccount{
		ID:       res.Account.ID,
		UUID:     res.Account.UUID,
		Username: res.Account.Username,
		Title:    res.Account.Title,
		Email:    res.Account.Email,
		Thumb:    res.Account.Thumb,
		LinkedAt: time.Now().UTC().Truncate(time.Second),
		API:      s.apiBase(),
	}}, nil
}

// Save stores an approval: the keychain first and the public details second, so if the
// process dies in between the keychain holds a valid token and Status repairs the details.
// A relink as another account then signs out and removes the tokens made for the previous
// account's tools.
func (s *Service) Save(a Approval) Outcome {
	if err := s.Tokens.Save(a.Token.Reveal()); err != nil {
		return Outcome{Kind: NotSaved, Account: a.Account, Err: err, approval: a, svc: s}
	}
	out := Outcome{Kind: Linked, Account: a.Account}
	var prevID int64
	if s.Config != nil {
		if _, err := s.Config.Update(func(c *storage.Config) error {
			if c.Account != nil {
				prevID = c.Account.ID
			}
			c.Account = a.Account
			return nil
		}); err != nil {
			// The token is safe in the keychain; only the display details are missing.
			out.Err = fmt.Errorf("the account details could not be written: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*stopLinksTimeout)
	defer cancel()
	out.ToolsDropped, out.ToolsNotSignedOut, _ = s.dropOtherAccountTools(ctx, a.Account.ID, prevID)
	// The previous account's Home users (and their tools) are not this account's either.
	users, notOut, _ := s.dropUsers(ctx, func(e userEntry) bool {
		owner := e.AccountID
		if owner == 0 {
			owner = prevID
		}
		return owner != 0 && owner != a.Account.ID
	}, true)
	out.ToolsDropped, out.ToolsNotSignedOut = append(out.ToolsDropped, users...), append(out.ToolsNotSignedOut, notOut...)
	return out
}

// Link is Authorize then Save, reported as one Outcome.
func (s *Service) Link(ctx context.Context, o LinkOptions) Outcome {
	a, err := s.Authorize(ctx, o)
	if err != nil {
		return failed(err)
	}
	return s.Save(a)
}

// Kind is how a link run ended. The CLI and the window show the same thing for each.
type Kind int

const (
	Linked    Kind = iota // the token is stored (Err, if set, says the details were not)
	NotSaved              // plex.tv approved, the keychain refused; Retry saves again
	Expired               // the code expired (after the engine's own renewals)
	Cancelled             // the user stopped it; the stored token is unchanged
	Rejected              // plex.tv rejected the new token
	Failed                // anything else; Err says what
)

// Outcome is the result of a link run or a save.
type Outcome struct {
	Kind    Kind
	Account *storage.LinkedAccount // Linked and NotSaved
	Err     error
	// ToolsDropped are the tools whose tokens belonged to the account linked before (a relink
	// as someone else): signed out and removed, except ToolsNotSignedOut, which plex.tv could
	// not be asked about (removed all the same). The previous account's Plex Home users and
	// their tools ("TOOL as USER") are listed here too.
	ToolsDropped, ToolsNotSignedOut []string

	approval Approval
	svc      *Service
}

func failed(err error) Outcome {
	switch {
	case errors.Is(err, context.Canceled):
		return Outcome{Kind: Cancelled, Err: err}
	case errors.Is(err, auth.ErrPinExpired):
		return Outcome{Kind: Expired, Err: err}
	case errors.Is(err, auth.ErrUnauthorized):
		return Outcome{Kind: Rejected, Err: err}
	default:
		return Outcome{Kind: Failed, Err: err}
	}
}

// Retry saves a NotSaved approval again; any other outcome is returned as it is.
func (o Outcome) Retry() Outcome {
	if o.Kind != NotSaved || o.svc == nil {
		return o
	}
	return o.svc.Save(o.approval)
}

// Summary is the outcome in one sentence, the same in the terminal and the window. Error
// texts of this project never hold a token.
func (o Outcome) Summary() string {
	switch o.Kind {
	case Linked:
		s := "Linked as " + DisplayName(o.Account) + "."
		if o.Err != nil {
			s = "Linked as " + DisplayName(o.Account) + "; the token is stored, but " + o.Err.Error() + "."
		}
		if n := o.DroppedNote(); n != "" {
			s += " " + n
		}
		return s
	case NotSaved:
		return "plex.tv approved " + DisplayName(o.Account) + ", but the token could not be saved: " + o.Err.Error() + "."
	case Expired:
		return "The code expired before it was approved."
	case Cancelled:
		return "Cancelled; the stored token (if any) is unchanged."
	case Rejected:
		return "plex.tv rejected the new token."
	default:
		return "Linking failed: " + o.Err.Error() + "."
	}
}

// DroppedNote says which tools of the previous account lost their tokens ("" for none).
func (o Outcome) DroppedNote() string {
	if len(o.ToolsDropped) == 0 {
		return ""
	}
	s := "This is another account than before: the tokens of its tools (" + strings.Join(o.ToolsDropped, ", ") +
		") were signed out and removed; each gets a token of this account on its next use."
	if len(o.ToolsNotSignedOut) > 0 {
		s += " plex.tv could not be asked to sign out " + strings.Join(o.ToolsNotSignedOut, ", ") +
			"; remove those devices at https://app.plex.tv/desktop/#!/settings/devices/all."
	}
	return s
}

// DisplayName is how the app names an account: username, else title, else e-mail.
func DisplayName(a *storage.LinkedAccount) string {
	switch {
	case a == nil:
		return "your Plex account"
	case a.Username != "":
		return a.Username
	case a.Title != "":
		return a.Title
	case a.Email != "":
		return a.Email
	default:
		return "your Plex account"
	}
}

// UnlinkResult says what Unlink did beyond removing the local token.
type UnlinkResult struct {
	SignedOut  bool  // plex.tv invalidated the token
	SignOutErr error // why signing out failed (the local unlink still happened)
	// ToolsRemoved are the tools whose tokens were removed; ToolsNotSignedOut those plex.tv
	// could not be asked to invalidate.
	ToolsRemoved, ToolsNotSignedOut []string
	// UsersRemoved are the Plex Home users' tokens and their tools' ("TOOL as USER") that
	// were removed; UsersNotSignedOut those plex.tv could not be asked to invalidate.
	UsersRemoved, UsersNotSignedOut []string
}

// Unlink removes the token, every tool's token and every Plex Home user's token (and their
// tools') from the keychain and the account from local state. With signOut it first asks plex.tv to invalidate each token; an unreachable
// plex.tv does not stop the local unlink.
func (s *Service) Unlink(ctx context.Context, signOut bool) (UnlinkResult, error) {
	var res UnlinkResult
	if s.StopLinks != nil {
		sctx, cancel := context.WithTimeout(ctx, stopLinksTimeout)
		release, err := s.StopLinks(sctx)
		cancel()
		if err != nil {
			return res, err
		}
		defer release()
	}
	if signOut {
		// Signing out sends every token to the configured host: only to the one they belong to.
		if err := s.checkConfiguredHost(); err != nil {
			return res, fmt.Errorf("not signing out: %w", err)
		}
	}
	var err error
	all := func(userEntry) bool { return true }
	if res.UsersRemoved, res.UsersNotSignedOut, err = s.dropUsers(ctx, all, signOut); err != nil {
		return res, fmt.Errorf("removing the Plex Home users' tokens: %w", err)
	}
	if res.ToolsRemoved, res.ToolsNotSignedOut, err = s.unlinkTools(ctx, signOut); err != nil {
		return res, fmt.Errorf("removing the tools' tokens: %w", err)
	}
	tok, err := s.Tokens.Load()
	switch {
	case errors.Is(err, storage.ErrNotLinked):
		// Nothing in the keychain; still clear stale details below.
	case err != nil:
		return res, err
	case signOut:
		if err := s.Client.SignOut(ctx, auth.Token(tok)); err != nil && !errors.Is(err, auth.ErrUnauthorized) {
			res.SignOutErr = err
		} else {
			// A 401 means plex.tv already considers this token dead: signed out either way.
			res.SignedOut = true
		}
	}
	if err := s.Tokens.Delete(); err != nil && !errors.Is(err, storage.ErrNotLinked) {
		return res, err
	}
	if s.Config != nil {
		if _, err := s.Config.Update(func(c *storage.Config) error {
			c.Account = nil
			return nil
		}); err != nil {
			return res, fmt.Errorf("token removed, but the account details could not be cleared: %w", err)
		}
	}
	return res, nil
}

// Token returns the stored token. It makes no network call: scripts call it often.
func (s *Service) Token() (string, error) {
	return s.Tokens.Load()
}

// Status reports the link; with check it asks plex.tv whether the token still works.
func (s *Service) Status(ctx context.Context, check bool) (Status, error) {
	var st Status
	tok, err := s.Tokens.Load()
	if errors.Is(err, storage.ErrNotLinked) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Linked = true
	var c storage.Config
	if s.Config != nil {
		if c, err = s.Config.Load(); err == nil {
			st.Account = c.Account
		}
	}
	if known, err := s.knownTools(); err == nil {
		st.Tools = len(known)
	}
	if idx, err := s.loadIndex(); err == nil {
		st.HomeUsers = len(idx.Users)
	}
	if !check {
		return st, nil
	}
	if err := s.checkHost(c); err != nil {
		st.CheckErr = err
		return st, nil
	}
	// With the details on file, GET /ping answers "alive or not" for less than GET /user;
	// without them (config lost, keychain kept), /user recreates them.
	var acct *auth.Account
	if st.Account != nil {
		err = s.Client.Ping(ctx, auth.Token(tok))
	} else {
		acct, err = s.Client.User(ctx, auth.Token(tok))
	}
	switch {
	case err == nil:
		st.Valid = boolPtr(true)
		if acct != nil {
			st.Account = s.refreshDetails(st.Account, acct)
		}
	case errors.Is(err, auth.ErrUnauthorized):
		st.Valid = boolPtr(false)
	default:
		st.CheckErr = err
	}
	return st, nil
}

// refreshDetails keeps the local display details in step with plex.tv, and recreates them
// when the config file was lost while the keychain kept the token.
func (s *Service) refreshDetails(old *storage.LinkedAccount, a *auth.Account) *storage.LinkedAccount {
	fresh := &storage.LinkedAccount{ID: a.ID, UUID: a.UUID, Username: a.Username, Title: a.Title, Email: a.Email, Thumb: a.Thumb,
		API: s.apiBase()}
	if old != nil {
		fresh.LinkedAt = old.LinkedAt
		if *old == *fresh {
			return old
		}
	}
	if s.Config != nil {
		_, _ = s.Config.Update(func(c *storage.Config) error {
			c.Account = fresh
			return nil
		})
	}
	return fresh
}

// maxAvatarBytes bounds the avatar download: a thumbnail, not a file transfer.
const maxAvatarBytes = 2 << 20

// Avatar downloads the account's thumbnail for display.
func (s *Service) Avatar(ctx context.Context, thumbURL string) ([]byte, error) {
	if err := auth.CheckURL(thumbURL); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, thumbURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := avatarClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching avatar: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching avatar: HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAvatarBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetching avatar: %w", err)
	}
	if len(b) > maxAvatarBytes {
		return nil, fmt.Errorf("fetching avatar: larger than %d bytes", maxAvatarBytes)
	}
	return b, nil
}

// avatarClient follows redirects only to https or loopback addresses (CDNs redirect thumbs).
var avatarClient = &http.Client{
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return auth.CheckURL(req.URL.String())
	},
}

func boolPtr(b bool) *bool { return &b }
