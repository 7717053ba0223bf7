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
	ToolTokens   func(tool string) storage.TokenStore
	PollInterval time.Duration // 0: the engine's default (1 s)
}

// SaveError reports a token that plex.tv validated but the keychain refused to store.
// The validated token is kept in memory so the user can retry the save without relinking.
type SaveError struct {
	Account *storage.LinkedAccount
	Err     error

	token auth.Token
	svc   *Service
}

func (e *SaveError) Error() string {
	return fmt.Sprintf("linked as %s, but the token could not be saved: %v", e.Account.Username, e.Err)
}

func (e *SaveError) Unwrap() error { return e.Err }

// Retry attempts the save again; on success the account is recorded as linked.
func (e *SaveError) Retry() error {
	if err := e.svc.store(e.token, e.Account); err != nil {
		var se *SaveError
		if errors.As(err, &se) {
			return se.Err
		}
		return err
	}
	return nil
}

// Link runs the PIN flow and stores the validated token.
func (s *Service) Link(ctx context.Context, o LinkOptions) (*storage.LinkedAccount, error) {
	l := &auth.Linker{
		Client:       s.Client,
		Strong:       o.Strong,
		PollInterval: s.PollInterval,
		OpenURL:      o.OpenURL,
		OnEvent:      o.OnEvent,
	}
	res, err := l.Link(ctx)
	if err != nil {
		return nil, err
	}
	acct := &storage.LinkedAccount{
		ID:       res.Account.ID,
		UUID:     res.Account.UUID,
		Username: res.Account.Username,
		Title:    res.Account.Title,
		Email:    res.Account.Email,
		Thumb:    res.Account.Thumb,
		LinkedAt: time.Now().UTC().Truncate(time.Second),
	}
	if err := s.store(res.Token, acct); err != nil {
		return acct, err
	}
	return acct, nil
}

// store writes the keychain first and the public details second: if the process dies in
// between, the keychain holds a valid token and the app repairs the details from GET /user.
func (s *Service) store(tok auth.Token, acct *storage.LinkedAccount) error {
	if err := s.Tokens.Save(tok.Reveal()); err != nil {
		return &SaveError{Account: acct, Err: err, token: tok, svc: s}
	}
	if s.Config != nil {
		if _, err := s.Config.Update(func(c *storage.Config) error {
			c.Account = acct
			return nil
		}); err != nil {
			// The token is safe in the keychain; only the display details are missing.
			return fmt.Errorf("token saved, but the account details could not be written: %w", err)
		}
	}
	return nil
}

// UnlinkResult says what Unlink did beyond removing the local token.
type UnlinkResult struct {
	SignedOut  bool  // plex.tv invalidated the token
	SignOutErr error // why signing out failed (the local unlink still happened)
	// ToolsRemoved are the tools whose tokens were removed; ToolsNotSignedOut those plex.tv
	// could not be asked to invalidate.
	ToolsRemoved, ToolsNotSignedOut []string
}

// Unlink removes the token and every tool's token from the keychain and the account from
// local state. With signOut it first asks plex.tv to invalidate each token; an unreachable
// plex.tv does not stop the local unlink.
func (s *Service) Unlink(ctx context.Context, signOut bool) (UnlinkResult, error) {
	var res UnlinkResult
	var err error
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
	if tools, err := s.Tools(); err == nil {
		st.Tools = len(tools)
	}
	if s.Config != nil {
		if c, err := s.Config.Load(); err == nil && c.Account != nil {
			st.Account = c.Account
		}
	}
	if !check {
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
	fresh := &storage.LinkedAccount{ID: a.ID, UUID: a.UUID, Username: a.Username, Title: a.Title, Email: a.Email, Thumb: a.Thumb}
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
