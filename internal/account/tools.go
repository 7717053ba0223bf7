package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/storage"
)

// ErrBadToolName is a tool name outside [a-z0-9][a-z0-9._-]{0,63}.
var ErrBadToolName = errors.New("tool names are 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit")

// ErrNoTool means the tool has no token of its own.
var ErrNoTool = errors.New("no token for this tool")

var toolName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// CheckToolName reports whether name can be a tool's name.
func CheckToolName(name string) error {
	if !toolName.MatchString(name) {
		return fmt.Errorf("%q: %w", name, ErrBadToolName)
	}
	return nil
}

// ErrAccountRefused means plex.tv refused the account token while making a tool's token:
// nothing but a relink helps.
var ErrAccountRefused = fmt.Errorf("plex.tv refused the account token; relink with `plexlink link`, and the tools get fresh tokens on their next use: %w", auth.ErrUnauthorized)

// ToolInfo is what `plexlink tools` shows of a tool's token (never the token).
type ToolInfo struct {
	Name     string
	ClientID string
	Created  time.Time
	LastUsed time.Time
}

// Tools lists the tools with a token, by name: those config.json names and those the
// keychain's index names (config.json may have been lost).
func (s *Service) Tools() ([]ToolInfo, error) {
	known, err := s.knownTools()
	if err != nil {
		return nil, err
	}
	out := make([]ToolInfo, 0, len(known))
	for _, name := range toolNames(known) {
		t := known[name]
		out = append(out, ToolInfo{Name: name, ClientID: t.ClientID, Created: t.Created, LastUsed: t.LastUsed})
	}
	return out, nil
}

// ToolIdentity is who the tool's token was requested as: the headers the tool should send
// (python-plexapi's PLEXAPI_HEADER_*), so plex.tv sees one device per tool, for good. The
// client identifier is created on first use and kept (in config.json and the keychain's
// index of the tools).
func (s *Service) ToolIdentity(name string) (auth.Identity, error) {
	if err := CheckToolName(name); err != nil {
		return auth.Identity{}, err
	}
	if s.Config == nil {
		return auth.Identity{}, errors.New("no config to keep the tool's client identifier in")
	}
	known := func(c storage.Config) bool { t := c.Tools[name]; return t != nil && uuid.Validate(t.ClientID) == nil }
	c, err := s.Config.Load()
	if err == nil && !known(c) { // written once, the first time: later calls only read
		// A config that lost the tool keeps the identifier the index remembers.
		clientID := uuid.NewString()
		if idx, ierr := s.loadIndex(); ierr == nil && uuid.Validate(idx.Tools[name].ClientID) == nil {
			clientID = idx.Tools[name].ClientID
		}
		c, err = s.Config.Update(func(c *storage.Config) error {
			if c.Tools == nil {
				c.Tools = map[string]*storage.Tool{}
			}
			if !known(*c) {
				c.Tools[name] = &storage.Tool{ClientID: clientID}
			}
			return nil
		})
	}
	if err != nil {
		return auth.Identity{}, fmt.Errorf("recording the tool's client identifier: %w", err)
	}
	id := s.Client.Identity
	id.Product, id.ClientID = name, c.Tools[name].ClientID
	return id, nil
}

// ToolHandout is a tool's token, ready to hand over, and what it took to get it.
type ToolHandout struct {
	Token    auth.Token
	Identity auth.Identity
	Minted   bool // the tool had no token: this is its first
	Renewed  bool // plex.tv refused the stored token (signed out elsewhere): this one replaces it
	// Unchecked is why plex.tv could not be asked whether the stored token still works; it
	// is handed out anyway, so offline use keeps working.
	Unchecked error
}

// ToolToken returns the tool's own token. The first call mints it: a PIN created under the
// tool's identity, approved with the account token (PUT /pins/link, what plex.tv/link does),
// polled once and validated, then stored. Later calls check the stored token with one
// GET /ping under the tool's identity and mint a new one under the same identity when
// plex.tv refuses it. Minting holds a per-tool lock across processes and looks again once
// it has it, so two processes asking at once get one token, not two.
func (s *Service) ToolToken(ctx context.Context, name string) (ToolHandout, error) {
	h, err := s.toolToken(ctx, name)
	if err == nil {
		s.touchTool(name, h.Minted || h.Renewed, true)
	}
	return h, err
}

