package account

import (
	"context"
	"errors"
	"sync"
	"testing"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/storage"
)

// linkedWithTools is a linked service whose tool tokens live in memory stores.
func linkedWithTools(t *testing.T) (*Service, *plextvtest.Server, map[string]*storage.MemoryStore) {
	t.Helper()
	svc, srv, _ := newTestService(t, "")
	if out := svc.Link(context.Background(), LinkOptions{OnEvent: approveWhenReady(t, srv)}); out.Kind != Linked {
		t.Fatal(out.Summary())
	}
	var mu sync.Mutex
	stores := map[string]*storage.MemoryStore{}
	svc.ToolTokens = func(name string) storage.TokenStore {
		mu.Lock()
		defer mu.Unlock()
		if stores[name] == nil {
			stores[name] = storage.NewMemoryStore("")
		}
		return stores[name]
	}
	svc.ToolIndex = storage.NewMemoryStore("")
	return svc, srv, stores
}

func TestToolTokenMintedOnceUnderItsOwnIdentity(t *testing.T) {
	svc, srv, stores := linkedWithTools(t)
	acct, _ := svc.Tokens.Load()
	pins := srv.Count(plextvtest.RouteCreatePin)
	h, err := svc.ToolToken(context.Background(), "kometa")
	tok := h.Token
	if err != nil || !h.Minted {
		t.Fatalf("first ToolToken: minted=%t %v", h.Minted, err)
	}
	if tok.Reveal() == acct || !srv.TokenValid(tok.Reveal()) {
		t.Fatal("the tool's token is the account token, or plex.tv does not accept it")
	}
	if stored, _ := stores["kometa"].Load(); stored != tok.Reveal() {
		t.Fatal("the minted token was not stored")
	}
	id, err := svc.ToolIdentity("kometa")
	if err != nil {
		t.Fatal(err)
	}
	hdr := srv.LastHeader(plextvtest.RouteCreatePin)
	if hdr.Get("X-Plex-Client-Identifier") != id.ClientID || hdr.Get("X-Plex-Product") != "kometa" || id.ClientID == svc.Client.Identity.ClientID {
		t.Errorf("the PIN was created as %q/%q, want the tool's own identifier %q and product kometa",
			hdr.Get("X-Plex-Client-Identifier"), hdr.Get("X-Plex-Product"), id.ClientID)
	}
	if srv.LastHeader(plextvtest.RouteLinkPin).Get("X-Plex-Token") != acct {
		t.Error("PUT /pins/link was not approved with the account token")
	}

	before := srv.Count(plextvtest.RouteCreatePin) + srv.Count(plextvtest.RouteUser) + srv.Count(plextvtest.RouteLinkPin)
	pings := srv.Count(plextvtest.RoutePing)
	again, err := svc.ToolToken(context.Background(), "kometa")
	if err != nil || again.Minted || again.Renewed || again.Token != tok {
		t.Fatalf("second ToolToken: %+v same=%t %v", again, again.Token == tok, err)
	}
	if after := srv.Count(plextvtest.RouteCreatePin) + srv.Count(plextvtest.RouteUser) + srv.Count(plextvtest.RouteLinkPin); after != before {
		t.Error("the second call minted again; it must only check the stored token")
	}
	if srv.Count(plextvtest.RoutePing) != pings+1 || srv.LastHeader(plextvtest.RoutePing).Get("X-Plex-Client-Identifier") != id.ClientID {
		t.Error("the stored token was not checked with one GET /ping under the tool's identity")
	}
	if srv.Count(plextvtest.RouteCreatePin) != pins+1 {
		t.Errorf("%d PINs created for one tool, want 1", srv.Count(plextvtest.RouteCreatePin)-pins)
	}
	id2, _ := svc.ToolIdentity("kometa")
	if id2.ClientID != id.ClientID {
		t.Error("the tool's client identifier changed: plex.tv would list a new device")
	}
	tools, err := svc.Tools()
	if err != nil || len(tools) != 1 || tools[0].Name != "kometa" || tools[0].Created.IsZero() || tools[0].LastUsed.IsZero() {
		t.Fatalf("Tools() = %+v, %v", tools, err)
	}
	if st, _ := svc.Status(context.Background(), false); st.Tools != 1 {
		t.Errorf("Status.Tools = %d, want 1", st.Tools)
	}
}

func TestToolTokenRetriesBadAnswers(t *testing.T) {
	svc, srv, _ := linkedWithTools(t)
	srv.FailNext(plextvtest.RouteLinkPin, 1, plextvtest.Fault{Status: 503})
	srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Body: "<html>proxy</html>", ContentType: "text/html"})
	if _, err := svc.ToolToken(context.Background(), "tautulli"); err != nil {
		t.Fatalf("one bad answer per call should be retried: %v", err)
	}
}

