// Package ui is the Fyne window of Plex Link. It renders what internal/account and the auth
// engine report and holds no Plex or keychain logic.
//
// It has no tray icon of its own: internal/tray is the tray process, and starts this window
// as a child process (`plexlink window`, Options.Parent) when the user asks for it. Without
// a tray host the window is the whole app and closing it quits; the tray's logic (token
// health, notifications, start at login) then runs in this process, without a menu
// (host.go). Either way the window never checks the token or notifies on its own: it shows
// the tray's winproto.State and asks the tray for what it owns.
//
// The window is one state machine: a Screen value, changed only by the pure step(screen,
// event) (screen.go); the view (view.go) is built once and updated in place from the
// screen; the Controller carries out the effects step asks for. Widget callbacks send
// events on the UI goroutine; everything a goroutine finds (the engine, the keychain, the
// avatar, the tray's commands and states) enters through send, that is fyne.Do.
package ui

import (
	"bytes"
	"context"
	"image"
	_ "image/gif" // avatar formats plex.tv serves
	_ "image/jpeg"
	_ "image/png"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/theme"
	"github.com/pkg/browser"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/app"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/tray"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// DefaultTitle is the window title; the Xvfb tests find the window by it.
const DefaultTitle = "Plex Link"

const defaultQuitTimeout = 5 * time.Second

// Options configure the window: what the desktop app starts it with (app.WindowOptions,
// taken as it is: Service, OpenURL, Logger, LinkLock, Autostart, Parent, Clipboard), plus
// what only the window and its tests set. Backend, when set, replaces Service. Under a tray
// (Parent set) the Clipboard is only asked whether a secret copy is possible: the tray
// copies, so the copy outlives this window; and Autostart is not used: the tray owns it.
type Options struct {
	app.WindowOptions
	Backend     account.Backend
	Title       string            // "" → "Plex Link"
	HealthEvery time.Duration     // the in-process tray's token check interval (no Parent); 0 → 6h
	ListsEvery  time.Duration     // how often the in-process tray re-reads the tools (no Parent); 0 → 2s
	QuitTimeout time.Duration     // how long Quit waits for the engine to stop; 0 → 5s
	Icon        fyne.Resource     // app icon (notifications) and window icon; main.go passes Icon.png; nil → Fyne's logo
	WindowIcon  fyne.Resource     // small: X11 takes it uncompressed (1024 px cost ~100 ms at start); nil → Icon
	Ready       func(*Controller) // Run calls it before the event loop (e.g. to wire single-instance Show)
}

// clipboardClearAfter is how long a copied token stays on the clipboard.
const clipboardClearAfter = 10 * time.Second

// Controller owns the window, the screen it shows and the work behind it.
type Controller struct {
	app     fyne.App
	win     fyne.Window
	opts    Options
	backend account.Backend
	log     *slog.Logger
	post    func(func()) // runs f on the UI goroutine

	screen   Screen
	view     *view
	pending  []any // events sent while one is being handled
	handling bool

	sink func(winproto.Message) // to the tray: the parent's pipe (parent.go) or the in-process one (host.go)
	host *tray.Tray             // the in-process tray when there is no Parent

	ctx  context.Context // the app's lifetime; Quit cancels it
	stop context.CancelFunc
	bg   sync.WaitGroup // the engine and other goroutines Quit waits for

	linkCancel context.CancelFunc

	visible  bool
	quitting bool
	quitDone chan struct{} // closed once Quit has asked the app to exit
	// uiClosed is set once the app loop is ending (a signal, or Run returned). Fyne runs a
	// fyne.Do inline on the caller's goroutine once its loop has drained, so from then on a
	// posted function must not touch a widget: post drops it.
	uiClosed atomic.Bool
}

// NewController builds and shows the window and starts reading the link status in the
// background.
func NewController(a fyne.App, o Options) *Controller {
	return newController(a, o, fyne.Do)
}

func newController(a fyne.App, o Options, post func(func())) *Controller {
	if o.Title == "" {
		o.Title = DefaultTitle
	}
	if o.OpenURL == nil {
		o.OpenURL = browser.OpenURL
	}
	if o.QuitTimeout <= 0 {
		o.QuitTimeout = defaultQuitTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Icon == nil {
		o.Icon = theme.FyneLogo()
	}
	if o.WindowIcon == nil {
		o.WindowIcon = o.Icon
	}
	c := &Controller{app: a, opts: o, backend: o.Backend, log: o.Logger, quitDone: make(chan struct{})}
	c.post = func(f func()) {
		post(func() {
			if !c.uiClosed.Load() {
				f()
			}
		})
	}
	if c.backend == nil && o.Service != nil {
		c.backend = o.Service
	}
	c.ctx, c.stop = context.WithCancel(context.Background())
	a.SetIcon(o.Icon)
	c.win = a.NewWindow(o.Title)
	c.win.SetIcon(o.WindowIcon)
	c.win.Resize(fyne.NewSize(480, 700))
	c.win.Canvas().SetOnTypedKey(c.typedKey)
	c.win.SetCloseIntercept(c.Quit)
	a.Lifecycle().SetOnEnteredForeground(c.enteredForeground)

	c.view = newView(a, c.win, c.dispatch)
	c.win.SetContent(c.view.root)
	c.view.update(c.screen)
	if o.Parent != nil {
		// The parent's first command runs once the keychain was read.
		switch o.Parent.Start {
		case winproto.CmdLink:
			c.screen.Queued = evLink{}
		case winproto.CmdUnlink:
			c.screen.Queued = evAskUnlink{}
		}
		c.startParent(o.Parent)
	} else {
		c.startHost()
	}
	c.show()
	c.emit(winproto.EventReady)
	c.do(effReadStatus{})
	return c
}

// Run runs the desktop app until Quit and returns the process exit code.
func Run(o Options) int {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := fyneapp.NewWithID(desktop.AppID)
	c := NewController(a, o)
	if o.Ready != nil {
		o.Ready(c)
	}
	// Fyne quits its loop on SIGINT/SIGTERM (a logout) by itself, without our Quit: from
	// the signal on, results still arriving from goroutines are dropped (see uiClosed).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			c.uiClosed.Store(true)
		}
	}()
	a.Run()
	c.uiClosed.Store(true)
	signal.Stop(sigs)
	close(sigs)
	c.shutdown()
	return 0
}

