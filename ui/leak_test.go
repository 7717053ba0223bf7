package ui

import (
	"net/http"
	"testing"

	"go.uber.org/goleak"
)

// TestNoGoroutinesLeftAfterQuit quits (as the tray's Quit does) in each busy phase (the engine polling,
// the in-process tray with a health check armed, an avatar and the countdown running) and checks that nothing the
// controller started outlives it. Goroutines that existed before (other tests' Fyne apps,
// go-keyring's bus) are ignored by the snapshot, nothing else is.
func TestNoGoroutinesLeftAfterQuit(t *testing.T) {
	before := goleak.IgnoreCurrent()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"polling", func(t *testing.T, h *harness) {
			h.pump("not linked", h.phase(NotLinked))
			h.startLinking(ButtonLink)
		}},
		{"linked", func(t *testing.T, h *harness) {
			// The account's details come from the in-process tray's check, read back from
			// the keychain: the check has run.
			h.pump("linked and checked", func() bool { return h.c.screen.Kind == Linked && h.c.screen.Account != nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, "")
			if tc.name == "linked" {
				s = linkedStack(t)
			}
			h := newHarness(t, s.svc, nil)
			tc.run(t, h)
			h.c.Quit()
			h.pump("quit", h.quit)
			h.close()
			s.srv.Close()
		})
	}
	// Idle keep-alive connections are the transport's cache, not something the app left running.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	goleak.VerifyNone(t, before)
}
