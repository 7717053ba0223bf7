package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/account/accounttest"
	"codeberg.org/plexlink/plexlink/internal/app"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/winproto"
	"codeberg.org/plexlink/plexlink/storage"
)

// stack is the real backend: account.Service over the fake plex.tv on loopback and an
// in-memory token store.
type stack struct {
	srv   *plextvtest.Server
	store *storage.MemoryStore
	svc   *account.Service
	fx    *accounttest.Fixture
}

func newStack(t *testing.T, token string, opts ...plextvtest.Option) *stack {
	t.Helper()
	fx := accounttest.New(t, accounttest.WithFake(opts...), accounttest.WithIdentity("Plex Link UI test", "ui-test-client"))
	if token != "" {
		if err := fx.Store.Save(token); err != nil {
			t.Fatal(err)
		}
	}
	return &stack{srv: fx.Server, store: fx.Store, svc: fx.Service, fx: fx}
}

// linkedStack is a stack whose store already holds a token plex.tv accepts.
func linkedStack(t *testing.T) *stack {
	t.Helper()
	s := newStack(t, "")
	s.fx.Link(t)
	return s
}

func (s *stack) token(t *testing.T) string {
	t.Helper()
	return s.fx.Token(t)
}

func sameToken(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: token is %s, want %s", what, session.Fingerprint(got), session.Fingerprint(want))
	}
}

// startLinking taps Link and waits for the engine's code.
func (h *harness) startLinking(button string) string {
	h.t.Helper()
	h.tap(button)
	h.pump("a code on screen", func() bool { return h.c.screen.Kind == Linking && h.c.screen.Ev.Code != "" })
	return h.c.screen.Ev.Code
}

func TestNotLinkedWindow(t *testing.T) {
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(NotLinked))

	if got := h.c.win.Title(); got != "Plex Link" {
		t.Errorf("title %q", got)
	}
	h.requireText("Link your Plex account")
	h.requireButtons(ButtonLink)
	if !h.c.visible {
		t.Error("the window is not shown")
	}
	h.settle()
	if n := s.srv.Count(plextvtest.RouteUser) + s.srv.Count(plextvtest.RoutePing); n != 0 {
		t.Errorf("%d calls to plex.tv while not linked", n)
	}
}

func TestEngineStatesRender(t *testing.T) {
	expires := time.Now().Add(14*time.Minute + 30*time.Second)
	pinReady := auth.Event{State: auth.StatePinReady, Code: "7K2Q", LinkURL: "https://plex.tv/link/?pin=7K2Q", ExpiresAt: expires}
	cases := []struct {
		name    string
		events  []auth.Event
		texts   []string
		buttons []string
	}{
		{"code", []auth.Event{pinReady},
			[]string{"7K2Q", "Code expires in 14:", "Waiting for you to enter the code"},
			[]string{ButtonCopyCode, ButtonOpenLink, ButtonCancel}},
		{"retrying", []auth.Event{pinReady, {State: auth.StateRetrying, RetryIn: 4 * time.Second, Err: errors.New("HTTP 503 from plex.tv")}},
			[]string{"7K2Q", "retrying in 4s because HTTP 503 from plex.tv"}, []string{ButtonCancel}},
		{"renewed", []auth.Event{pinReady, {State: auth.StateRenewed, Code: "ZX9P", LinkURL: "https://plex.tv/link/?pin=ZX9P", ExpiresAt: expires}},
			[]string{"ZX9P", "a new code was issued"}, []string{ButtonCopyCode}},
		{"renewed then waiting", []auth.Event{pinReady, {State: auth.StateRenewed, Code: "ZX9P", ExpiresAt: expires},
			{State: auth.StateWaiting, Code: "ZX9P", ExpiresAt: expires}},
			[]string{"New code issued"}, nil},
		{"browser failed", []auth.Event{pinReady, {State: auth.StateBrowserFailed, Err: errors.New("xdg-open: not found")}},
			[]string{"7K2Q", "Could not open your browser (xdg-open: not found)", "entry: https://plex.tv/link/?pin=7K2Q"},
			[]string{ButtonCopyLink, ButtonOpenLink, ButtonCancel}},
		{"validating", []auth.Event{pinReady, {State: auth.StateValidating, Code: "7K2Q"}},
			[]string{"Code accepted"}, []string{ButtonCancel}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newStack(t, "").svc, nil)
			h.pump("not linked", h.phase(NotLinked))
			// The real engine runs too, but its events wait in the queue: only these show.
			h.c.dispatch(evLink{})
			for _, ev := range tc.events {
				h.c.dispatch(evEngine{h.c.screen.Run, ev})
			}
			h.requireText(tc.texts...)
			h.requireButtons(tc.buttons...)
		})
	}
}