// send delivers an event from any goroutine: the one way results enter the UI.
func (c *Controller) send(e any) { c.post(func() { c.dispatch(e) }) }

// dispatch steps the screen, shows the result and starts the effects. UI goroutine only.
// Events raised while one is handled (a dialog hidden by update answers at once) queue up.
func (c *Controller) dispatch(e any) {
	if e == nil {
		return
	}
	c.pending = append(c.pending, e)
	if c.handling {
		return
	}
	c.handling = true
	defer func() { c.handling = false }()
	for len(c.pending) > 0 {
		e := c.pending[0]
		c.pending = c.pending[1:]
		prev := c.screen
		next, effects := step(prev, e)
		c.screen = next
		c.logChange(prev, next)
		c.view.update(next)
		for _, eff := range effects {
			c.do(eff)
		}
	}
}

func (c *Controller) logChange(prev, next Screen) {
	if prev.Kind == next.Kind {
		return
	}
	switch next.Kind {
	case Failed:
		what := map[Failure]string{
			FailStatus: "reading the stored token failed",
			FailLink:   "linking failed",
			FailSave:   "plex.tv validated the token but the keychain refused it",
			FailUnlink: "unlinking failed",
		}[next.Fail]
		c.log.Warn(what, "err", next.Err)
	case Linked:
		c.log.Info("screen", "kind", "linked", "user", next.username())
	default:
		c.log.Info("screen", "kind", kindNames[next.Kind])
	}
}

// do carries out one effect; whatever it finds comes back through send.
func (c *Controller) do(eff Effect) {
	if c.quitting {
		return
	}
	switch eff := eff.(type) {
	case effReadStatus:
		c.goBackground(func() {
			st, err := c.backend.Status(c.ctx, false)
			c.send(evStatusRead{st, err})
		})
	case effStartLink:
		c.startLink(eff.run)
	case effCancelLink:
		if c.linkCancel != nil {
			c.linkCancel()
			c.linkCancel = nil
			c.log.Info("linking cancelled")
		}
	case effSave:
		c.goBackground(func() { c.send(evSaveDone{eff.out.Retry()}) })
	case effUnlink:
		c.goBackground(func() {
			res, err := c.backend.Unlink(c.ctx, true)
			c.send(evUnlinkDone{res, err})
		})
	case effReread:
		c.goBackground(func() {
			st, err := c.backend.Status(c.ctx, false)
			c.send(evReread{st, err})
		})
	case effEmit:
		c.emit(eff.event)
	case effFetchAvatar:
		c.fetchAvatar(eff.thumb)
	case effSetAutostart:
		c.tell(winproto.SetAutostart(eff.on))
	case effClipboard:
		c.app.Clipboard().SetContent(eff.text)
	case effCopyToken:
		c.copyToken()
	case effRevoke:
		c.tell(winproto.Revoke(eff.ref.Tool, eff.ref.User))
	case effOpenURL:
		go func() { c.send(evBrowser{eff.run, c.opts.OpenURL(eff.url)}) }()
	}
}

