package tray

import (
	"context"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// list is the last list of kind the window got, and how many lists it got in all.
func (w *fakeWindow) list(kind string) (winproto.List, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last winproto.List
	for _, l := range w.lists {
		if l.Kind == kind {
			last = l
		}
	}
	return last, len(w.lists)
}

func (w *fakeWindow) revokes() []winproto.Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]winproto.Message(nil), w.revoked...)
}

func names(l winproto.List) string {
	var n []string
	for _, it := range l.Items {
		n = append(n, it.Name)
	}
	return strings.Join(n, ", ")
}

func waitList(t *testing.T, w *fakeWindow, kind string, ok func(winproto.List) bool) winproto.List {
	t.Helper()
	var l winproto.List
	waitFor(t, kind, func() bool { l, _ = w.list(kind); return l.Kind == kind && ok(l) })
	return l
}

// The tray keeps the open window's lists: the fake's three servers as probed from here
// (Old NAS not reachable), the tools (the account's and a Home user's) and the Home; a
// revoke signs the token out and the list follows, as it follows a revoke on the command
// line. Without a window nothing is read.
func TestWindowLists(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	beets, err := s.svc.ToolToken(ctx, "beets")
	if err != nil {
		t.Fatal(err)
	}
	kid, _, err := s.svc.UserToolToken(ctx, plextvtest.ManagedUserTitle, "tautulli", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, s.svc, func(o *Options) { o.ListsEvery = 20 * time.Millisecond })
	h.menu.wait(t, "linked", func(s Snapshot) bool { return s.Linked })
	time.Sleep(100 * time.Millisecond)
	if n := s.srv.Count(plextvtest.RouteResources); n != 0 {
		t.Errorf("%d server listings without a window", n)
	}

	h.tr.Click(ActOpen)
	var w *fakeWindow
	waitFor(t, "a window", func() bool { _, ws := h.wins.get(); w = at(ws, 0); return w != nil })
	w.emit(winproto.Message{Event: winproto.EventReady})

	waitList(t, w, winproto.ListServers, func(l winproto.List) bool { return l.Pending })
	srv := waitList(t, w, winproto.ListServers, func(l winproto.List) bool { return !l.Pending && len(l.Items) > 0 })
	want := map[string]winproto.Item{
		plextvtest.OwnedServerName:   {Name: plextvtest.OwnedServerName, Via: "local"},
		plextvtest.SharedServerName:  {Name: plextvtest.SharedServerName, Owner: plextvtest.SharedServerOwner, Via: "remote"},
		plextvtest.OfflineServerName: {Name: plextvtest.OfflineServerName},
	}
	if len(srv.Items) != 3 {
		t.Errorf("servers %q, want 3", names(srv))
	}
	for _, it := range srv.Items {
		if want[it.Name] != it {
			t.Errorf("server %+v, want %+v", it, want[it.Name])
		}
	}
	tools := waitList(t, w, winproto.ListTools, func(l winproto.List) bool { return len(l.Items) == 2 })
	if it := tools.Items[1]; it.Name != "tautulli" || it.User != plextvtest.ManagedUserTitle || it.UserID == "" || it.Created == 0 {
		t.Errorf("the Home user's tool: %+v", it)
	}
	if it := tools.Items[0]; it.Name != "beets" || it.User != "" || it.Created == 0 {
		t.Errorf("the account's tool: %+v", it)
	}
	users := waitList(t, w, winproto.ListUsers, func(l winproto.List) bool { return !l.Pending && len(l.Items) > 0 })
	var managed, protected bool
	for _, u := range users.Items {
		managed = managed || u.Name == plextvtest.ManagedUserTitle && u.Managed
		protected = protected || u.Name == plextvtest.ProtectedUserName && u.Protected
	}
	if !managed || !protected {
		t.Errorf("Home users %+v", users.Items)
	}

	// Revoke from the window: the Home user's tool.
	w.emit(winproto.Revoke("tautulli", tools.Items[1].UserID))
	waitFor(t, "the revoke's result", func() bool { return len(w.revokes()) == 1 })
	if r := w.revokes()[0]; r.Tool != "tautulli" || r.Err != "" {
		t.Errorf("revoked: %+v", r)
	}
	waitList(t, w, winproto.ListTools, func(l winproto.List) bool { return names(l) == "beets" })
	if s.srv.TokenValid(kid.Token.Reveal()) {
		t.Error("the revoked token still works on plex.tv")
	}
	// Revoked on the command line: the open window follows.
	if err := s.svc.RevokeTool(ctx, "beets"); err != nil {
		t.Fatal(err)
	}
	waitList(t, w, winproto.ListTools, func(l winproto.List) bool { return len(l.Items) == 0 })
	if s.srv.TokenValid(beets.Token.Reveal()) {
		t.Error("beets's token still works")
	}
	// Refresh probes again.
	probes := s.srv.Count(plextvtest.RouteResources)
	w.emit(winproto.Message{Event: winproto.EventRefresh})
	waitFor(t, "a second probe", func() bool { return s.srv.Count(plextvtest.RouteResources) > probes })

	// The window closes: nothing more is read or sent.
	w.emit(winproto.Message{Event: winproto.EventClosing})
	w.exit()
	time.Sleep(4 * time.Second) // the probe in flight ends (Old NAS times out at 3 s)
	_, n := w.list(winproto.ListTools)
	time.Sleep(200 * time.Millisecond)
	if _, n2 := w.list(winproto.ListTools); n2 != n {
		t.Errorf("%d lists sent to a closed window", n2-n)
	}
	if strings.Contains(h.logs.String(), beets.Token.Reveal()) || strings.Contains(h.logs.String(), kid.Token.Reveal()) {
		t.Error("a tool's token is in the log")
	}
}

func at[T any](s []*T, i int) *T {
	if i < len(s) {
		return s[i]
	}
	return nil
}