func TestLinkFlow(t *testing.T) {
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(NotLinked))

	code := h.startLinking(ButtonLink)
	if n := s.srv.Count(plextvtest.RouteCreatePin); n != 1 {
		t.Fatalf("%d pins created, want 1", n)
	}
	select {
	case u := <-h.opened:
		if !strings.Contains(u, code) {
			t.Errorf("browser opened %q, not the link for %s", u, code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the browser was not opened")
	}
	// Copy code puts exactly the code on the clipboard.
	h.tap(ButtonCopyCode)
	if got := h.app.Clipboard().Content(); got != code {
		t.Errorf("clipboard %q, want %q", got, code)
	}
	h.tap(ButtonOpenLink)
	select {
	case <-h.opened:
	case <-time.After(5 * time.Second):
		t.Fatal("Open plex.tv/link did not open the browser")
	}

	minted, err := s.srv.Approve(code)
	if err != nil {
		t.Fatal(err)
	}
	h.pump("linked", h.phase(Linked))
	sameToken(t, "after linking", s.token(t), minted)
	h.requireText("Linked as " + s.srv.Username())
	h.requireButtons(ButtonRelink, ButtonUnlink, ButtonCopyToken)
	// Without a tray host the in-process tray notifies, through this app.
	h.pump("the 'Linked as' notification", func() bool {
		n := len(h.app.notifyLog)
		return n > 0 && strings.Contains(h.app.notifyLog[n-1].Content, "Linked as "+s.srv.Username())
	})

	h.tap(ButtonCopyToken)
	h.pump("token copied", func() bool { return h.app.Clipboard().Content() != code })
	sameToken(t, "clipboard", h.app.Clipboard().Content(), minted)
	h.noSecretIn(minted)
}

func TestCancelStopsEngineAndKeepsToken(t *testing.T) {
	for _, linked := range []bool{false, true} {
		t.Run(fmt.Sprintf("linked=%v", linked), func(t *testing.T) {
			s := newStack(t, "")
			if linked {
				if err := s.store.Save(s.srv.AccountToken()); err != nil {
					t.Fatal(err)
				}
			}
			before := s.token(t)
			rec := newRecording(s.svc)
			h := newHarness(t, rec, nil)
			h.pump("status", func() bool { return h.c.screen.Kind == NotLinked || h.c.screen.Kind == Linked })
			label := ButtonLink
			if linked {
				label = ButtonRelink
			}
			code := h.startLinking(label)
			h.tap(ButtonCancel)
			want := NotLinked
			if linked {
				want = Linked
			}
			if h.c.screen.Kind != want {
				t.Errorf("after Cancel the phase is %v, want %v", h.c.screen.Kind, want)
			}
			select {
			case <-rec.linkCtx().Done():
			case <-time.After(5 * time.Second):
				t.Fatal("Cancel did not cancel the engine's context")
			}
			h.pump("engine stopped", func() bool { return rec.returned() })
			polls := s.srv.Count(plextvtest.RoutePin)
			// Approving the abandoned code must not link anything.
			if _, err := s.srv.Approve(code); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			h.settle()
			if n := s.srv.Count(plextvtest.RoutePin); n != polls {
				t.Errorf("the engine kept polling after Cancel (%d → %d)", polls, n)
			}
			sameToken(t, "after Cancel", s.token(t), before)
			if h.c.screen.Kind != want {
				t.Errorf("phase %v after Cancel, want %v", h.c.screen.Kind, want)
			}
		})
	}
}

func TestEscapeCancelsAndEnterLinks(t *testing.T) {
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(NotLinked))
	h.c.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.pump("a code", func() bool { return h.c.screen.Ev.Code != "" })
	h.c.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.c.screen.Kind != NotLinked || h.c.linkCancel != nil {
		t.Errorf("Escape did not cancel linking (phase %v)", h.c.screen.Kind)
	}
	h.c.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.c.quitting {
		t.Error("Escape quit the only window of a tray-less app")
	}
}

