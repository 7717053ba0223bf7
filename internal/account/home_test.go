package account

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/storage"
)

// linkedWithHome is linkedWithTools with the Home users' tokens in memory stores too
// (keyed "user:UUID", beside the tools' "NAME" and "NAME@UUID").
func linkedWithHome(t *testing.T) (*Service, *plextvtest.Server, map[string]*storage.MemoryStore) {
	t.Helper()
	svc, srv, stores := linkedWithTools(t)
	var mu sync.Mutex
	tools := svc.ToolTokens
	svc.ToolTokens = func(name string) storage.TokenStore {
		mu.Lock()
		defer mu.Unlock()
		return tools(name)
	}
	svc.UserTokens = func(uuid string) storage.TokenStore {
		mu.Lock()
		defer mu.Unlock()
		if stores["user:"+uuid] == nil {
			stores["user:"+uuid] = storage.NewMemoryStore("")
		}
		return stores["user:"+uuid]
	}
	return svc, srv, stores
}

// pinOf answers with pin and counts the calls.
func pinOf(pin string, calls *int) PINFunc {
	return func(auth.HomeUser) (string, error) { *calls++; return pin, nil }
}

func whoIs(t *testing.T, svc *Service, tok auth.Token) *auth.Account {
	t.Helper()
	a, err := svc.Client.User(context.Background(), tok)
	if err != nil {
		t.Fatalf("GET /user with a handed-out token: %v", err)
	}
	return a
}

func TestHomeUsersEachGetTheirOwnToken(t *testing.T) {
	svc, srv, stores := linkedWithHome(t)
	ctx := context.Background()
	acct, _ := svc.Tokens.Load()
	users, err := svc.HomeUsers(ctx)
	if err != nil || len(users) != 3 || !users[0].Admin {
		t.Fatalf("HomeUsers = %+v, %v; want the admin and two members", users, err)
	}

	// The admin is the linked account: its own token, no switch.
	switches := srv.Count(plextvtest.RouteSwitch)
	self, err := svc.UserToken(ctx, srv.Username(), nil)
	if err != nil || !self.Account || self.Token.Reveal() != acct || srv.Count(plextvtest.RouteSwitch) != switches {
		t.Fatalf("UserToken(admin) = account %t, same token %t, %v; switched %d times", self.Account, self.Token.Reveal() == acct, err,
			srv.Count(plextvtest.RouteSwitch)-switches)
	}

	// The managed user: no PIN asked, their own token, kept as user:UUID.
	calls := 0
	kid, err := svc.UserToken(ctx, strings.ToUpper(plextvtest.ManagedUserTitle), pinOf("0000", &calls))
	if err != nil || !kid.Switched || calls != 0 {
		t.Fatalf("UserToken(managed, ignoring case) = %+v, %v; PIN asked %d times", kid, err, calls)
	}
	if who := whoIs(t, svc, kid.Token); who.UUID != kid.User.UUID || kid.Token.Reveal() == acct {
		t.Fatalf("the managed user's token is %s's", who.Title)
	}
	if stored, _ := stores["user:"+kid.User.UUID].Load(); stored != kid.Token.Reveal() {
		t.Fatal("the managed user's token was not kept as user:UUID")
	}
	// Again: the stored one, checked with one ping, no switch.
	switches, pings := srv.Count(plextvtest.RouteSwitch), srv.Count(plextvtest.RoutePing)
	again, err := svc.UserToken(ctx, kid.User.UUID, nil)
	if err != nil || again.Token != kid.Token || again.Switched || srv.Count(plextvtest.RouteSwitch) != switches || srv.Count(plextvtest.RoutePing) != pings+1 {
		t.Fatalf("UserToken(by uuid) again = %+v, %v", again, err)
	}
	if got, _ := svc.Tokens.Load(); got != acct || !srv.TokenValid(acct) {
		t.Fatal("a switch touched the account token")
	}

	if _, err := svc.UserToken(ctx, "nobody", nil); !errors.Is(err, auth.ErrNoSuchHomeUser) {
		t.Errorf("UserToken(nobody): %v, want ErrNoSuchHomeUser", err)
	}
	st, _ := svc.Status(ctx, false)
	if st.HomeUsers != 1 {
		t.Errorf("Status.HomeUsers = %d, want 1", st.HomeUsers)
	}
}