// startLink runs the engine in its own goroutine. A relink keeps the stored token: the
// service replaces it only after plex.tv validated the new one.
func (c *Controller) startLink(run int) {
	c.show()
	ctx, cancel := context.WithCancel(c.ctx)
	unlock := func() {}
	if c.opts.LinkLock != nil {
		// An unlink elsewhere stops this run as the Cancel button would.
		u, err := c.opts.LinkLock(cancel)
		if err != nil {
			cancel()
			c.dispatch(evLinkRefused{err})
			return
		}
		unlock = u
	}
	c.linkCancel = cancel
	o := account.LinkOptions{
		OpenURL: c.opts.OpenURL,
		OnEvent: func(ev auth.Event) { c.send(evEngine{run, ev}) },
	}
	c.log.Info("linking started", "relink", c.screen.Stored)
	c.goBackground(func() {
		go c.tickCountdown(ctx)
		out := c.backend.Link(ctx, o)
		// Unlocked before the result is shown: the tray hears "linked" and may ask for a
		// relink at once, which must find the lock free.
		cancel()
		unlock()
		c.send(evLinkDone{run, out})
	})
}

// tickCountdown updates the code's countdown once a second while the run lasts.
func (c *Controller) tickCountdown(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.post(func() { c.view.tick(now) })
		}
	}
}

// copyToken copies the token as a secret: under a tray the tray does it (its copy outlives
// this window), else this process; where no secret copy is possible, the Fyne clipboard.
// The keychain read is off the UI goroutine (an unlock prompt can take long).
func (c *Controller) copyToken() {
	cb := c.opts.Clipboard
	secret := cb != nil && cb.Unavailable() == ""
	if secret && c.opts.Parent != nil {
		c.emit(winproto.EventCopyToken)
		c.dispatch(evNotice{noticeCopiedSecret})
		return
	}
	go func() {
		tok, err := c.backend.Token()
		if err != nil {
			c.log.Warn("reading the token for the clipboard failed", "err", err)
			c.send(evNotice{"Could not read the token: " + plainError(err)})
			return
		}
		if secret {
			if err := cb.CopySecret(tok, clipboardClearAfter); err != nil {
				c.send(evNotice{"Could not copy the token: " + plainError(err)})
				return
			}
			c.send(evNotice{noticeCopiedSecret})
			return
		}
		c.post(func() {
			c.app.Clipboard().SetContent(tok)
			c.dispatch(evNotice{"Token copied to the clipboard. This desktop cannot mark it as a secret: clipboard history may keep it."})
		})
	}()
}

const noticeCopiedSecret = "Token copied to the clipboard; it is cleared in 10 seconds."

// fetchAvatar downloads the account thumbnail; failure keeps the placeholder.
func (c *Controller) fetchAvatar(thumb string) {
	go func() {
		b, err := c.backend.Avatar(c.ctx, thumb)
		if err == nil {
			_, _, err = image.DecodeConfig(bytes.NewReader(b))
		}
		if err != nil {
			c.log.Info("avatar not shown", "err", err)
			return
		}
		c.send(evAvatar{thumb, fyne.NewStaticResource("avatar", b)})
	}()
}

// enteredForeground asks the tray to check the token if a check is due (a machine waking
// from sleep does not fire the tray's timer on time).
func (c *Controller) enteredForeground() {
	if !c.quitting {
		c.dispatch(evForeground{})
	}
}

// typedKey: Enter does what the highlighted button of the screen does (the same function
// decides both); Escape closes the dialog or stops the engine, and otherwise closes a
// window that belongs to a tray (the tray stays).
func (c *Controller) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		c.dispatch(primaryEvent(c.screen))
	case fyne.KeyEscape:
		if e := escapeEvent(c.screen); e != nil {
			c.dispatch(e)
		} else if c.opts.Parent != nil {
			c.Quit()
		}
	}
}

// Show brings the window up; safe from any goroutine (e.g. when a second instance starts).
func (c *Controller) Show() { c.post(c.show) }

func (c *Controller) show() {
	if c.quitting {
		return
	}
	c.visible = true
	c.win.Show()
	c.win.RequestFocus()
}

func (c *Controller) hide() {
	c.visible = false
	c.win.Hide()
}

// Quit cancels the engine, waits (bounded) for it to stop, then exits the app. It returns at
// once: the waiting happens off the UI goroutine.
func (c *Controller) Quit() {
	if c.quitting {
		return
	}
	c.emit(winproto.EventClosing)
	c.quitting = true
	c.hide()
	c.stop()
	go func() {
		c.waitBackground()
		c.stopHost()
		c.post(c.app.Quit)
		close(c.quitDone)
	}()
}

func (c *Controller) waitBackground() {
	done := make(chan struct{})
	go func() {
		c.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(c.opts.QuitTimeout):
		c.log.Warn("quitting before the linking engine stopped", "waited", c.opts.QuitTimeout)
	}
}

// shutdown releases what the controller started once the app loop has ended; a token
// this process put on the clipboard goes with it.
func (c *Controller) shutdown() {
	c.quitting = true
	c.stop()
	c.waitBackground()
	c.stopHost()
	if c.opts.Clipboard != nil {
		c.opts.Clipboard.Close()
	}
}

// goBackground runs f in a goroutine that Quit waits for. Only the UI goroutine calls it,
// and never once quitting started, so Add never races with Wait.
func (c *Controller) goBackground(f func()) {
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		f()
	}()
}
