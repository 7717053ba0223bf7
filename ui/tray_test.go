package ui

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/app"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/tray"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// checkCounter counts the token checks (Status with check) made through a backend.
type checkCounter struct {
	account.Backend
	checks atomic.Int32
}

func (c *checkCounter) Status(ctx context.Context, check bool) (account.Status, error) {
	if check {
		c.checks.Add(1)
	}
	return c.Backend.Status(ctx, check)
}

// pipeWindow is the tray's side of a window on pipes, as tray.ProcessLauncher's is, without
// the process.
type pipeWindow struct {
	mu     sync.Mutex
	cmds   *io.PipeWriter
	evW    *io.PipeWriter
	events chan winproto.Message
}

func (w *pipeWindow) Send(m winproto.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := winproto.Write(w.cmds, m)
	if m.Cmd == winproto.CmdQuit {
		w.Kill() // as the process would exit
	}
	return err
}
func (w *pipeWindow) Events() <-chan winproto.Message { return w.events }
func (w *pipeWindow) Exited() error                   { return nil }
func (w *pipeWindow) Kill()                           { _ = w.evW.Close() }

// The real tray and the real window, on pipes: the tray's check finds the 401, the window
// shows it from the tray's state, the tray alone notifies, and every token check is the
// tray's: the window, with a 10 ms interval of its own, makes none.
func TestTrayDrivesWindowOverPipes(t *testing.T) {
	s := linkedStack(t)
	cmdR, cmdW := io.Pipe()
	evR, evW := io.Pipe()
	t.Cleanup(func() { cmdW.Close(); evW.Close() })
	win := &checkCounter{Backend: s.svc}
	h := newHarness(t, win, func(o *Options) {
		o.Parent = &app.Parent{Start: winproto.CmdShow, Commands: cmdR, Events: evW}
		o.HealthEvery = 10 * time.Millisecond
	})

	pw := &pipeWindow{cmds: cmdW, evW: evW, events: make(chan winproto.Message, 16)}
	go func() {
		_ = winproto.Read(evR, func(m winproto.Message) { pw.events <- m }, nil)
		close(pw.events)
	}()
	trayChecks := &checkCounter{Backend: s.svc}
	var mu sync.Mutex
	var notes []string
	tr := tray.New(tray.Options{
		Backend:     trayChecks,
		Launch:      func(string) (tray.Window, error) { return pw, nil },
		ShowWindow:  true,
		HealthEvery: 50 * time.Millisecond,
		Notify: func(title, body string) {
			mu.Lock()
			notes = append(notes, body)
			mu.Unlock()
		},
		Logger: slog.New(slog.NewTextHandler(&session.SyncBuffer{}, nil)),
	}, nil)
	tr.Start()
	t.Cleanup(tr.Shutdown)

	// The tray's check learns who the account is; the window reads it back from the keychain.
	h.pump("linked as the account", func() bool { return h.c.screen.Kind == Linked && h.c.screen.username() == s.srv.Username() })
	s.srv.FailNext(plextvtest.RoutePing, 100, plextvtest.Fault{Status: 401, Body: body401})
	h.pump("relink needed", func() bool { return h.c.screen.RelinkNeeded })
	h.requireText("no longer accepts the saved token")
	h.c.enteredForeground()
	n := trayChecks.checks.Load()
	h.pump("more checks", func() bool { return trayChecks.checks.Load() >= n+2 })
	h.settle()

	mu.Lock()
	got := append([]string(nil), notes...)
	mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], "Relink your Plex account") {
		t.Errorf("tray notifications %q, want one relink notification", got)
	}
	if len(h.app.notifyLog) != 0 {
		t.Error("the window notified although its tray does")
	}
	if c := win.checks.Load(); c != 0 {
		t.Errorf("the window checked the token %d times; the tray owns the check", c)
	}
	if s.srv.Count(plextvtest.RoutePing) == 0 {
		t.Error("nobody checked the token")
	}
}
