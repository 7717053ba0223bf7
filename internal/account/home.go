package account

// Plex Home users (issue #22): everything the account does, done as a member of its Home.
//
// A member's token comes from switching (POST /home/users/{uuid}/switch with the account
// token, and the member's Home PIN when they have one). It is kept in the keychain item
// "user:UUID" beside the account token, checked with GET /ping before each hand-out and
// re-obtained by switching again when plex.tv refuses it. A tool's token for a member is
// minted like the account's tools (a PIN under the tool's identity, approved with
// PUT /pins/link) but approved with the member's token, and kept as "tool:NAME@UUID". The
// keychain's tools index names the members and their tools, so unlink, a relink as
// another account and the health checks find them. The account's own token is never
// switched: asking for the linked account itself hands out the account's token and tools.
// The PIN is never stored; PINFunc is asked for it only when a switch needs it.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/storage"
)

// PINFunc returns the Home PIN of the user being switched to. It is called only when a
// switch needs one, and never has its answer stored.
type PINFunc func(u auth.HomeUser) (string, error)

var (
	// ErrPINNeeded means a switch needs the user's Home PIN and none was given.
	ErrPINNeeded = errors.New("switching to this Plex Home user needs their Home PIN")
	// ErrWrongPIN means plex.tv refused the Home PIN that was given.
	ErrWrongPIN = fmt.Errorf("wrong Plex Home PIN: %w", auth.ErrHomePINRequired)
)

// AmbiguousUserError is a name two Home users answer to.
type AmbiguousUserError struct {
	Name  string
	UUIDs []string
}

func (e *AmbiguousUserError) Error() string {
	return fmt.Sprintf("%q names %d Plex Home users; give the uuid instead (%s)", e.Name, len(e.UUIDs), strings.Join(e.UUIDs, ", "))
}

// HomeUserName is how a Home user is named: the title (a managed user has nothing else),
// else the username.
func HomeUserName(u auth.HomeUser) string {
	if u.Title != "" {
		return u.Title
	}
	return u.Username
}