// recordingBackend is the real service with the Link context exposed to the test.
type recordingBackend struct {
	account.Backend
	ctx  chan context.Context
	done chan struct{}
}

func newRecording(b account.Backend) *recordingBackend {
	return &recordingBackend{Backend: b, ctx: make(chan context.Context, 1), done: make(chan struct{})}
}

func (r *recordingBackend) Link(ctx context.Context, o account.LinkOptions) account.Outcome {
	r.ctx <- ctx
	defer close(r.done)
	return r.Backend.Link(ctx, o)
}

func (r *recordingBackend) linkCtx() context.Context {
	select {
	case c := <-r.ctx:
		return c
	case <-time.After(5 * time.Second):
		panic("Link was never called")
	}
}

func (r *recordingBackend) returned() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func TestUnlinkAsksThenEmptiesStore(t *testing.T) {
	s := linkedStack(t)
	h := newHarness(t, s.svc, nil)
	h.pump("linked", h.phase(Linked))

	h.tap(ButtonUnlink)
	if !h.c.screen.Confirming {
		t.Fatal("Unlink did not ask for confirmation")
	}
	h.requireText("Unlink Plex account?")
	test.Tap(h.dialogButton(ButtonCancel))
	h.settle()
	if s.token(t) == "" || h.c.screen.Kind != Linked {
		t.Fatal("dismissing the confirmation unlinked anyway")
	}

	h.tap(ButtonUnlink)
	test.Tap(h.dialogButton(ButtonUnlink))
	h.pump("not linked", h.phase(NotLinked))
	if tok := s.token(t); tok != "" {
		t.Errorf("store still holds a token (%s)", session.Fingerprint(tok))
	}
	if n := s.srv.Count(plextvtest.RouteSignOut); n != 1 {
		t.Errorf("%d sign-outs, want 1", n)
	}
	h.requireButtons(ButtonLink)
}

// The tray's Unlink… starts the window with "unlink": it asks first, and a confirmed unlink
// is reported back to the tray.
func TestParentUnlinkAsksThenConfirms(t *testing.T) {
	s := linkedStack(t)
	p := newParentPipes(t, winproto.CmdUnlink)
	h := newHarness(t, s.svc, func(o *Options) { o.Parent = p.parent })
	h.pump("the unlink confirmation", func() bool { return h.c.screen.Kind == Linked && h.c.screen.Confirming })
	if !h.c.visible {
		t.Fatal("the window is not shown")
	}
	if s.token(t) == "" {
		t.Fatal("Unlink removed the token before confirmation")
	}
	// Enter confirms (the Xvfb layer presses Return instead of finding the dialog button).
	h.c.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.pump("not linked", h.phase(NotLinked))
	if s.token(t) != "" {
		t.Error("token still stored")
	}
	p.waitEvents(t, winproto.EventReady, winproto.EventUnlinked)
}

func TestRelinkKeepsOldTokenUntilValidated(t *testing.T) {
	s := linkedStack(t)
	old := s.token(t)
	h := newHarness(t, s.svc, nil)
	h.pump("linked", h.phase(Linked))

	h.tap(ButtonRelink)
	h.pump("a code", func() bool { return h.c.screen.Ev.Code != "" })
	code := h.c.screen.Ev.Code
	h.requireText("Relink your Plex account", code)
	sameToken(t, "while relinking", s.token(t), old)
	if !h.c.screen.Stored {
		t.Error("the window forgot the stored link while relinking")
	}

	minted, err := s.srv.Approve(code)
	if err != nil {
		t.Fatal(err)
	}
	h.pump("relinked", func() bool { return h.c.screen.Kind == Linked })
	if minted == old {
		t.Fatal("the fake minted the same token")
	}
	sameToken(t, "after relink", s.token(t), minted)
	h.noSecretIn(old)
	h.noSecretIn(minted)
}

