package reliability

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/account/accounttest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/storage"
)

// TestNoGoroutineLeaksAfterCancel runs the account service in process (real keychain, fake
// plex.tv on loopback) and cancels it in each phase; nothing it started may outlive it.
func TestNoGoroutineLeaksAfterCancel(t *testing.T) {
	session.Shared(t)
	keys := storage.NewKeychain("plexlink-rel-leaks")
	t.Cleanup(func() { _ = keys.Delete() })
	_, _ = keys.Load() // go-keyring's shared D-Bus connection lives for the process: open it first
	time.Sleep(100 * time.Millisecond)
	before := goleak.IgnoreCurrent()

	for _, phase := range []struct {
		name  string
		fault plextvtest.Fault
		route string
		until func(srv *plextvtest.Server) bool
	}{
		{"polling", plextvtest.Fault{Hang: true}, plextvtest.RoutePin, func(s *plextvtest.Server) bool { return s.Count(plextvtest.RoutePin) > 0 }},
		{"validating", plextvtest.Fault{Hang: true}, plextvtest.RouteUser, func(s *plextvtest.Server) bool { return s.Count(plextvtest.RouteUser) > 0 }},
		{"creating", plextvtest.Fault{Delay: time.Hour}, plextvtest.RouteCreatePin, func(s *plextvtest.Server) bool { return s.Count(plextvtest.RouteCreatePin) > 0 }},
	} {
		fx := accounttest.New(t, accounttest.WithIdentity("Plex Link", "rel-leaks"))
		srv, svc := fx.Server, fx.Service
		svc.Tokens = keys // the real keychain
		srv.FailNext(phase.route, 1, phase.fault)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			out := svc.Link(ctx, account.LinkOptions{
				OpenURL: func(u string) error { return nil },
				OnEvent: func(ev auth.Event) {
					if ev.State == auth.StatePinReady {
						_, _ = srv.Approve(ev.Code)
					}
				},
			})
			done <- out.Err
		}()
		for deadline := time.Now().Add(10 * time.Second); !phase.until(srv); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the run never got there", phase.name)
			}
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: Link after cancel = %v, want context.Canceled", phase.name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Link did not return within 5 s of cancel", phase.name)
		}
		srv.Close()
		if _, err := keys.Load(); !errors.Is(err, storage.ErrNotLinked) {
			t.Errorf("%s: a cancelled link stored something (%v)", phase.name, err)
		}
	}
	// Idle keep-alive connections are the transport's cache, not a leak of the run.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	goleak.VerifyNone(t, before)
}