// FindHomeUser picks the user name names: the exact name (title or username), then the
// name ignoring case, then the uuid. No match wraps auth.ErrNoSuchHomeUser.
func FindHomeUser(users []auth.HomeUser, name string) (auth.HomeUser, error) {
	for _, match := range []func(auth.HomeUser) bool{
		func(u auth.HomeUser) bool { return u.Title == name || u.Username == name },
		func(u auth.HomeUser) bool {
			return strings.EqualFold(u.Title, name) || strings.EqualFold(u.Username, name)
		},
		func(u auth.HomeUser) bool { return u.UUID == name },
	} {
		var found []auth.HomeUser
		for _, u := range users {
			if name != "" && match(u) {
				found = append(found, u)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		}
		e := &AmbiguousUserError{Name: name}
		for _, u := range found {
			e.UUIDs = append(e.UUIDs, u.UUID)
		}
		return auth.HomeUser{}, e
	}
	return auth.HomeUser{}, fmt.Errorf("%q: %w", name, auth.ErrNoSuchHomeUser)
}

// safeUUID is what a uuid must look like to name a keychain item and a lock file.
var safeUUID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// HomeUsers lists the linked account's Plex Home (no tokens).
func (s *Service) HomeUsers(ctx context.Context) ([]auth.HomeUser, error) {
	acct, _, err := s.AccountToken()
	if err != nil {
		return nil, err
	}
	return s.homeUsers(ctx, acct)
}

func (s *Service) homeUsers(ctx context.Context, acct auth.Token) ([]auth.HomeUser, error) {
	var users []auth.HomeUser
	err := retry(ctx, func() (err error) { users, err = s.Client.HomeUsers(ctx, acct); return err })
	if errors.Is(err, auth.ErrUnauthorized) {
		return nil, ErrAccountRefused
	}
	if err != nil {
		return nil, fmt.Errorf("listing your Plex Home: %w", err)
	}
	return users, nil
}

// homeTarget is a Home user resolved against the linked account.
type homeTarget struct {
	acct auth.Token // the account token
	me   int64      // the linked account's id
	user auth.HomeUser
	self bool // the user is the linked account itself
}

// resolveUser finds name in the account's Home (GET /home/users).
func (s *Service) resolveUser(ctx context.Context, name string) (homeTarget, error) {
	var t homeTarget
	acct, c, err := s.AccountToken()
	if err != nil {
		return t, err
	}
	users, err := s.homeUsers(ctx, acct)
	if err != nil {
		return t, err
	}
	u, err := FindHomeUser(users, name)
	if err != nil {
		return t, err
	}
	return s.target(ctx, acct, c, u)
}

func (s *Service) target(ctx context.Context, acct auth.Token, c storage.Config, u auth.HomeUser) (homeTarget, error) {
	t := homeTarget{acct: acct, user: u}
	me := c.Account
	if me == nil { // config lost: ask who the account is rather than switch to itself
		var who *auth.Account
		if err := retry(ctx, func() (err error) { who, err = s.Client.User(ctx, acct); return err }); err != nil {
			return t, err
		}
		me = &storage.LinkedAccount{ID: who.ID, UUID: who.UUID}
	}
	t.me = me.ID
	t.self = (u.ID != 0 && u.ID == me.ID) || (u.UUID != "" && u.UUID == me.UUID)
	if !t.self && !safeUUID.MatchString(u.UUID) {
		return t, fmt.Errorf("plex.tv named the Home user %q with an id plexlink cannot keep (%q)", HomeUserName(u), u.UUID)
	}
	return t, nil
}

// UserHandout is a Home user's token, ready to hand over, and what it took to get it.
type UserHandout struct {
	User    auth.HomeUser
	Token   auth.Token
	Account bool // the user is the linked account: Token is the account token
	// Switched: there was no stored token, this one was obtained by switching now;
	// Renewed: plex.tv refused the stored one and this one replaces it.
	Switched, Renewed bool
	// Unchecked is why plex.tv could not be asked about the stored token (handed out anyway).
	Unchecked error
}

// UserToken returns the Home user's own token (see the top of this file). pin is asked
// only when a switch needs the user's PIN.
func (s *Service) UserToken(ctx context.Context, name string, pin PINFunc) (UserHandout, error) {
	t, err := s.resolveUser(ctx, name)
	if err != nil {
		return UserHandout{}, err
	}
	return s.userToken(ctx, t, pin)
}

func (s *Service) userStore(uuid string) storage.TokenStore {
	if s.UserTokens == nil {
		return nil
	}
	return s.UserTokens(uuid)
}

func (s *Service) userToken(ctx context.Context, t homeTarget, pin PINFunc) (UserHandout, error) {
	h := UserHandout{User: t.user}
	if t.self {
		h.Token, h.Account = t.acct, true
		return h, nil
	}
	store := s.userStore(t.user.UUID)
	stored := ""
	if store != nil {
		var err error
		stored, err = store.Load()
		switch {
		case errors.Is(err, storage.ErrNotLinked):
			stored = ""
		case err != nil:
			return h, err
		default:
			ok, cerr := alive(ctx, s.Client, auth.Token(stored))
			if ok || cerr != nil {
				h.Token, h.Unchecked = auth.Token(stored), cerr
				return h, nil
			}
			h.Renewed = true
		}
	}
	if s.Config != nil {
		unlock, err := s.Config.Lock(ctx, "user-"+t.user.UUID)
		if err != nil {
			return h, err
		}
		defer unlock()
	}
	if store != nil {
		if cur, err := store.Load(); err == nil && cur != stored {
			h.Token, h.Switched = auth.Token(cur), stored == "" // another process switched meanwhile
			return h, nil
		}
	}
	tok, err := s.switchTo(ctx, t, pin)
	if err != nil {
		return h, err
	}
	if store != nil {
		// Named in the index first: a token in the keychain is never one unlink cannot find.
		if err := s.recordUser(ctx, t, nil); err != nil {
			return h, err
		}
		if err := store.Save(tok.Reveal()); err != nil {
			return h, fmt.Errorf("%s's token could not be stored: %w", HomeUserName(t.user), err)
		}
	}
	h.Token, h.Switched = tok, !h.Renewed
	return h, nil
}

// switchTo gets a new token of the user, with their PIN when plex.tv wants one.
func (s *Service) switchTo(ctx context.Context, t homeTarget, pin PINFunc) (auth.Token, error) {
	name := HomeUserName(t.user)
	ask := func() (string, error) {
		if pin == nil {
			return "", fmt.Errorf("%s: %w", name, ErrPINNeeded)
		}
		p, err := pin(t.user)
		if err == nil && p == "" {
			err = ErrPINNeeded
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return p, nil
	}
	sw := func(p string) (tok auth.Token, err error) {
		err = retry(ctx, func() (err error) { tok, err = s.Client.SwitchHomeUser(ctx, t.acct, t.user.UUID, p); return err })
		return tok, err
	}
	p := ""
	var err error
	if t.user.Protected {
		if p, err = ask(); err != nil {
			return "", err
		}
	}
	tok, err := sw(p)
	if errors.Is(err, auth.ErrHomePINRequired) && p == "" {
		// The list said no PIN (or was not asked): plex.tv knows better.
		if p, err = ask(); err != nil {
			return "", err
		}
		tok, err = sw(p)
	}
	switch {
	case err == nil:
		return tok, nil
	case errors.Is(err, auth.ErrHomePINRequired):
		return "", fmt.Errorf("%s: %w", name, ErrWrongPIN)
	case errors.Is(err, auth.ErrUnauthorized):
		return "", ErrAccountRefused
	default:
		return "", fmt.Errorf("switching to %s: %w", name, err)
	}
}

// alive asks plex.tv (GET /ping as c) whether tok works: false with a nil error when
// plex.tv refused it, an error when it could not be asked.
func alive(ctx context.Context, c *auth.Client, tok auth.Token) (bool, error) {
	err := c.Ping(ctx, tok)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, auth.ErrUnauthorized):
		return false, nil
	default:
		return false, err
	}
}