func TestExpiredOffersNewCode(t *testing.T) {
	s := newStack(t, "", plextvtest.WithPinTTL(80*time.Millisecond))
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(NotLinked))
	h.tap(ButtonLink)
	h.pump("expired", h.phase(Expired))
	h.requireText(TextExpired)
	pins := s.srv.Count(plextvtest.RouteCreatePin)
	if pins < 2 {
		t.Errorf("the engine did not renew by itself first (%d pins)", pins)
	}
	h.tap(ButtonNewCode)
	h.pump("a new code", func() bool { return h.c.screen.Ev.Code != "" || h.c.screen.Kind == Expired })
	if s.srv.Count(plextvtest.RouteCreatePin) <= pins {
		t.Error("Get a new code did not create a pin")
	}
}

func TestSaveFailureCanBeRetried(t *testing.T) {
	s, h, minted := saveFailed(t)
	h.requireText("Linked, but not saved", "Unlock your keyring")
	h.requireButtons(ButtonRetrySave)

	h.tap(ButtonRetrySave) // still locked
	h.pump("retry answered", func() bool { return h.c.screen.Busy == NotBusy })
	if h.c.screen.Kind != Failed {
		t.Fatalf("phase %v after a failed retry", h.c.screen.Kind)
	}
	s.store.SetUnavailable(false)
	h.tap(ButtonRetrySave)
	h.pump("linked", h.phase(Linked))
	sameToken(t, "after retry", s.token(t), minted)
	h.noSecretIn(minted)
}

func TestKeychainUnavailableAtStart(t *testing.T) {
	s := linkedStack(t)
	s.store.SetUnavailable(true)
	h := newHarness(t, s.svc, nil)
	h.pump("failure", h.phase(Failed))
	h.requireText("Keychain unavailable", "gnome-keyring")
	h.requireButtons(ButtonTryAgain)
	s.store.SetUnavailable(false)
	h.tap(ButtonTryAgain)
	h.pump("linked", h.phase(Linked))
}

// checks counts the calls that ask plex.tv about the stored token.
func (s *stack) checks() int {
	return s.srv.Count(plextvtest.RoutePing) + s.srv.Count(plextvtest.RouteUser)
}

const body401 = `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`

