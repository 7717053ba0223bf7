package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/storage"
)

// revokeButton is the Revoke… button on the tools row that names tool.
func (h *harness) revokeButton(tool string) *keyButton {
	h.t.Helper()
	rs := h.c.view.lists.tools
	for i, l := range rs.labels {
		if rs.lines[i].Visible() && strings.HasPrefix(l.Text, tool+" ") {
			for _, o := range rs.lines[i].Objects {
				if b, ok := o.(*keyButton); ok {
					return b
				}
			}
		}
	}
	h.t.Fatalf("no Revoke… for %s; window shows:\n%s", tool, strings.Join(h.texts(), "\n"))
	return nil
}

// The linked window shows what Plex Link hands out, from the (in-process) tray: the fake's
// three servers as reached from here, the two tools and the Home; Revoke… asks, Escape
// closes the question, and a confirmed revoke signs the token out and removes it. A revoke
// on the command line shows too, down to the empty state.
func TestLinkedWindowLists(t *testing.T) {
	s := linkedStack(t)
	ctx := context.Background()
	beets, err := s.svc.ToolToken(ctx, "beets")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.svc.UserToolToken(ctx, plextvtest.ManagedUserTitle, "tautulli", nil); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s.svc, func(o *Options) { o.ListsEvery = 30 * time.Millisecond })
	h.pump("linked", h.phase(Linked))
	h.pump("the probe running", func() bool { return h.c.screen.Servers.Pending })
	if !h.hasText("Finding how this computer reaches your servers") {
		t.Error("no spinner line while the servers are probed")
	}
	h.pump("the servers probed", func() bool { return !h.c.screen.Servers.Pending && len(h.c.screen.Servers.Items) == 3 })
	h.pump("the lists", func() bool { return len(h.c.screen.Tools.Items) == 2 && len(h.c.screen.Users.Items) > 0 })
	h.requireText(TextServersHead, TextToolsHead, TextUsersHead,
		plextvtest.OwnedServerName+"  ·  you  ·  local, plain http",
		plextvtest.SharedServerName+"  ·  shared by "+plextvtest.SharedServerOwner+"  ·  remote",
		plextvtest.OfflineServerName+"  ·  you  ·  "+TextNotReachable,
		"beets  ·  made ", "tautulli  ·  as "+plextvtest.ManagedUserTitle,
		plextvtest.ManagedUserTitle+"  ·  managed", plextvtest.ProtectedUserName+"  ·  protected by a Home PIN")
	h.requireButtons(ButtonRefresh, ButtonRevoke)

	// Tab reaches Refresh and every Revoke…; Enter on a focused Revoke… asks.
	c := h.c.win.Canvas()
	reached := map[fyne.Focusable]bool{}
	for range 40 {
		c.FocusNext()
		reached[c.Focused()] = true
	}
	for _, want := range []fyne.Focusable{h.c.view.lists.refresh, h.revokeButton("beets"), h.revokeButton("tautulli")} {
		if !reached[want] {
			t.Errorf("Tab never reaches %q", want.(*keyButton).Text)
		}
	}
	c.Focus(h.revokeButton("beets"))
	h.revokeButton("beets").TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if h.c.screen.RevokeAsk != (toolRef{Tool: "beets"}) {
		t.Fatalf("Enter on Revoke… did not ask: %+v", h.c.screen.RevokeAsk)
	}
	h.requireText("Revoke the tool's token?")
	h.c.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle()
	if h.c.screen.RevokeAsk.set() || h.hasText("Revoke the tool's token?") || h.c.quitting {
		t.Fatal("Escape did not close the question (and only it)")
	}
	if !s.srv.TokenValid(beets.Token.Reveal()) {
		t.Fatal("a dismissed question revoked")
	}

	test.Tap(h.revokeButton("beets"))
	test.Tap(h.dialogButton(ButtonRevokeYes))
	h.pump("beets gone", func() bool { return len(h.c.screen.Tools.Items) == 1 && !h.c.screen.Revoking.set() })
	h.requireText("Revoked beets")
	if s.srv.TokenValid(beets.Token.Reveal()) {
		t.Error("the revoked token still works on plex.tv")
	}
	if _, err := s.fx.ToolStore("beets").Load(); !errors.Is(err, storage.ErrNotLinked) {
		t.Errorf("the revoked token is still stored (err %v)", err)
	}

	// Revoked on the command line while the window is open.
	if err := s.svc.RevokeUserTool(ctx, plextvtest.ManagedUserTitle, "tautulli"); err != nil {
		t.Fatal(err)
	}
	h.pump("the empty state", func() bool { return h.hasText(TextNoTools) })
	h.noSecretIn(beets.Token.Reveal())
	h.noSecretIn(s.token(t))
}