// recordUser names the user in the index (keeping their tools), and with tool, that tool.
func (s *Service) recordUser(ctx context.Context, t homeTarget, tool func(map[string]indexEntry)) error {
	return s.editIndex(ctx, func(idx *toolIndex) {
		e := idx.Users[t.user.UUID]
		e.ID, e.Name, e.AccountID = t.user.ID, HomeUserName(t.user), t.me
		if e.Tools == nil {
			e.Tools = map[string]indexEntry{}
		}
		if tool != nil {
			tool(e.Tools)
		}
		idx.Users[t.user.UUID] = e
	})
}

// UserToolToken is ToolToken for a Home user: the tool's token of that user, under the
// tool's identity (the same client identifier as the account's token for the tool).
func (s *Service) UserToolToken(ctx context.Context, user, tool string, pin PINFunc) (ToolHandout, UserHandout, error) {
	if err := CheckToolName(tool); err != nil {
		return ToolHandout{}, UserHandout{}, err
	}
	t, err := s.resolveUser(ctx, user)
	if err != nil {
		return ToolHandout{}, UserHandout{}, err
	}
	if t.self {
		h, err := s.ToolToken(ctx, tool)
		return h, UserHandout{User: t.user, Token: t.acct, Account: true}, err
	}
	uh, err := s.userToken(ctx, t, pin)
	if err != nil {
		return ToolHandout{}, uh, err
	}
	h, err := s.userToolToken(ctx, t, uh.Token, tool)
	return h, uh, err
}

func userToolKey(tool, uuid string) string { return tool + "@" + uuid }