func TestHomePINRules(t *testing.T) {
	svc, srv, stores := linkedWithHome(t)
	ctx := context.Background()
	acct, _ := svc.Tokens.Load()
	name := plextvtest.ProtectedUserName

	if _, err := svc.UserToken(ctx, name, nil); !errors.Is(err, ErrPINNeeded) {
		t.Fatalf("protected user without a PIN: %v, want ErrPINNeeded", err)
	}
	calls := 0
	_, err := svc.UserToken(ctx, name, pinOf("1111", &calls))
	if !errors.Is(err, ErrWrongPIN) || calls != 1 || strings.Contains(err.Error(), "1111") {
		t.Fatalf("wrong PIN: %v (asked %d times), want ErrWrongPIN without the PIN in it", err, calls)
	}
	for key, s := range stores {
		if tok, _ := s.Load(); strings.HasPrefix(key, "user:") && tok != "" {
			t.Fatal("a refused switch stored a token")
		}
	}
	if got, _ := svc.Tokens.Load(); got != acct || !srv.TokenValid(acct) {
		t.Fatal("a wrong PIN touched the account token")
	}
	alice, err := svc.UserToken(ctx, name, pinOf(plextvtest.ProtectedUserPIN, &calls))
	if err != nil || whoIs(t, svc, alice.Token).UUID != alice.User.UUID || !alice.User.Protected {
		t.Fatalf("right PIN: %+v, %v", alice, err)
	}

	// plex.tv refuses the stored token (signed out elsewhere): switched again, which needs
	// the PIN again; the refused one is replaced.
	srv.Revoke(alice.Token.Reveal())
	if _, err := svc.UserToken(ctx, name, nil); !errors.Is(err, ErrPINNeeded) {
		t.Fatalf("re-switching a protected user without a PIN: %v", err)
	}
	renewed, err := svc.UserToken(ctx, name, pinOf(plextvtest.ProtectedUserPIN, &calls))
	if err != nil || !renewed.Renewed || renewed.Token == alice.Token || !srv.TokenValid(renewed.Token.Reveal()) {
		t.Fatalf("refused user token: %+v, %v; want a new one by switching again", renewed, err)
	}
	if stored, _ := stores["user:"+alice.User.UUID].Load(); stored != renewed.Token.Reveal() {
		t.Error("the renewed user token was not stored")
	}
}

func TestHomeUserToolTokens(t *testing.T) {
	svc, srv, stores := linkedWithHome(t)
	ctx := context.Background()
	acct, _ := svc.Tokens.Load()
	mine := mustTool(t, svc, "kometa")

	h, uh, err := svc.UserToolToken(ctx, plextvtest.ManagedUserTitle, "kometa", nil)
	if err != nil || !h.Minted {
		t.Fatalf("UserToolToken(managed, kometa) = %+v, %v", h, err)
	}
	if srv.LastHeader(plextvtest.RouteLinkPin).Get("X-Plex-Token") != uh.Token.Reveal() {
		t.Error("the user's tool token was not approved with the user's token")
	}
	if who := whoIs(t, svc, h.Token); who.UUID != uh.User.UUID || h.Token == uh.Token || h.Token == mine.Token {
		t.Fatalf("the user's kometa token belongs to %s, or is the user's or the account's kometa token", who.Title)
	}
	if h.Identity.ClientID != mine.Identity.ClientID || h.Identity.Product != "kometa" {
		t.Error("the user's kometa token was not requested under kometa's identity")
	}
	key := "kometa@" + uh.User.UUID
	if stored, _ := stores[key].Load(); stored != h.Token.Reveal() {
		t.Fatalf("not kept as tool:%s", key)
	}
	again, _, err := svc.UserToolToken(ctx, uh.User.UUID, "kometa", nil)
	if err != nil || again.Token != h.Token || again.Minted {
		t.Fatalf("second UserToolToken: %+v %v", again, err)
	}
	list, err := svc.UserTools(plextvtest.ManagedUserTitle)
	if err != nil || len(list) != 1 || list[0].Name != "kometa" || list[0].ClientID != mine.Identity.ClientID {
		t.Fatalf("UserTools = %+v, %v", list, err)
	}
	if tools, _ := svc.Tools(); len(tools) != 1 {
		t.Errorf("the account's tools list shows %d tools; the user's are listed apart", len(tools))
	}

	// Health check: a refused user token is re-switched, a refused user tool token renewed.
	srv.Revoke(uh.Token.Reveal())
	srv.Revoke(h.Token.Reveal())
	renewed, err := svc.CheckTools(ctx)
	if err != nil || !slices.Contains(renewed, "user "+plextvtest.ManagedUserTitle) || !slices.Contains(renewed, "kometa as "+plextvtest.ManagedUserTitle) {
		t.Fatalf("CheckTools renewed %v, %v", renewed, err)
	}
	fresh, _ := stores[key].Load()
	if fresh == h.Token.Reveal() || !srv.TokenValid(fresh) || whoIs(t, svc, auth.Token(fresh)).UUID != uh.User.UUID {
		t.Fatal("the user's kometa token was not renewed as that user")
	}
	if got, _ := svc.Tokens.Load(); got != acct {
		t.Fatal("the health check touched the account token")
	}

	// tools revoke --user: that token only.
	if err := svc.RevokeUserTool(ctx, plextvtest.ManagedUserTitle, "kometa"); err != nil {
		t.Fatal(err)
	}
	if srv.TokenValid(fresh) || !srv.TokenValid(mine.Token.Reveal()) {
		t.Error("revoking the user's kometa must kill it and leave the account's kometa")
	}
	if err := svc.RevokeUserTool(ctx, plextvtest.ManagedUserTitle, "kometa"); !errors.Is(err, ErrNoTool) {
		t.Errorf("revoking again: %v, want ErrNoTool", err)
	}
}