func TestToolTokenRefusesBadNamesAndNeedsALink(t *testing.T) {
	svc, _, _ := linkedWithTools(t)
	for _, name := range []string{"", "Kometa", "-x", "a b", "a/b", "tool:x", string(make([]byte, 65))} {
		if _, err := svc.ToolToken(context.Background(), name); !errors.Is(err, ErrBadToolName) {
			t.Errorf("ToolToken(%q) = %v, want ErrBadToolName", name, err)
		}
	}
	if _, err := svc.Unlink(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ToolToken(context.Background(), "kometa"); !errors.Is(err, storage.ErrNotLinked) {
		t.Errorf("ToolToken while not linked = %v, want ErrNotLinked", err)
	}
}

func TestRevokeToolLeavesTheOthersWorking(t *testing.T) {
	svc, srv, stores := linkedWithTools(t)
	acct, _ := svc.Tokens.Load()
	k, err := svc.ToolToken(context.Background(), "kometa")
	if err != nil {
		t.Fatal(err)
	}
	kometa := k.Token
	p, err := svc.ToolToken(context.Background(), "plexapi")
	plexapi := p.Token
	if err != nil {
		t.Fatal(err)
	}
	// plex.tv down: nothing is removed, so the token can still be revoked later.
	srv.FailNext(plextvtest.RouteSignOut, 1, plextvtest.Fault{Status: 502})
	if err := svc.RevokeTool(context.Background(), "kometa"); err == nil {
		t.Fatal("revoke with plex.tv failing reported success")
	}
	if got, _ := stores["kometa"].Load(); got != kometa.Reveal() {
		t.Fatal("a failed revoke removed the token")
	}
	if err := svc.RevokeTool(context.Background(), "kometa"); err != nil {
		t.Fatal(err)
	}
	if srv.TokenValid(kometa.Reveal()) {
		t.Error("the revoked token still works on plex.tv")
	}
	if _, err := stores["kometa"].Load(); !errors.Is(err, storage.ErrNotLinked) {
		t.Error("the revoked token is still stored")
	}
	if !srv.TokenValid(acct) || !srv.TokenValid(plexapi.Reveal()) {
		t.Error("revoking one tool broke the account token or another tool's")
	}
	if err := svc.RevokeTool(context.Background(), "kometa"); !errors.Is(err, ErrNoTool) {
		t.Errorf("revoking again: %v, want ErrNoTool", err)
	}
}

func TestUnlinkRemovesAndSignsOutToolTokens(t *testing.T) {
	svc, srv, stores := linkedWithTools(t)
	var toks []auth.Token
	for _, name := range []string{"kometa", "plexapi"} {
		h, err := svc.ToolToken(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, h.Token)
	}
	res, err := svc.Unlink(context.Background(), true)
	if err != nil || len(res.ToolsRemoved) != 2 || len(res.ToolsNotSignedOut) != 0 {
		t.Fatalf("Unlink: %+v, %v", res, err)
	}
	for i, name := range []string{"kometa", "plexapi"} {
		if _, err := stores[name].Load(); !errors.Is(err, storage.ErrNotLinked) {
			t.Errorf("%s's token survived unlink", name)
		}
		if srv.TokenValid(toks[i].Reveal()) {
			t.Errorf("%s's token still works on plex.tv after unlink --sign-out", name)
		}
	}
	if tools, _ := svc.Tools(); len(tools) != 0 {
		t.Errorf("tools listed after unlink: %+v", tools)
	}
}

func TestResourcesRetriesOneBadAnswer(t *testing.T) {
	svc, srv, _ := linkedWithTools(t)
	acct, _ := svc.Tokens.Load()
	srv.FailNext(plextvtest.RouteResources, 1, plextvtest.Fault{Body: "<html>captive portal</html>", ContentType: "text/html"})
	res, err := svc.Resources(context.Background(), auth.Token(acct))
	if err != nil || len(res) == 0 {
		t.Fatalf("Resources after one HTML answer: %d devices, %v", len(res), err)
	}
	srv.FailNext(plextvtest.RouteResources, 1, plextvtest.Fault{Status: 401})
	if _, err := svc.Resources(context.Background(), auth.Token(acct)); !errors.Is(err, auth.ErrUnauthorized) || srv.Count(plextvtest.RouteResources) != 3 {
		t.Fatalf("a 401 must not be retried: %v after %d calls", err, srv.Count(plextvtest.RouteResources))
	}
}