func (s *Service) userToolToken(ctx context.Context, t homeTarget, userTok auth.Token, tool string) (ToolHandout, error) {
	var h ToolHandout
	var err error
	if h.Identity, err = s.ToolIdentity(tool); err != nil {
		return h, err
	}
	name := HomeUserName(t.user)
	tc := *s.Client
	tc.Identity = h.Identity
	sl := toolSlot{key: userToolKey(tool, t.user.UUID), label: tool + " as " + name, approver: userTok, owner: t.user.ID,
		record: func(ctx context.Context, clientID string, owner int64) {
			_ = s.recordUser(ctx, t, func(tools map[string]indexEntry) {
				e := tools[tool]
				if e.Created.IsZero() || e.ClientID != clientID {
					e.Created = nowSecond()
				}
				e.ClientID, e.AccountID = clientID, owner
				tools[tool] = e
			})
		}}
	h, err = s.handOut(ctx, sl, h, func(tok auth.Token) (bool, error) { return alive(ctx, &tc, tok) })
	if errors.Is(err, ErrAccountRefused) {
		// mint's words are about the account; here it was the member's token.
		err = fmt.Errorf("plex.tv refused %s's token while approving %s's; run the command again to switch anew: %w", name, tool, auth.ErrUnauthorized)
	}
	return h, err
}

// UserTool is a tool with a token of a Home user.
type UserTool struct {
	ToolInfo
	User     string // the user's name
	UserUUID string
}

// UserTools lists the tools with a token of a Home user (all users when user is ""), from
// the keychain's index: no network.
func (s *Service) UserTools(user string) ([]UserTool, error) {
	idx, err := s.loadIndex()
	if err != nil {
		return nil, err
	}
	uuids := userUUIDs(idx.Users)
	if user != "" {
		u, err := FindHomeUser(indexedUsers(idx.Users), user)
		if err != nil {
			return nil, err
		}
		uuids = []string{u.UUID}
	}
	var out []UserTool
	for _, uuid := range uuids {
		e := idx.Users[uuid]
		for _, name := range sortedKeys(e.Tools) {
			t := e.Tools[name]
			out = append(out, UserTool{ToolInfo: ToolInfo{Name: name, ClientID: t.ClientID, Created: t.Created}, User: e.Name, UserUUID: uuid})
		}
	}
	return out, nil
}

// indexedUsers are the index's users as HomeUsers, for FindHomeUser.
func indexedUsers(users map[string]userEntry) []auth.HomeUser {
	var out []auth.HomeUser
	for _, uuid := range userUUIDs(users) {
		out = append(out, auth.HomeUser{ID: users[uuid].ID, UUID: uuid, Title: users[uuid].Name})
	}
	return out
}

// RevokeUserTool signs out and removes the tool's token of a Home user (named as the index
// knows them), as RevokeTool does for the account's.
func (s *Service) RevokeUserTool(ctx context.Context, user, tool string) error {
	if err := CheckToolName(tool); err != nil {
		return err
	}
	idx, err := s.loadIndex()
	if err != nil {
		return err
	}
	u, err := FindHomeUser(indexedUsers(idx.Users), user)
	if err != nil {
		return fmt.Errorf("%s: %w", tool, ErrNoTool)
	}
	label := tool + " as " + u.Title
	store := s.ToolTokens(userToolKey(tool, u.UUID))
	return s.revoke(ctx, label, store, func() error {
		if err := store.Delete(); err != nil {
			return err
		}
		return s.editIndex(ctx, func(idx *toolIndex) {
			if e, ok := idx.Users[u.UUID]; ok {
				delete(e.Tools, tool)
				idx.Users[u.UUID] = e
			}
		})
	})
}

