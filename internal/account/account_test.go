package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/storage"
)

// newTestService wires the real service to the fake plex.tv over loopback HTTP, with an
// in-memory token store (the keychain itself is tested in storage and the CLI e2e tests).
func newTestService(t *testing.T, token string) (*Service, *plextvtest.Server, *storage.MemoryStore) {
	t.Helper()
	srv := plextvtest.NewServer()
	t.Cleanup(srv.Close)
	mem := storage.NewMemoryStore(token)
	svc := &Service{
		Client: &auth.Client{BaseURL: srv.URL, LinkPage: srv.LinkURL,
			Identity: auth.Identity{Product: "Plex Link", ClientID: "account-test"}},
		Tokens:       mem,
		Config:       storage.OpenConfig(filepath.Join(t.TempDir(), "config.json")),
		PollInterval: 20 * time.Millisecond,
	}
	return svc, srv, mem
}

// approveWhenReady approves each code the engine reports, like a user on plex.tv/link.
func approveWhenReady(t *testing.T, srv *plextvtest.Server) func(auth.Event) {
	return func(e auth.Event) {
		if e.State == auth.StatePinReady {
			go func() {
				if _, err := srv.Approve(e.Code); err != nil {
					t.Errorf("approve: %v", err)
				}
			}()
		}
	}
}

func TestLinkStoresValidatedTokenAndDetails(t *testing.T) {
	svc, srv, mem := newTestService(t, "")
	out := svc.Link(context.Background(), LinkOptions{OnEvent: approveWhenReady(t, srv)})
	if out.Kind != Linked || out.Err != nil {
		t.Fatalf("link: %s", out.Summary())
	}
	acct := out.Account
	tok, err := mem.Load()
	if err != nil || !srv.TokenValid(tok) {
		t.Fatalf("stored token is not one plex.tv accepts (err %v)", err)
	}
	if acct.Username != srv.Username() {
		t.Fatalf("account %q, want %q", acct.Username, srv.Username())
	}
	cfg, err := svc.Config.Load()
	if err != nil || cfg.Account == nil || cfg.Account.Username != srv.Username() || cfg.Account.LinkedAt.IsZero() {
		t.Fatalf("config account = %+v, %v", cfg.Account, err)
	}
	// The fake's thumb is on loopback: the avatar comes from there, never the internet.
	b, err := svc.Avatar(context.Background(), acct.Thumb)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("avatar from %q: %d bytes, %v", acct.Thumb, len(b), err)
	}
}

func TestFailedOrCancelledRelinkKeepsOldToken(t *testing.T) {
	svc, srv, mem := newTestService(t, "old-token")

	// Cancelled while waiting for approval.
	ctx, cancel := context.WithCancel(context.Background())
	out := svc.Link(ctx, LinkOptions{OnEvent: func(e auth.Event) {
		if e.State == auth.StateWaiting {
			cancel()
		}
	}})
	if out.Kind != Cancelled || !errors.Is(out.Err, context.Canceled) {
		t.Fatalf("cancelled link: %v %v", out.Kind, out.Err)
	}
	if tok, _ := mem.Load(); tok != "old-token" {
		t.Fatal("a cancelled relink changed the stored token")
	}

	// Approved, but plex.tv rejects the new token during validation.
	srv.FailNext(plextvtest.RouteUser, 1, plextvtest.Fault{Status: http.StatusUnauthorized,
		Body: `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`})
	out = svc.Link(context.Background(), LinkOptions{OnEvent: approveWhenReady(t, srv)})
	if out.Kind != Rejected || !errors.Is(out.Err, auth.ErrUnauthorized) {
		t.Fatalf("link with a rejected token: %v %v, want Rejected", out.Kind, out.Err)
	}
	if tok, _ := mem.Load(); tok != "old-token" {
		t.Fatal("a relink whose token failed validation changed the stored token")
	}
}

func TestNotSavedKeepsTokenForRetry(t *testing.T) {
	svc, srv, mem := newTestService(t, "old-token")
	mem.SetUnavailable(true)
	out := svc.Link(context.Background(), LinkOptions{OnEvent: approveWhenReady(t, srv)})
	if out.Kind != NotSaved || !errors.Is(out.Err, storage.ErrKeychainUnavailable) || out.Account == nil {
		t.Fatalf("link with a locked keychain: %v %v, want NotSaved wrapping ErrKeychainUnavailable", out.Kind, out.Err)
	}
	if strings.Contains(out.Summary(), out.approval.Token.Reveal()) {
		t.Fatal("the outcome's summary contains the token")
	}
	if again := out.Retry(); again.Kind != NotSaved {
		t.Fatal("Retry succeeded while the keychain is still unavailable")
	}
	mem.SetUnavailable(false)
	if tok, _ := mem.Load(); tok != "old-token" {
		t.Fatal("a failed save lost the old token")
	}
	if done := out.Retry(); done.Kind != Linked {
		t.Fatalf("Retry after the keychain came back: %s", done.Summary())
	}
	tok, _ := mem.Load()
	if tok == "old-token" || !srv.TokenValid(tok) {
		t.Fatal("Retry did not store the validated new token")
	}
}