// Without a tray host the tray's health check runs in the window's process (the same code
// as the tray process's) and drives the window through winproto states.
func TestHealthCheck(t *testing.T) {
	t.Run("401 needs relink", func(t *testing.T) {
		s := linkedStack(t)
		h := newHarness(t, s.svc, func(o *Options) { o.HealthEvery = 50 * time.Millisecond })
		h.pump("linked and checked", func() bool { return h.c.screen.Kind == Linked && h.c.screen.Account != nil })
		if h.c.screen.RelinkNeeded {
			t.Fatal("a valid token shows as needing relink")
		}
		s.srv.FailNext(plextvtest.RoutePing, 100, plextvtest.Fault{Status: 401, Body: body401})
		h.pump("relink needed", func() bool { return h.c.screen.RelinkNeeded })
		h.requireText("no longer accepts the saved token")
		h.requireButtons(ButtonRelink)
		h.pump("the relink notification", func() bool {
			n := len(h.app.notifyLog)
			return n > 0 && strings.Contains(h.app.notifyLog[n-1].Content, "Relink")
		})
		notes := len(h.app.notifyLog)
		checks := s.srv.Count(plextvtest.RoutePing)
		h.pump("another check", func() bool { return s.srv.Count(plextvtest.RoutePing) > checks+1 })
		h.settle()
		if len(h.app.notifyLog) != notes {
			t.Error("the relink notification repeats on every check")
		}
	})
	t.Run("503 changes nothing", func(t *testing.T) {
		s := linkedStack(t)
		h := newHarness(t, s.svc, func(o *Options) { o.HealthEvery = 50 * time.Millisecond })
		h.pump("linked and checked", func() bool { return h.c.screen.Account != nil })
		s.srv.FailNext(plextvtest.RoutePing, 100, plextvtest.Fault{Status: 503})
		checks := s.srv.Count(plextvtest.RoutePing)
		h.pump("two failed checks", func() bool { return s.srv.Count(plextvtest.RoutePing) >= checks+2 })
		h.settle()
		if h.c.screen.RelinkNeeded || h.c.screen.Kind != Linked {
			t.Errorf("a 503 changed the state (phase %v, relink %v)", h.c.screen.Kind, h.c.screen.RelinkNeeded)
		}
		if s.token(t) == "" {
			t.Error("a 503 removed the token")
		}
	})
	t.Run("removed outside the app", func(t *testing.T) {
		s := linkedStack(t)
		h := newHarness(t, s.svc, func(o *Options) { o.HealthEvery = 50 * time.Millisecond })
		h.pump("linked and checked", func() bool { return h.c.screen.Account != nil })
		if err := s.store.Delete(); err != nil { // `plexlink unlink` in a terminal
			t.Fatal(err)
		}
		h.pump("not linked", h.phase(NotLinked))
		h.requireButtons(ButtonLink)
	})
	t.Run("coming to the front checks only when due", func(t *testing.T) {
		s := linkedStack(t)
		h := newHarness(t, s.svc, nil) // 6 h
		h.pump("checked at start", func() bool { return h.c.screen.Account != nil })
		n := s.checks()
		h.c.enteredForeground() // focus again right away: not a long gap
		time.Sleep(100 * time.Millisecond)
		h.settle()
		if got := s.checks(); got != n {
			t.Errorf("%d extra calls to plex.tv when no check was due", got-n)
		}
	})
}

// Under a tray the window never checks the token itself, however short the interval: the
// tray does, and tells it. A state with relink_needed shows the relink screen and the window
// does not notify (the tray did).
func TestUnderATrayTheWindowNeverChecks(t *testing.T) {
	s := linkedStack(t)
	p := newParentPipes(t, winproto.CmdShow)
	h := newHarness(t, s.svc, func(o *Options) { o.Parent = p.parent; o.HealthEvery = 10 * time.Millisecond })
	h.pump("linked", h.phase(Linked))
	h.c.enteredForeground()
	time.Sleep(200 * time.Millisecond)
	h.settle()
	if n := s.checks(); n != 0 {
		t.Fatalf("the window under a tray called plex.tv %d times", n)
	}
	p.waitEvents(t, winproto.EventReady, winproto.EventCheckDue)

	p.send(t, winproto.StateMessage(winproto.State{Linked: true, Account: h.c.screen.username(), RelinkNeeded: true}))
	h.pump("relink needed", func() bool { return h.c.screen.RelinkNeeded })
	h.requireText("no longer accepts the saved token")
	p.send(t, winproto.StateMessage(winproto.State{Linked: true, Account: h.c.screen.username(), HasAutostart: true, Autostart: true}))
	h.pump("the tray's verdict cleared", func() bool { return !h.c.screen.RelinkNeeded })
	if !h.check(CheckAutostart).Checked {
		t.Error("the tray's start at login is not shown")
	}
	test.Tap(h.check(CheckAutostart))
	h.settle()
	p.waitEvents(t, winproto.EventReady, winproto.EventCheckDue, winproto.EventSetAutostart)
	if !strings.Contains(p.events.String(), `"on":false`) {
		t.Errorf("set_autostart does not say off: %s", p.events.String())
	}
	if len(h.app.notifyLog) != 0 {
		t.Error("the window notified although its tray does")
	}
	if n := s.checks(); n != 0 {
		t.Errorf("the window under a tray called plex.tv %d times", n)
	}
}

func TestQuitCancelsEngineAndExits(t *testing.T) {
	s := newStack(t, "")
	rec := newRecording(s.svc)
	h := newHarness(t, rec, nil)
	h.pump("not linked", h.phase(NotLinked))
	h.startLinking(ButtonLink)
	h.c.Quit()
	h.pump("quit", h.quit)
	if !rec.returned() {
		t.Error("the app quit before the engine stopped")
	}
	if s.token(t) != "" {
		t.Error("quitting stored a token")
	}
}

