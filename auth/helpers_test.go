package auth_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testIdentity = auth.Identity{
	Product: "Plex Link", Version: "0.1.0-test", ClientID: "6f1c2a1e-2b7e-4c39-9f43-0c3c5b0f7a11",
	Platform: "Linux", PlatformVersion: "6.1", Device: "PC", DeviceName: "test-box",
}

func newServer(t *testing.T, opts ...plextvtest.Option) *plextvtest.Server {
	t.Helper()
	srv := plextvtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(srv *plextvtest.Server) *auth.Client {
	return &auth.Client{
		BaseURL: srv.URL, LinkPage: srv.LinkURL, AuthApp: "https://app.plex.tv/auth",
		RequestTimeout: 2 * time.Second, Identity: testIdentity,
	}
}

// serverClientPin starts a fake, and creates a non-strong pin on it.
func serverClientPin(t *testing.T) (*plextvtest.Server, *auth.Client, *auth.Pin) {
	t.Helper()
	srv := newServer(t)
	c := newClient(srv)
	p, err := c.CreatePin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, p
}

// fingerprint identifies a secret in test output without printing it.
func fingerprint(s string) string {
	return fmt.Sprintf("len=%d sha256=%x", len(s), sha256.Sum256([]byte(s)))[:30]
}

func sameToken(t *testing.T, got auth.Token, want string) {
	t.Helper()
	if got.Reveal() != want {
		t.Fatalf("token mismatch: got %s, want %s", fingerprint(got.Reveal()), fingerprint(want))
	}
}

// events records what Link reports; it is safe to read while Link runs.
type events struct {
	mu   sync.Mutex
	list []auth.Event
	hook func(auth.Event)
}

func (e *events) on(ev auth.Event) {
	e.mu.Lock()
	e.list = append(e.list, ev)
	e.mu.Unlock()
	if e.hook != nil {
		e.hook(ev)
	}
}

func (e *events) all() []auth.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]auth.Event(nil), e.list...)
}

func (e *events) states() []auth.State {
	var s []auth.State
	for _, ev := range e.all() {
		s = append(s, ev.State)
	}
	return s
}

func (e *events) with(state auth.State) []auth.Event {
	var out []auth.Event
	for _, ev := range e.all() {
		if ev.State == state {
			out = append(out, ev)
		}
	}
	return out
}

// linker returns a fast Linker whose events go to rec; approveOn lists the states on
// which the current code is approved (synchronously: Approve is an in-memory call).
func linker(t *testing.T, srv *plextvtest.Server, rec *events, approveOn ...auth.State) *auth.Linker {
	t.Helper()
	prev := rec.hook
	rec.hook = func(ev auth.Event) {
		for _, s := range approveOn {
			if ev.State == s {
				if _, err := srv.Approve(ev.Code); err != nil {
					t.Errorf("approve on %v: %v", ev.State, err)
				}
			}
		}
		if prev != nil {
			prev(ev)
		}
	}
	return &auth.Linker{
		Client: newClient(srv), PollInterval: 20 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond, OnEvent: rec.on,
	}
}
