package account

// Hand-off trust (docs/RELIABILITY.md): each tool's token stays single, alive, revocable and
// never orphaned, and the account token goes only to the host it was linked with.

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/storage"
)

func mustTool(t *testing.T, svc *Service, name string) ToolHandout {
	t.Helper()
	h, err := svc.ToolToken(context.Background(), name)
	if err != nil {
		t.Fatalf("ToolToken(%s): %v", name, err)
	}
	return h
}

func TestToolTokenSignedOutElsewhereIsRenewedUnderTheSameDevice(t *testing.T) {
	svc, srv, stores := linkedWithTools(t)
	first := mustTool(t, svc, "kometa")
	srv.Revoke(first.Token.Reveal()) // plex.tv's Authorized Devices: "remove"
	again := mustTool(t, svc, "kometa")
	if !again.Renewed || again.Minted || again.Token == first.Token || !srv.TokenValid(again.Token.Reveal()) {
		t.Fatalf("after a sign-out elsewhere: renewed=%t minted=%t same=%t valid=%t", again.Renewed, again.Minted,
			again.Token == first.Token, srv.TokenValid(again.Token.Reveal()))
	}
	if again.Identity.ClientID != first.Identity.ClientID ||
		srv.LastHeader(plextvtest.RouteCreatePin).Get("X-Plex-Client-Identifier") != first.Identity.ClientID {
		t.Error("the renewed token was requested under another identity: plex.tv would list a new device")
	}
	if got, _ := stores["kometa"].Load(); got != again.Token.Reveal() {
		t.Error("the renewed token was not stored")
	}
}

func TestToolTokenHandedOutWhenPlexCannotBeAsked(t *testing.T) {
	svc, srv, _ := linkedWithTools(t)
	first := mustTool(t, svc, "kometa")
	pins := srv.Count(plextvtest.RouteCreatePin)
	srv.FailNext(plextvtest.RoutePing, 1, plextvtest.Fault{Status: 503})
	h := mustTool(t, svc, "kometa")
	if h.Token != first.Token || h.Unchecked == nil || h.Renewed || srv.Count(plextvtest.RouteCreatePin) != pins {
		t.Fatalf("plex.tv down: same=%t unchecked=%v renewed=%t", h.Token == first.Token, h.Unchecked, h.Renewed)
	}
}

func TestToolsNeedARelinkAfterSignOutOfAllDevices(t *testing.T) {
	svc, srv, _ := linkedWithTools(t)
	first := mustTool(t, svc, "kometa")
	srv.SignOutAll()
	_, err := svc.ToolToken(context.Background(), "kometa")
	if !errors.Is(err, ErrAccountRefused) || !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), "relink") {
		t.Fatalf("after sign out of all devices: %v, want ErrAccountRefused saying relink", err)
	}
	if out := svc.Link(context.Background(), LinkOptions{OnEvent: approveWhenReady(t, srv)}); out.Kind != Linked {
		t.Fatal(out.Summary())
	}
	h := mustTool(t, svc, "kometa")
	if !h.Renewed || h.Token == first.Token || !srv.TokenValid(h.Token.Reveal()) {
		t.Fatalf("after relinking, the next use did not get a fresh token: %+v", h)
	}
}