// Under a tray the window obeys the tray's commands, Escape closes it, and it quits when
// the tray goes away (its stdin ends).
func TestParentCommands(t *testing.T) {
	s := newStack(t, "")
	p := newParentPipes(t, winproto.CmdShow)
	h := newHarness(t, s.svc, func(o *Options) { o.Parent = p.parent })
	h.pump("not linked", h.phase(NotLinked))
	p.waitEvents(t, winproto.EventReady)
	h.c.hide()
	p.send(t, winproto.Message{Cmd: winproto.CmdShow})
	h.pump("shown again", func() bool { return h.c.visible })
	p.send(t, winproto.Message{Cmd: "a-command-from-a-newer-tray"})
	p.send(t, winproto.Message{Cmd: winproto.CmdLink})
	h.pump("a code", func() bool { return h.c.screen.Kind == Linking && h.c.screen.Ev.Code != "" })
	minted, err := s.srv.Approve(h.c.screen.Ev.Code)
	if err != nil {
		t.Fatal(err)
	}
	h.pump("linked", h.phase(Linked))
	sameToken(t, "after linking", s.token(t), minted)
	p.waitEvents(t, winproto.EventReady, winproto.EventLinked)
	if strings.Contains(p.events.String(), minted) {
		t.Error("the token went over the pipe")
	}
	h.c.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if !h.c.quitting {
		t.Error("Escape did not close a window that belongs to a tray")
	}
	h.pump("quit", h.quit)
}

func TestParentGoneQuits(t *testing.T) {
	p := newParentPipes(t, winproto.CmdShow)
	h := newHarness(t, newStack(t, "").svc, func(o *Options) { o.Parent = p.parent })
	h.pump("not linked", h.phase(NotLinked))
	p.w.Close() // the tray died
	h.pump("quit", h.quit)
}

// parentPipes plays the tray: commands go in through a pipe, events are collected.
type parentPipes struct {
	parent *app.Parent
	w      *io.PipeWriter
	events *session.SyncBuffer
}

func newParentPipes(t *testing.T, start string) *parentPipes {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	p := &parentPipes{w: w, events: &session.SyncBuffer{}}
	p.parent = &app.Parent{Start: start, Commands: r, Events: p.events}
	return p
}

func (p *parentPipes) send(t *testing.T, m winproto.Message) {
	t.Helper()
	if err := winproto.Write(p.w, m); err != nil {
		t.Fatal(err)
	}
}

// waitEvents waits until the window has sent exactly these events, in order.
func (p *parentPipes) waitEvents(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = nil
		_ = winproto.Read(strings.NewReader(p.events.String()), func(m winproto.Message) { got = append(got, m.Event) }, nil)
		if slices.Equal(got, want) {
			return
		}
	}
	t.Errorf("events %q, want %q", got, want)
}

func TestUsableAt360x240(t *testing.T) {
	s := linkedStack(t)
	h := newHarness(t, s.svc, nil)
	h.pump("linked", h.phase(Linked))
	views := map[string]func(){
		"linked":     func() {},
		"not linked": func() { h.c.screen.Kind = NotLinked; h.c.view.update(h.c.screen) },
		"linking": func() {
			h.c.screen.Kind = Linking
			h.c.screen.Ev = auth.Event{State: auth.StateWaiting, Code: "7K2Q", LinkURL: "https://plex.tv/link/?pin=7K2Q", ExpiresAt: time.Now().Add(time.Minute)}
			h.c.screen.BrowserErr = errors.New("no browser")
			h.c.view.update(h.c.screen)
		},
		"failed": func() {
			h.c.screen.Kind, h.c.screen.Fail, h.c.screen.Err = Failed, FailStatus, storage.ErrKeychainUnavailable
			h.c.view.update(h.c.screen)
		},
	}
	for name, set := range views {
		set()
		h.c.win.Resize(fyne.NewSize(360, 240))
		content := h.c.win.Content()
		if w := content.(*container.Scroll).Content.MinSize().Width; w > 360 {
			t.Errorf("%s: content needs %.0f px width (no horizontal scrolling)", name, w)
		}
		if s := content.MinSize(); s.Height > 240 {
			t.Errorf("%s: window cannot shrink to 240 px high (%v)", name, s)
		}
	}
}