func (s *Service) toolToken(ctx context.Context, name string) (ToolHandout, error) {
	var h ToolHandout
	if err := CheckToolName(name); err != nil {
		return h, err
	}
	acct, c, err := s.AccountToken()
	if err != nil {
		return h, err
	}
	if h.Identity, err = s.ToolIdentity(name); err != nil {
		return h, err
	}
	sl := toolSlot{key: name, label: name, approver: acct,
		record: func(ctx context.Context, clientID string, owner int64) {
			s.recordToolAccount(ctx, name, clientID, owner)
		}}
	return s.handOut(ctx, sl, h, func(tok auth.Token) (bool, error) {
		return s.toolTokenAlive(ctx, name, h.Identity, tok, c)
	})
}

// toolSlot is where one tool token lives and how a new one is made: the account's tools
// (key NAME) and the tools of a Plex Home user (key NAME@UUID, home.go).
type toolSlot struct {
	key, label string     // the ToolTokens item and lock; the name in messages
	approver   auth.Token // approves the new token's PIN: the account's or the Home user's token
	owner      int64      // the account the new token must belong to; 0: the linked account
	record     func(ctx context.Context, clientID string, owner int64)
}

// handOut returns the slot's stored token if alive says plex.tv accepts it (or could not be
// asked), and mints one otherwise.
func (s *Service) handOut(ctx context.Context, sl toolSlot, h ToolHandout, alive func(auth.Token) (bool, error)) (ToolHandout, error) {
	stored, err := s.ToolTokens(sl.key).Load()
	switch {
	case errors.Is(err, storage.ErrNotLinked):
	case err != nil:
		return h, err
	default:
		ok, cerr := alive(auth.Token(stored))
		switch {
		case ok:
			h.Token = auth.Token(stored)
			return h, nil
		case cerr != nil:
			h.Token, h.Unchecked = auth.Token(stored), cerr
			return h, nil
		}
		h.Renewed = true
	}
	return s.mintTool(ctx, sl, stored, h)
}

// toolTokenAlive asks plex.tv whether tok still works for the linked account: false with a
// nil error when plex.tv refused it (or it is another account's), an error when plex.tv
// could not be asked. A token whose account was not recorded is asked who it is once.
func (s *Service) toolTokenAlive(ctx context.Context, name string, id auth.Identity, tok auth.Token, c storage.Config) (bool, error) {
	tc := *s.Client
	tc.Identity = id
	var accountID, owner int64
	if c.Account != nil {
		accountID = c.Account.ID
	}
	if t := c.Tools[name]; t != nil {
		owner = t.AccountID
	}
	if owner == 0 {
		if idx, err := s.loadIndex(); err == nil {
			owner = idx.Tools[name].AccountID
		}
	}
	var err error
	if owner == 0 && accountID != 0 {
		var who *auth.Account
		if who, err = tc.User(ctx, tok); err == nil {
			owner = who.ID
			s.recordToolAccount(ctx, name, id.ClientID, owner)
		}
	} else {
		err = tc.Ping(ctx, tok)
	}
	switch {
	case errors.Is(err, auth.ErrUnauthorized):
		return false, nil
	case err != nil:
		return false, err
	case accountID != 0 && owner != 0 && owner != accountID:
		// Another account's token (a relink that could not clean up): never hand it out.
		_ = tc.SignOut(ctx, tok)
		return false, nil
	}
	return true, nil
}

// mintTool mints and stores the slot's token under its lock, unless another process stored
// a new one (anything but seen) while this one waited for the lock.
func (s *Service) mintTool(ctx context.Context, sl toolSlot, seen string, h ToolHandout) (ToolHandout, error) {
	if s.Config != nil {
		unlock, err := s.Config.Lock(ctx, "tool-"+sl.key)
		if err != nil {
			return h, err
		}
		defer unlock()
	}
	store := s.ToolTokens(sl.key)
	if cur, err := store.Load(); err == nil && cur != seen {
		h.Token, h.Minted = auth.Token(cur), seen == ""
		return h, nil
	}
	tok, owner, err := s.mint(ctx, sl.approver, h.Identity, sl.owner)
	if err != nil {
		return h, fmt.Errorf("getting a token for %s: %w", sl.label, err)
	}
	if err := store.Save(tok.Reveal()); err != nil {
		return h, fmt.Errorf("the token for %s could not be stored (asking again reuses the same device): %w", sl.label, err)
	}
	sl.record(ctx, h.Identity.ClientID, owner)
	h.Token, h.Minted = tok, !h.Renewed
	return h, nil
}

