package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
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

// ToolInfo is what `plexlink tools` shows of a tool's token (never the token).
type ToolInfo struct {
	Name     string
	ClientID string
	Created  time.Time
	LastUsed time.Time
}

// Tools lists the tools with a token, by name.
func (s *Service) Tools() ([]ToolInfo, error) {
	if s.Config == nil {
		return nil, nil
	}
	c, err := s.Config.Load()
	if err != nil {
		return nil, err
	}
	return toolsIn(c), nil
}

// toolsIn lists the config's tools that have a token, by name.
func toolsIn(c storage.Config) []ToolInfo {
	var out []ToolInfo
	for name, t := range c.Tools {
		if t != nil && !t.Created.IsZero() {
			out = append(out, ToolInfo{Name: name, ClientID: t.ClientID, Created: t.Created, LastUsed: t.LastUsed})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ToolIdentity is who the tool's token was requested as: the headers the tool should send
// (python-plexapi's PLEXAPI_HEADER_*), so plex.tv sees one device per tool, for good. The
// client identifier is created on first use and kept.
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
		c, err = s.Config.Update(func(c *storage.Config) error {
			if c.Tools == nil {
				c.Tools = map[string]*storage.Tool{}
			}
			if !known(*c) {
				c.Tools[name] = &storage.Tool{ClientID: uuid.NewString()}
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

// ToolToken returns the tool's own token. The first call mints it: a PIN created under the
// tool's identity, approved with the account token (PUT /pins/link, what plex.tv/link does),
// polled once and validated, then stored. Later calls read the keychain only.
func (s *Service) ToolToken(ctx context.Context, name string) (tok auth.Token, minted bool, err error) {
	if err := CheckToolName(name); err != nil {
		return "", false, err
	}
	acct, err := s.Tokens.Load()
	if err != nil {
		return "", false, err
	}
	store := s.ToolTokens(name)
	if t, err := store.Load(); err == nil {
		s.touchTool(name, false)
		return auth.Token(t), false, nil
	} else if !errors.Is(err, storage.ErrNotLinked) {
		return "", false, err
	}
	id, err := s.ToolIdentity(name)
	if err != nil {
		return "", false, err
	}
	tok, err = s.mint(ctx, auth.Token(acct), id)
	if err != nil {
		return "", false, fmt.Errorf("getting a token for %s: %w", name, err)
	}
	if err := store.Save(tok.Reveal()); err != nil {
		return "", false, fmt.Errorf("the token for %s could not be stored (asking again reuses the same device): %w", name, err)
	}
	s.touchTool(name, true)
	return tok, true, nil
}

// mint gets a token of the account for identity id, retrying bad or missing answers.
func (s *Service) mint(ctx context.Context, acct auth.Token, id auth.Identity) (auth.Token, error) {
	tc := *s.Client
	tc.Identity = id
	var pin *auth.Pin
	if err := retry(ctx, func() (err error) { pin, err = tc.CreatePin(ctx, false); return err }); err != nil {
		return "", err
	}
	if err := retry(ctx, func() error { return s.Client.LinkPin(ctx, acct, pin.Code) }); err != nil {
		return "", err
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
		return "", err
	}
	var who *auth.Account
	if err := retry(ctx, func() (err error) { who, err = tc.User(ctx, tok); return err }); err != nil {
		return "", fmt.Errorf("validating the new token: %w", err)
	}
	if s.Config != nil {
		if c, err := s.Config.Load(); err == nil && c.Account != nil && c.Account.ID != 0 && who.ID != c.Account.ID {
			return "", fmt.Errorf("plex.tv gave a token of another account (id %d, linked %d)", who.ID, c.Account.ID)
		}
	}
	return tok, nil
}

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

// touchTool records the token's use (and, when just stored, its creation). Failing to write
// a timestamp is not worth failing the command over.
func (s *Service) touchTool(name string, created bool) {
	if s.Config == nil {
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	_, _ = s.Config.Update(func(c *storage.Config) error {
		t := c.Tools[name]
		if t == nil {
			// The config was lost while the keychain kept the token: the identifier it was
			// requested under is gone too, so the tool gets a fresh one from now on.
			if c.Tools == nil {
				c.Tools = map[string]*storage.Tool{}
			}
			t = &storage.Tool{ClientID: uuid.NewString()}
			c.Tools[name] = t
		}
		if created || t.Created.IsZero() {
			t.Created = now
		}
		t.LastUsed = now
		return nil
	})
}

// RevokeTool signs the tool's token out on plex.tv and then removes it. If plex.tv cannot
// be reached nothing is removed: a token deleted here but alive there could no longer be
// revoked from this computer.
func (s *Service) RevokeTool(ctx context.Context, name string) error {
	if err := CheckToolName(name); err != nil {
		return err
	}
	store := s.ToolTokens(name)
	tok, err := store.Load()
	switch {
	case errors.Is(err, storage.ErrNotLinked):
		return fmt.Errorf("%s: %w", name, ErrNoTool)
	case err != nil:
		return err
	}
	if err := s.Client.SignOut(ctx, auth.Token(tok)); err != nil && !errors.Is(err, auth.ErrUnauthorized) {
		return fmt.Errorf("signing out %s's token on plex.tv: %w; it was kept, try again", name, err)
	}
	return s.forgetTool(name, store)
}

func (s *Service) forgetTool(name string, store storage.TokenStore) error {
	if err := store.Delete(); err != nil {
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

// unlinkTools removes every tool token, signing each out first with signOut. It returns the
// tools removed and those it could not sign out; like the account token, they are removed
// regardless.
func (s *Service) unlinkTools(ctx context.Context, signOut bool) (removed, notSignedOut []string, err error) {
	if s.Config == nil || s.ToolTokens == nil {
		return nil, nil, nil
	}
	c, err := s.Config.Load()
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(c.Tools))
	for name := range c.Tools {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		store := s.ToolTokens(name)
		tok, err := store.Load()
		switch {
		case errors.Is(err, storage.ErrNotLinked):
		case err != nil:
			return removed, notSignedOut, err
		default:
			removed = append(removed, name)
			if !signOut {
				break
			}
			if err := s.Client.SignOut(ctx, auth.Token(tok)); err != nil && !errors.Is(err, auth.ErrUnauthorized) {
				notSignedOut = append(notSignedOut, name)
			}
		}
		if err := s.forgetTool(name, store); err != nil {
			return removed, notSignedOut, err
		}
	}
	return removed, notSignedOut, nil
}

// Resources lists the devices tok's account can reach, retrying bad or missing answers.
func (s *Service) Resources(ctx context.Context, tok auth.Token) ([]auth.Resource, error) {
	var res []auth.Resource
	err := retry(ctx, func() (err error) { res, err = s.Client.Resources(ctx, tok); return err })
	return res, err
}