// quit reports whether the controller asked the app to exit.
func (h *harness) quit() bool {
	select {
	case <-h.c.quitDone:
		return true
	default:
		return false
	}
}

// A Link asked for (from the tray) while a validated token is being saved is not lost: it
// runs once the save is done.
func TestLinkAskedWhileSavingRunsAfter(t *testing.T) {
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(NotLinked))
	code := h.startLinking(ButtonLink)
	if _, err := s.srv.Approve(code); err != nil {
		t.Fatal(err)
	}
	h.pump("validated", func() bool { return h.c.screen.Ev.State == auth.StateLinked || h.c.screen.Kind == Linked })
	if h.c.screen.Kind == Linked {
		t.Skip("the save finished before the test could ask; the step table covers this case")
	}
	h.c.dispatch(evLink{})
	h.pump("linked, then a new code", func() bool {
		return h.c.screen.Stored && h.c.screen.Kind == Linking && h.c.screen.Ev.Code != "" && h.c.screen.Ev.Code != code
	})
}

// fakeClipboard records secret copies; why makes it unavailable.
type fakeClipboard struct {
	why    string
	copied chan string
	closed bool
}

func (f *fakeClipboard) Unavailable() string { return f.why }
func (f *fakeClipboard) CopySecret(text string, clearAfter time.Duration) error {
	if clearAfter != 10*time.Second {
		return fmt.Errorf("cleared after %v, want 10s", clearAfter)
	}
	f.copied <- text
	return nil
}
func (f *fakeClipboard) Close() { f.closed = true }

// Copy token: a secret copy in this process, or by the tray when there is one (its copy
// outlives the window); the Fyne clipboard only where no secret copy is possible.
func TestCopyTokenAsSecret(t *testing.T) {
	t.Run("own clipboard", func(t *testing.T) {
		s := linkedStack(t)
		cb := &fakeClipboard{copied: make(chan string, 1)}
		h := newHarness(t, s.svc, func(o *Options) { o.Clipboard = cb })
		h.pump("linked", h.phase(Linked))
		h.tap(ButtonCopyToken)
		h.pump("copied", func() bool { return len(cb.copied) == 1 })
		sameToken(t, "copied", <-cb.copied, s.token(t))
		h.pump("notice", func() bool { return h.hasText("cleared in 10 seconds") })
		if got := h.app.Clipboard().Content(); got != "" {
			t.Error("the token also went to the unmarked Fyne clipboard")
		}
	})
	t.Run("the tray copies", func(t *testing.T) {
		s := linkedStack(t)
		cb := &fakeClipboard{copied: make(chan string, 1)}
		p := newParentPipes(t, winproto.CmdShow)
		h := newHarness(t, s.svc, func(o *Options) { o.Clipboard = cb; o.Parent = p.parent })
		h.pump("linked", h.phase(Linked))
		h.tap(ButtonCopyToken)
		p.waitEvents(t, winproto.EventReady, winproto.EventCopyToken)
		if len(cb.copied) != 0 || strings.Contains(p.events.String(), s.token(t)) {
			t.Error("the window copied itself, or sent the token over the pipe")
		}
	})
	t.Run("no secret clipboard", func(t *testing.T) {
		s := linkedStack(t)
		h := newHarness(t, s.svc, func(o *Options) { o.Clipboard = &fakeClipboard{why: "Wayland"} })
		h.pump("linked", h.phase(Linked))
		h.tap(ButtonCopyToken)
		h.pump("copied", func() bool { return h.app.Clipboard().Content() != "" })
		sameToken(t, "clipboard", h.app.Clipboard().Content(), s.token(t))
		h.requireText("cannot mark it as a secret")
	})
}