// recordToolAccount notes in the config and the keychain's index which account the tool's
// token belongs to. Failing to write it costs a GET /user on the next use, nothing more.
func (s *Service) recordToolAccount(ctx context.Context, name, clientID string, accountID int64) {
	now := nowSecond()
	created := now
	if s.Config != nil {
		if c, err := s.Config.Update(func(c *storage.Config) error {
			t := c.Tools[name]
			if t == nil {
				return errors.New("the tool was removed meanwhile")
			}
			t.AccountID = accountID
			if t.Created.IsZero() {
				t.Created = now
			}
			return nil
		}); err == nil {
			created = c.Tools[name].Created
		}
	}
	_ = s.updateIndex(ctx, func(tools map[string]indexEntry) {
		tools[name] = indexEntry{ClientID: clientID, AccountID: accountID, Created: created}
	})
}

// mint gets a token of acct's account for identity id, retrying bad or missing answers, and
// returns it with its account's id, which must be want (0: the linked account's).
func (s *Service) mint(ctx context.Context, acct auth.Token, id auth.Identity, want int64) (auth.Token, int64, error) {
	tc := *s.Client
	tc.Identity = id
	var pin *auth.Pin
	if err := retry(ctx, func() (err error) { pin, err = tc.CreatePin(ctx, false); return err }); err != nil {
		return "", 0, err
	}
	if err := retry(ctx, func() error { return s.Client.LinkPin(ctx, acct, pin.Code) }); err != nil {
		if errors.Is(err, auth.ErrUnauthorized) {
			return "", 0, ErrAccountRefused
		}
		return "", 0, err
	}
	var tok auth.Token
	if err := retry(ctx, func() error {
		p, err := tc.Pin(ctx, pin.ID)
		if err == nil && p.AuthToken.IsZero() {
			// Approved a moment ago; plex.tv may not have the token on the pin yet.
			return fmt.Errorf("%w: the approved code has no token yet", auth.ErrBadResponse)
		}
		if err == nil {
			tok = p.AuthToken
		}
		return err
	}); err != nil {
		return "", 0, err
	}
	var who *auth.Account
	if err := retry(ctx, func() (err error) { who, err = tc.User(ctx, tok); return err }); err != nil {
		return "", 0, fmt.Errorf("validating the new token: %w", err)
	}
	if want == 0 && s.Config != nil {
		if c, err := s.Config.Load(); err == nil && c.Account != nil {
			want = c.Account.ID
		}
	}
	if want != 0 && who.ID != want {
		return "", 0, fmt.Errorf("plex.tv gave a token of another account (id %d, want %d)", who.ID, want)
	}
	return tok, who.ID, nil
}

func nowSecond() time.Time { return time.Now().UTC().Truncate(time.Second) }

