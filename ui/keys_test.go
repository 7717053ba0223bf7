package ui

import (
	"testing"

	"fyne.io/fyne/v2"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func (h *harness) pressEnter() { h.c.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

// saveFailed links with the store refusing the save and returns on "Linked, but not
// saved", with the token plex.tv minted.
func saveFailed(t *testing.T) (*stack, *harness, string) {
	t.Helper()
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(NotLinked))
	code := h.startLinking(ButtonLink)
	s.store.SetUnavailable(true)
	minted, err := s.srv.Approve(code)
	if err != nil {
		t.Fatal(err)
	}
	h.pump("save failure", func() bool { return h.c.screen.Kind == Failed && h.c.screen.Fail == FailSave })
	return s, h, minted
}

// TestEnterRetriesSave: on "Linked, but not saved" Enter is "Try saving again": it saves the
// token plex.tv already validated, without a new code.
func TestEnterRetriesSave(t *testing.T) {
	s, h, minted := saveFailed(t)
	s.store.SetUnavailable(false)
	h.pressEnter()
	h.pump("linked", h.phase(Linked))
	sameToken(t, "after Enter", s.token(t), minted)
	if n := s.srv.Count(plextvtest.RouteCreatePin); n != 1 {
		t.Errorf("Enter went through plex.tv again (%d PINs created)", n)
	}
	h.noSecretIn(minted)
}

// TestEnterRetriesStatus: when the keychain did not answer at start, Enter is "Try again".
func TestEnterRetriesStatus(t *testing.T) {
	s := linkedStack(t)
	s.store.SetUnavailable(true)
	h := newHarness(t, s.svc, nil)
	h.pump("failure", func() bool { return h.c.screen.Kind == Failed && h.c.screen.Fail == FailStatus })
	s.store.SetUnavailable(false)
	h.pressEnter()
	h.pump("linked", h.phase(Linked))
}