// One table for the terminal and the window: every way a link run ends has its kind and
// one sentence.
func TestOutcomeTable(t *testing.T) {
	acct := &storage.LinkedAccount{Username: "alice"}
	for _, tc := range []struct {
		err  error
		kind Kind
		says string
	}{
		{context.Canceled, Cancelled, "unchanged"},
		{fmt.Errorf("poll: %w", auth.ErrPinExpired), Expired, "expired"},
		{fmt.Errorf("validate: %w", auth.ErrUnauthorized), Rejected, "rejected"},
		{errors.New("boom"), Failed, "boom"},
	} {
		out := failed(tc.err)
		if out.Kind != tc.kind || !strings.Contains(out.Summary(), tc.says) {
			t.Errorf("%v: kind %v %q", tc.err, out.Kind, out.Summary())
		}
	}
	if s := (Outcome{Kind: Linked, Account: acct}).Summary(); s != "Linked as alice." {
		t.Errorf("linked: %q", s)
	}
	if s := (Outcome{Kind: Linked, Account: acct, Err: errors.New("disk full")}).Summary(); !strings.Contains(s, "stored") || !strings.Contains(s, "disk full") {
		t.Errorf("linked without details: %q", s)
	}
	if s := (Outcome{Kind: NotSaved, Account: acct, Err: storage.ErrKeychainUnavailable}).Summary(); !strings.Contains(s, "could not be saved") {
		t.Errorf("not saved: %q", s)
	}
	for _, a := range []*storage.LinkedAccount{nil, {}, {Title: "T"}, {Email: "e@x"}} {
		if DisplayName(a) == "" {
			t.Errorf("DisplayName(%+v) is empty", a)
		}
	}
}

func TestStatusChecksTokenWithPlex(t *testing.T) {
	svc, srv, _ := newTestService(t, "")
	st, err := svc.Status(context.Background(), true)
	if err != nil || st.Linked {
		t.Fatalf("status with nothing stored: %+v, %v", st, err)
	}
	if n := srv.Count(plextvtest.RouteUser); n != 0 {
		t.Fatalf("status of an unlinked app made %d GET /user calls, want 0", n)
	}

	svc.Tokens = storage.NewMemoryStore(srv.AccountToken())
	st, err = svc.Status(context.Background(), true)
	if err != nil || !st.Linked || st.Valid == nil || !*st.Valid {
		t.Fatalf("status with a good token: %+v, %v", st, err)
	}
	// The config had no account details: a successful check recreates them.
	if st.Account == nil || st.Account.Username != srv.Username() {
		t.Fatalf("account details not repaired from GET /user: %+v", st.Account)
	}

	// With the details on file, the check is the cheaper GET /ping.
	users := srv.Count(plextvtest.RouteUser)
	st, err = svc.Status(context.Background(), true)
	if err != nil || st.Valid == nil || !*st.Valid || srv.Count(plextvtest.RouteUser) != users || srv.Count(plextvtest.RoutePing) != 1 {
		t.Fatalf("second check: %+v, %v; %d GET /user, %d GET /ping", st, err, srv.Count(plextvtest.RouteUser)-users, srv.Count(plextvtest.RoutePing))
	}
	if st.Account == nil || st.Account.Username != srv.Username() {
		t.Fatalf("details lost by a ping check: %+v", st.Account)
	}

	for _, fault := range []plextvtest.Fault{{Status: http.StatusServiceUnavailable}, {Body: "<html>portal</html>", ContentType: "text/html"}} {
		srv.FailNext(plextvtest.RoutePing, 1, fault)
		st, _ = svc.Status(context.Background(), true)
		if st.Valid != nil || st.CheckErr == nil {
			t.Fatalf("%+v must mean 'could not check', got valid=%v err=%v", fault, st.Valid, st.CheckErr)
		}
	}

	svc.Tokens = storage.NewMemoryStore("revoked-token")
	st, _ = svc.Status(context.Background(), true)
	if st.Valid == nil || *st.Valid {
		t.Fatalf("401 must mean invalid, got valid=%v err=%v", st.Valid, st.CheckErr)
	}

	mem := storage.NewMemoryStore("x")
	mem.SetUnavailable(true)
	svc.Tokens = mem
	if _, err := svc.Status(context.Background(), true); !errors.Is(err, storage.ErrKeychainUnavailable) {
		t.Fatalf("status with a broken keychain: %v, want ErrKeychainUnavailable (never 'not linked')", err)
	}
}

func TestUnlinkSignOut(t *testing.T) {
	svc, srv, mem := newTestService(t, "")
	if out := svc.Link(context.Background(), LinkOptions{OnEvent: approveWhenReady(t, srv)}); out.Kind != Linked {
		t.Fatal(out.Summary())
	}
	tok, _ := mem.Load()
	res, err := svc.Unlink(context.Background(), true)
	if err != nil || !res.SignedOut {
		t.Fatalf("unlink --sign-out: %+v, %v", res, err)
	}
	if srv.TokenValid(tok) {
		t.Fatal("the signed-out token still works on plex.tv")
	}
	if _, err := mem.Load(); !errors.Is(err, storage.ErrNotLinked) {
		t.Fatalf("token still stored: %v", err)
	}
	if cfg, _ := svc.Config.Load(); cfg.Account != nil {
		t.Fatal("account details left in the config after unlink")
	}
}

func TestAvatarRefusesPlainHTTPToRemoteHosts(t *testing.T) {
	svc, _, _ := newTestService(t, "")
	if _, err := svc.Avatar(context.Background(), "http://plex.example.com/photo.png"); err == nil {
		t.Fatal("avatar fetched over plain http from a remote host")
	}
}
