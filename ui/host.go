package ui

import (
	"errors"
	"sync"

	"fyne.io/fyne/v2"

	"codeberg.org/plexlink/plexlink/internal/tray"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// startHost runs the tray's logic in this process when there is no tray host: token
// health, notifications and start at login have one implementation, internal/tray's, which
// drives this window through the same tray.Window interface it uses for a window process.
// It has no menu and launches nothing: its one window is this one.
func (c *Controller) startHost() {
	w := &hostWindow{c: c, events: make(chan winproto.Message, 32)}
	c.sink = w.deliver
	launched := false
	c.host = tray.New(tray.Options{
		Backend:   c.backend,
		Title:     c.opts.Title,
		Autostart: c.opts.Autostart,
		Launch: func(string) (tray.Window, error) {
			if launched {
				return nil, errors.New("the window has closed")
			}
			launched = true
			return w, nil
		},
		Notify: func(title, body string) {
			c.post(func() { c.app.SendNotification(fyne.NewNotification(title, body)) })
		},
		ShowWindow:  true, // "launches" this window at Start
		HealthEvery: c.opts.HealthEvery,
		ListsEvery:  c.opts.ListsEvery,
		Logger:      c.log,
	}, nil)
	c.host.Start()
}

// stopHost ends the in-process tray; safe to call more than once, from any goroutine but
// the UI's once the loop has ended (the tray's last state may still be posted).
func (c *Controller) stopHost() {
	if c.host != nil {
		c.host.Shutdown()
	}
}

// hostWindow is this window as the in-process tray sees it: commands enter through the
// controller's command, as from a pipe; events are what the controller tells the tray.
type hostWindow struct {
	c      *Controller
	events chan winproto.Message

	mu     sync.Mutex
	closed bool
}

func (w *hostWindow) Send(m winproto.Message) error {
	if m.Cmd == winproto.CmdQuit {
		// The in-process tray quits only as this window does: nothing more to deliver.
		w.Kill()
		return nil
	}
	w.c.command(m)
	return nil
}

func (w *hostWindow) Events() <-chan winproto.Message { return w.events }
func (w *hostWindow) Exited() error                   { return nil }

func (w *hostWindow) Kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		close(w.events)
	}
}

// deliver hands an event to the tray's loop without blocking the UI goroutine.
func (w *hostWindow) deliver(m winproto.Message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	select {
	case w.events <- m:
	default:
		w.c.log.Warn("the tray is not reading; event dropped", "event", m.Event)
	}
}