// checkUsers is CheckTools for the Home users: each stored user token is pinged and, when
// refused, re-obtained by switching (a user with a PIN cannot be: that is reported), then
// each of the user's tool tokens is pinged and renewed like the account's.
func (s *Service) checkUsers(ctx context.Context) (renewed []string, first error) {
	idx, err := s.loadIndex()
	if err != nil || len(idx.Users) == 0 {
		return nil, err
	}
	acct, c, err := s.AccountToken()
	if err != nil {
		return nil, err
	}
	note := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, uuid := range userUUIDs(idx.Users) {
		e := idx.Users[uuid]
		t, err := s.target(ctx, acct, c, auth.HomeUser{ID: e.ID, UUID: uuid, Title: e.Name})
		if err != nil {
			note(err)
			continue
		}
		uh, err := s.userToken(ctx, t, nil)
		if errors.Is(err, ErrPINNeeded) {
			err = fmt.Errorf("plex.tv refused %s's token, and switching again needs their Home PIN: run `plexlink token --user %q`", e.Name, e.Name)
		}
		if err == nil {
			err = uh.Unchecked
		}
		if err != nil {
			note(err)
			continue
		}
		if uh.Renewed {
			renewed = append(renewed, "user "+e.Name)
		}
		for _, tool := range sortedKeys(e.Tools) {
			h, err := s.userToolToken(ctx, t, uh.Token, tool)
			if err == nil {
				err = h.Unchecked
			}
			if err != nil {
				note(fmt.Errorf("%s as %s: %w", tool, e.Name, err))
			} else if h.Renewed {
				renewed = append(renewed, tool+" as "+e.Name)
			}
		}
	}
	return renewed, first
}

// dropUsers removes (signing out first with signOut) the tokens of the indexed Home users
// drop picks and of their tools: removed names the users and "TOOL as USER" for the tools.
func (s *Service) dropUsers(ctx context.Context, drop func(userEntry) bool, signOut bool) (removed, notSignedOut []string, err error) {
	idx, err := s.loadIndex()
	if err != nil {
		return nil, nil, err
	}
	var d dropped
	for _, uuid := range userUUIDs(idx.Users) {
		e := idx.Users[uuid]
		if !drop(e) {
			continue
		}
		stores := map[string]storage.TokenStore{}
		for _, tool := range sortedKeys(e.Tools) {
			stores[tool+" as "+e.Name] = s.ToolTokens(userToolKey(tool, uuid))
		}
		if us := s.userStore(uuid); us != nil {
			stores[e.Name] = us
		}
		for _, label := range sortedKeys(stores) {
			if err := d.drop(ctx, s, label, stores[label], signOut); err != nil {
				return d.removed, d.notSignedOut, err
			}
		}
		if err := s.editIndex(ctx, func(idx *toolIndex) { delete(idx.Users, uuid) }); err != nil {
			return d.removed, d.notSignedOut, err
		}
	}
	return d.removed, d.notSignedOut, nil
}

// dropped collects what drop removed, and what of that plex.tv could not sign out.
type dropped struct{ removed, notSignedOut []string }

// drop signs the token in store out (with signOut) and deletes it, noting it under label.
func (d *dropped) drop(ctx context.Context, s *Service, label string, store storage.TokenStore, signOut bool) error {
	had, out, err := s.dropStore(ctx, store, signOut)
	if had {
		d.removed = append(d.removed, label)
	}
	if had && signOut && !out {
		d.notSignedOut = append(d.notSignedOut, label)
	}
	return err
}

// dropStore signs the stored token out (with signOut) and deletes it. had: there was one;
// signedOut: plex.tv invalidated it (or already had).
func (s *Service) dropStore(ctx context.Context, store storage.TokenStore, signOut bool) (had, signedOut bool, err error) {
	tok, err := store.Load()
	switch {
	case errors.Is(err, storage.ErrNotLinked):
		return false, false, nil
	case err != nil:
		return false, false, err
	}
	if signOut {
		err := s.Client.SignOut(ctx, auth.Token(tok))
		signedOut = err == nil || errors.Is(err, auth.ErrUnauthorized)
	}
	if err := store.Delete(); err != nil && !errors.Is(err, storage.ErrNotLinked) {
		return true, signedOut, err
	}
	return true, signedOut, nil
}

func userUUIDs(users map[string]userEntry) []string {
	return sortedKeys(users)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