// retry runs fn up to 3 times while it fails transiently, 1 s then 2 s apart.
func retry(ctx context.Context, fn func() error) error {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == 3 || !auth.IsTransient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last answer: %w)", ctx.Err(), err)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// touchTool records the token's use (used) and, when just stored, its creation. Failing to
// write a timestamp is not worth failing the command over.
func (s *Service) touchTool(name string, created, used bool) {
	if s.Config == nil || !created && !used {
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	_, _ = s.Config.Update(func(c *storage.Config) error {
		t := c.Tools[name]
		if t == nil {
			return errors.New("the tool was removed meanwhile")
		}
		if created || t.Created.IsZero() {
			t.Created = now
		}
		if used {
			t.LastUsed = now
		}
		return nil
	})
}

// CheckTools is the health check of the tools' tokens (the tray runs it beside the account
// token's): each stored token is pinged, and one plex.tv refused is replaced under the same
// identity, so a tool started later finds a working token. The Home users' tokens and
// their tools' are checked too (checkUsers). It returns the tools renewed
// and the first error that kept one from being checked or renewed.
func (s *Service) CheckTools(ctx context.Context) (renewed []string, err error) {
	known, err := s.knownTools()
	if err != nil {
		return nil, err
	}
	var first error
	for _, name := range toolNames(known) {
		h, err := s.toolToken(ctx, name)
		if err == nil {
			err = h.Unchecked
		}
		if h.Renewed && h.Unchecked == nil && err == nil {
			renewed = append(renewed, name)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", name, err)
		}
	}
	users, err := s.checkUsers(ctx)
	if err != nil && first == nil {
		first = err
	}
	return append(renewed, users...), first
}

// RevokeTool signs the tool's token out on plex.tv and then removes it. If plex.tv cannot
// be reached nothing is removed: a token deleted here but alive there could no longer be
// revoked from this computer.
func (s *Service) RevokeTool(ctx context.Context, name string) error {
	if err := CheckToolName(name); err != nil {
		return err
	}
	store := s.ToolTokens(name)
	return s.revoke(ctx, name, store, func() error { return s.forgetTool(ctx, name, store) })
}

// revoke signs out the token in store and then has forget delete it and its records
// (RevokeTool, RevokeUserTool).
func (s *Service) revoke(ctx context.Context, label string, store storage.TokenStore, forget func() error) error {
	tok, err := store.Load()
	switch {
	case errors.Is(err, storage.ErrNotLinked):
		return fmt.Errorf("%s: %w", label, ErrNoTool)
	case err != nil:
		return err
	}
	if err := s.checkConfiguredHost(); err != nil {
		return err
	}
	if err := s.Client.SignOut(ctx, auth.Token(tok)); err != nil && !errors.Is(err, auth.ErrUnauthorized) {
		return fmt.Errorf("signing out %s's token on plex.tv: %w; it was kept, try again", label, err)
	}
	return forget()
}

func (s *Service) forgetTool(ctx context.Context, name string, store storage.TokenStore) error {
	if err := store.Delete(); err != nil {
		return err
	}
	if err := s.updateIndex(ctx, func(tools map[string]indexEntry) { delete(tools, name) }); err != nil {
		return err
	}
	if s.Config == nil {
		return nil
	}
	_, err := s.Config.Update(func(c *storage.Config) error {
		delete(c.Tools, name)
		return nil
	})
	return err
}

// dropTools removes the named tools' tokens, signing each out first with signOut. It returns
// the tools removed and those it could not sign out; like the account token, they are
// removed regardless.
func (s *Service) dropTools(ctx context.Context, names []string, signOut bool) (removed, notSignedOut []string, err error) {
	if s.ToolTokens == nil {
		return nil, nil, nil
	}
	var d dropped
	for _, name := range names {
		store := s.ToolTokens(name)
		if err := d.drop(ctx, s, name, store, signOut); err != nil {
			return d.removed, d.notSignedOut, err
		}
		if err := s.forgetTool(ctx, name, store); err != nil {
			return d.removed, d.notSignedOut, err
		}
	}
	return d.removed, d.notSignedOut, nil
}

// unlinkTools removes every tool token (see dropTools).
func (s *Service) unlinkTools(ctx context.Context, signOut bool) (removed, notSignedOut []string, err error) {
	known, err := s.knownTools()
	if err != nil {
		return nil, nil, err
	}
	return s.dropTools(ctx, toolNames(known), signOut)
}

// dropOtherAccountTools signs out and removes the tokens of tools minted for another
// account than accountID: after a relink as someone else, the previous account's tools
// must not be handed out as if they were this one's. prevID is the account linked before
// (0: unknown), for tools whose account was not recorded.
func (s *Service) dropOtherAccountTools(ctx context.Context, accountID, prevID int64) (removed, notSignedOut []string, err error) {
	known, err := s.knownTools()
	if err != nil {
		return nil, nil, err
	}
	var other []string
	for _, name := range toolNames(known) {
		owner := known[name].AccountID
		if owner == 0 {
			owner = prevID
		}
		if owner != 0 && owner != accountID {
			other = append(other, name)
		}
	}
	return s.dropTools(ctx, other, true)
}

// Resources lists the devices tok's account can reach, retrying bad or missing answers.
func (s *Service) Resources(ctx context.Context, tok auth.Token) ([]auth.Resource, error) {
	if err := s.checkConfiguredHost(); err != nil {
		return nil, err
	}
	var res []auth.Resource
	err := retry(ctx, func() (err error) { res, err = s.Client.Resources(ctx, tok); return err })
	return res, err
}
