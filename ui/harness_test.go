package ui

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// recApp is the Fyne test app with notifications recorded so tests can inspect them.
type recApp struct {
	fyne.App
	notifyLog []*fyne.Notification
}

func (a *recApp) SendNotification(n *fyne.Notification) { a.notifyLog = append(a.notifyLog, n) }

// harness runs a Controller single-threaded like the real app: background goroutines post
// to a queue that only the test goroutine drains, so widgets are touched by one goroutine.
type harness struct {
	t       *testing.T
	c       *Controller
	app     *recApp
	queue   chan func()
	logs    *session.SyncBuffer
	opened  chan string // URLs the controller asked the browser to open
	openErr error
}

func newHarness(t *testing.T, b account.Backend, tweak func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, app: &recApp{App: test.NewTempApp(t)}, queue: make(chan func(), 1024),
		logs: &session.SyncBuffer{}, opened: make(chan string, 16)}
	o := Options{Backend: b}
	o.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.OpenURL = func(u string) error {
		h.opened <- u
		return nil
	}
	if tweak != nil {
		tweak(&o)
	}
	h.c = newController(h.app, o, func(f func()) { h.queue <- f })
	t.Cleanup(h.close)
	return h
}

// close stops the controller and drains posts until its goroutines have ended.
func (h *harness) close() {
	h.c.quitting = true
	h.c.stop()
	done := make(chan struct{})
	go func() {
		h.c.bg.Wait()
		h.c.stopHost()
		close(done)
	}()
	for {
		select {
		case f := <-h.queue:
			f()
		case <-done:
			return
		case <-time.After(10 * time.Second):
			h.t.Error("controller goroutines did not stop")
			return
		}
	}
}

// pump runs posted work until cond holds.
func (h *harness) pump(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case f := <-h.queue:
			f()
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; window shows:\n%s", what, strings.Join(h.texts(), "\n"))
		}
	}
}

// settle runs posted work until none arrived for a short while.
func (h *harness) settle() {
	for {
		select {
		case f := <-h.queue:
			f()
		case <-time.After(50 * time.Millisecond):
			return
		}
	}
}

func (h *harness) phase(k Kind) func() bool { return func() bool { return h.c.screen.Kind == k } }

// objects are what the user can see: the window's and its dialogs' objects whose own and
// ancestors' Visible() hold (the view keeps every page, hidden, in the tree).
func (h *harness) objects() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	test.LaidOutObjects(h.c.win.Content()) // lays out, so scroll and wrap containers have children
	walk(h.c.win.Content())
	for _, o := range h.c.win.Canvas().Overlays().List() {
		walk(o)
	}
	return out
}

// texts lists the label, entry and button texts of the window and its dialogs.
func (h *harness) texts() []string {
	var out []string
	for _, o := range h.objects() {
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Entry:
			out = append(out, "entry: "+w.Text)
		case *widget.Button:
			out = append(out, "button: "+w.Text)
		case *keyButton:
			out = append(out, "button: "+w.Text)
		}
	}
	return out
}

func (h *harness) hasText(sub string) bool {
	for _, s := range h.texts() {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (h *harness) requireText(subs ...string) {
	h.t.Helper()
	for _, s := range subs {
		if !h.hasText(s) {
			h.t.Errorf("window does not show %q; it shows:\n%s", s, strings.Join(h.texts(), "\n"))
		}
	}
}

// buttons returns the visible buttons by label; the last one wins (a dialog over the window).
func (h *harness) buttons() map[string]*widget.Button {
	m := map[string]*widget.Button{}
	for _, o := range h.objects() {
		if b := asButton(o); b != nil && b.Visible() {
			m[b.Text] = b
		}
	}
	return m
}

func (h *harness) requireButtons(labels ...string) {
	h.t.Helper()
	bs := h.buttons()
	for _, l := range labels {
		if bs[l] == nil {
			h.t.Errorf("no %q button; window shows:\n%s", l, strings.Join(h.texts(), "\n"))
		}
	}
}

func (h *harness) tap(label string) {
	h.t.Helper()
	b := h.buttons()[label]
	if b == nil {
		h.t.Fatalf("no %q button to tap; window shows:\n%s", label, strings.Join(h.texts(), "\n"))
	}
	test.Tap(b)
}

// dialogButton finds a button inside the dialog overlay (the window may have one with the same label).
func (h *harness) dialogButton(label string) *widget.Button {
	h.t.Helper()
	for _, o := range h.c.win.Canvas().Overlays().List() {
		for _, obj := range test.LaidOutObjects(o) {
			if b := asButton(obj); b != nil && b.Text == label {
				return b
			}
		}
	}
	h.t.Fatalf("no dialog button %q", label)
	return nil
}

// asButton is o as a button: Fyne's, or the window's keyboard button (its tap is the same).
func asButton(o fyne.CanvasObject) *widget.Button {
	switch b := o.(type) {
	case *widget.Button:
		return b
	case *keyButton:
		return &b.Button
	}
	return nil
}

// noSecretIn fails when the token shows up in the log, without printing it.
func (h *harness) noSecretIn(token string) {
	h.t.Helper()
	if token != "" && strings.Contains(h.logs.String(), token) {
		h.t.Errorf("the log contains the token (len %d)", len(token))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