func TestTwoProcessesMintOneToolToken(t *testing.T) {
	svc, srv, stores := linkedWithTools(t)
	// A second "process": its own config store on the same file (flock is per open file),
	// the same keychain items.
	other := *svc
	other.Config = storage.OpenConfig(svc.Config.Path)
	pins := srv.Count(plextvtest.RouteCreatePin)
	var wg sync.WaitGroup
	got := make([]ToolHandout, 2)
	errs := make([]error, 2)
	for i, s := range []*Service{svc, &other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.ToolToken(context.Background(), "kometa")
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if got[0].Token != got[1].Token || srv.Count(plextvtest.RouteCreatePin) != pins+1 {
		t.Fatalf("two concurrent first uses minted %d tokens (same=%t)", srv.Count(plextvtest.RouteCreatePin)-pins, got[0].Token == got[1].Token)
	}
	if stored, _ := stores["kometa"].Load(); stored != got[0].Token.Reveal() {
		t.Error("the stored token is not the one handed out")
	}
}

func TestToolsIndexOutlivesConfig(t *testing.T) {
	svc, srv, _ := linkedWithTools(t)
	k, p := mustTool(t, svc, "kometa"), mustTool(t, svc, "plexapi")
	if err := os.Remove(svc.Config.Path); err != nil {
		t.Fatal(err)
	}
	tools, err := svc.Tools()
	if err != nil || len(tools) != 2 || tools[0].Name != "kometa" || tools[0].ClientID != k.Identity.ClientID {
		t.Fatalf("Tools() without config.json = %+v, %v", tools, err)
	}
	// The recreated config.json shows and keeps them.
	c, err := svc.Config.Load()
	if err != nil || c.Tools["kometa"] == nil || c.Tools["plexapi"] == nil || c.Tools["kometa"].ClientID != k.Identity.ClientID {
		t.Fatalf("recreated config: %+v, %v", c.Tools, err)
	}
	if id, _ := svc.ToolIdentity("plexapi"); id.ClientID != p.Identity.ClientID {
		t.Error("the tool's identity changed with the lost config")
	}
	_ = os.Remove(svc.Config.Path)
	res, err := svc.Unlink(context.Background(), true)
	if err != nil || len(res.ToolsRemoved) != 2 {
		t.Fatalf("unlink --sign-out without config.json: %+v, %v", res, err)
	}
	if srv.TokenValid(k.Token.Reveal()) || srv.TokenValid(p.Token.Reveal()) {
		t.Error("a tool's token stays valid on plex.tv after unlink --sign-out without config.json")
	}
	if raw, err := svc.ToolIndex.Load(); !errors.Is(err, storage.ErrNotLinked) {
		t.Errorf("the index survived unlink: %q %v", raw, err)
	}
}

func TestRelinkAsAnotherAccountDropsThePreviousTools(t *testing.T) {
	svc, srv, stores := linkedWithTools(t)
	k := mustTool(t, svc, "kometa")
	out := svc.Link(context.Background(), LinkOptions{OnEvent: func(e auth.Event) {
		if e.State == auth.StatePinReady {
			go func() { _, _ = srv.ApproveAsOther(e.Code) }()
		}
	}})
	if out.Kind != Linked || out.Account.Username != "other" {
		t.Fatalf("relink as other: %s", out.Summary())
	}
	if len(out.ToolsDropped) != 1 || out.ToolsDropped[0] != "kometa" || !strings.Contains(out.Summary(), "kometa") {
		t.Fatalf("dropped %v; summary %q", out.ToolsDropped, out.Summary())
	}
	if srv.TokenValid(k.Token.Reveal()) {
		t.Error("the previous account's tool token was not signed out")
	}
	if _, err := stores["kometa"].Load(); !errors.Is(err, storage.ErrNotLinked) {
		t.Error("the previous account's tool token is still stored")
	}
	h := mustTool(t, svc, "kometa")
	if !h.Minted || h.Token == k.Token {
		t.Fatalf("kometa after the relink: %+v", h)
	}
	// A relink as the same account keeps the tools.
	out = svc.Link(context.Background(), LinkOptions{OnEvent: func(e auth.Event) {
		if e.State == auth.StatePinReady {
			go func() { _, _ = srv.ApproveAsOther(e.Code) }()
		}
	}})
	if out.Kind != Linked || len(out.ToolsDropped) != 0 {
		t.Fatalf("relink as the same account dropped %v", out.ToolsDropped)
	}
}

func TestAccountTokenGoesOnlyToItsHost(t *testing.T) {
	svc, srv, _ := linkedWithTools(t)
	c, _ := svc.Config.Load()
	if c.Account == nil || c.Account.API != srv.URL {
		t.Fatalf("the link did not record its API host: %+v", c.Account)
	}
	other := *svc
	client := *svc.Client
	client.BaseURL = "https://plex.example.invalid/api/v2" // never dialled: refused before any request
	other.Client = &client
	if _, err := other.ToolToken(context.Background(), "kometa"); !errors.Is(err, ErrOtherHost) {
		t.Fatalf("ToolToken against another host: %v, want ErrOtherHost", err)
	}
	if st, err := other.Status(context.Background(), true); err != nil || !errors.Is(st.CheckErr, ErrOtherHost) || st.Valid != nil {
		t.Fatalf("Status against another host: %+v %v", st, err)
	}
	if _, err := other.Unlink(context.Background(), true); !errors.Is(err, ErrOtherHost) {
		t.Fatalf("unlink --sign-out against another host: %v", err)
	}
	if _, err := svc.Tokens.Load(); err != nil {
		t.Fatal("a refused sign-out removed the token")
	}
	// Another loopback fake (a new port) may use it: fakes have keychain services of their own.
	client.BaseURL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := other.ToolToken(context.Background(), "kometa"); err != nil {
		t.Fatalf("ToolToken against a loopback fake: %v", err)
	}
}

func TestUnlinkWaitsForLinksElsewhere(t *testing.T) {
	svc, _, _ := linkedWithTools(t)
	busy := errors.New("a link elsewhere did not stop")
	svc.StopLinks = func(ctx context.Context) (func(), error) { return nil, busy }
	if _, err := svc.Unlink(context.Background(), false); !errors.Is(err, busy) {
		t.Fatalf("Unlink while a link could not be stopped: %v", err)
	}
	if _, err := svc.Tokens.Load(); err != nil {
		t.Fatal("the token was removed although a link could still land")
	}
	released := false
	svc.StopLinks = func(ctx context.Context) (func(), error) { return func() { released = true }, nil }
	if _, err := svc.Unlink(context.Background(), false); err != nil || !released {
		t.Fatalf("Unlink: %v, released %t", err, released)
	}
}