func TestUnlinkCoversHomeUsers(t *testing.T) {
	svc, srv, stores := linkedWithHome(t)
	ctx := context.Background()
	calls := 0
	kid, _, err := svc.UserToolToken(ctx, plextvtest.ManagedUserTitle, "plexapi", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := svc.UserToken(ctx, plextvtest.ProtectedUserName, pinOf(plextvtest.ProtectedUserPIN, &calls))
	if err != nil {
		t.Fatal(err)
	}
	var userTokens []string
	for key, s := range stores {
		if tok, _ := s.Load(); tok != "" && (strings.HasPrefix(key, "user:") || strings.Contains(key, "@")) {
			userTokens = append(userTokens, tok)
		}
	}
	if len(userTokens) != 3 || !slices.Contains(userTokens, kid.Token.Reveal()) || !slices.Contains(userTokens, alice.Token.Reveal()) {
		t.Fatalf("stored %d user tokens, want Kid's, Kid's plexapi and alice's", len(userTokens))
	}
	res, err := svc.Unlink(ctx, true)
	if err != nil || len(res.UsersRemoved) != 3 || len(res.UsersNotSignedOut) != 0 {
		t.Fatalf("Unlink = %+v, %v", res, err)
	}
	for _, tok := range userTokens {
		if srv.TokenValid(tok) {
			t.Error("a Home user's token stays valid after unlink --sign-out")
		}
	}
	for key, s := range stores {
		if tok, _ := s.Load(); tok != "" {
			t.Errorf("%s is still stored after unlink", key)
		}
	}
	if raw, err := svc.ToolIndex.Load(); !errors.Is(err, storage.ErrNotLinked) {
		t.Errorf("the index survived unlink: %q %v", raw, err)
	}
}

func TestRelinkAsAnotherAccountDropsTheHomeUsers(t *testing.T) {
	svc, srv, stores := linkedWithHome(t)
	ctx := context.Background()
	kid, err := svc.UserToken(ctx, plextvtest.ManagedUserTitle, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := svc.Link(ctx, LinkOptions{OnEvent: func(e auth.Event) {
		if e.State == auth.StatePinReady {
			go func() { _, _ = srv.ApproveAsOther(e.Code) }()
		}
	}})
	if out.Kind != Linked || !slices.Contains(out.ToolsDropped, plextvtest.ManagedUserTitle) {
		t.Fatalf("relink as other: %s (dropped %v)", out.Summary(), out.ToolsDropped)
	}
	if srv.TokenValid(kid.Token.Reveal()) {
		t.Error("the previous account's Home user token was not signed out")
	}
	if tok, _ := stores["user:"+kid.User.UUID].Load(); tok != "" {
		t.Error("the previous account's Home user token is still stored")
	}
}
