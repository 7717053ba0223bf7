// Package ui is the Fyne window and tray of Plex Link. It renders the states that
// internal/account and the auth engine report and holds no Plex or keychain logic.
//
// It has no tray of its own: internal/tray is the tray process, and starts this window as a
// child process (`plexlink window`, Options.Parent) when the user asks for it. Without a
// tray host the window is the whole app and closing it quits.
//
// One Controller owns all state. Everything that changes it runs on Fyne's UI goroutine:
// widget callbacks directly, background work (the engine, health checks, avatar downloads,
// the countdown, the parent's commands) through c.post, which is fyne.Do in the app. After
// every change render() rebuilds the window content from the state.
package ui

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/pkg/browser"

	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/winproto"
	"codeberg.org/plexlink/plexlink/storage"
)

// AppID is the Fyne application ID (preferences path, D-Bus names, desktop file).
const AppID = "io.github.plexlink.PlexLink"

// DefaultTitle is the window title; the Xvfb tests find the window by it.
const DefaultTitle = "Plex Link"

const (
	defaultHealthEvery = 6 * time.Hour
	defaultQuitTimeout = 5 * time.Second
)

// Backend is what the UI needs from *account.Service; tests and the demo may supply their own.
type Backend interface {
	Link(ctx context.Context, o account.LinkOptions) (*storage.LinkedAccount, error)
	Unlink(ctx context.Context, signOut bool) (account.UnlinkResult, error)
	Token() (string, error)
	Status(ctx context.Context, check bool) (account.Status, error)
	Avatar(ctx context.Context, thumbURL string) ([]byte, error)
}

var _ Backend = (*account.Service)(nil)

// Options configure the app. Service is the normal backend; Backend, when set, replaces it.
type Options struct {
	Service     *account.Service
	Backend     Backend
	Title       string             // "" → "Plex Link"
	OpenURL     func(string) error // nil → browser.OpenURL
	HealthEvery time.Duration      // 0 → 6h
	Logger      *slog.Logger       // nil → slog.Default()
	QuitTimeout time.Duration      // how long Quit waits for the engine to stop; 0 → 5s
	Icon        fyne.Resource      // app icon (notifications) and window icon; nil → AppIcon()
	WindowIcon  fyne.Resource      // small: X11 takes it uncompressed (1024 px cost ~100 ms at start); nil → Icon
	Ready       func(*Controller)  // Run calls it before the event loop (e.g. to wire single-instance Show)
	Parent      *Parent            // the tray process this window belongs to; nil: the window is the app
	// LinkLock is taken for every link run so a terminal `plexlink link` and the window never
	// poll at once; its error is shown as is. nil → no lock.
	LinkLock  func() (unlock func(), err error)
	Autostart Autostart // nil → no "Start at login" choice (demo, tests)
}

// Autostart turns starting at login on and off; internal/desktop implements it per OS.
type Autostart interface {
	Enabled() (bool, error)
	Enable() error
	Disable() error
}

// Controller owns the window and the state it shows.
type Controller struct {
	app     fyne.App
	win     fyne.Window
	opts    Options
	backend Backend
	log     *slog.Logger
	post    func(func()) // runs f on the UI goroutine

	events chan string // to the parent (Options.Parent), written by one goroutine
	start  string      // the parent's first command, run once the keychain was read

	ctx  context.Context // the app's lifetime; Quit cancels it
	stop context.CancelFunc
	bg   sync.WaitGroup // the engine and other goroutines Quit waits for

	st state

	linkGen    int // identifies the current link run; events of older runs are dropped
	linkCancel context.CancelFunc
	linkAgain  bool // a link was asked for while a validated run was being saved: start it after

	healthGen   int
	healthTimer *time.Timer
	lastCheck   time.Time

	autostartDone chan struct{} // closed when the latest start-at-login write has finished

	visible   bool
	quitting  bool
	quitDone  chan struct{} // closed once Quit has asked the app to exit
	confirm   *dialog.ConfirmDialog
	countdown interface{ SetText(string) }
	spinners  []*widget.Activity
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
	if o.HealthEvery <= 0 {
		o.HealthEvery = defaultHealthEvery
	}
	if o.QuitTimeout <= 0 {
		o.QuitTimeout = defaultQuitTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Icon == nil {
		o.Icon = AppIcon()
	}
	c := &Controller{app: a, opts: o, backend: o.Backend, log: o.Logger, post: post, quitDone: make(chan struct{})}
	if c.backend == nil && o.Service != nil {
		c.backend = o.Service
	}
	c.ctx, c.stop = context.WithCancel(context.Background())
	a.SetIcon(o.Icon)
	c.win = a.NewWindow(o.Title)
	if o.WindowIcon == nil {
		o.WindowIcon = o.Icon
	}
	c.win.SetIcon(o.WindowIcon)
	c.win.Resize(fyne.NewSize(440, 340))
	c.win.Canvas().SetOnTypedKey(c.typedKey)
	c.win.SetCloseIntercept(c.Quit)
	a.Lifecycle().SetOnEnteredForeground(c.enteredForeground)

	if o.Autostart != nil {
		// A file or registry read: cheap enough for start-up, and the menu needs it.
		on, err := o.Autostart.Enabled()
		if err != nil {
			c.log.Warn("reading the start-at-login setting failed", "err", err)
		}
		c.st.autostart = on
	}
	if o.Parent != nil {
		c.start = o.Parent.Start
		c.startParent(o.Parent)
	}
	c.render()
	c.show()
	c.emit(winproto.EventReady)
	c.refresh()
	return c
}

// Run runs the desktop app until Quit and returns the process exit code.
func Run(o Options) int {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := app.NewWithID(AppID)
	c := NewController(a, o)
	if o.Ready != nil {
		o.Ready(c)
	}
	a.Run()
	c.shutdown()
	return 0
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
	c.quitting = true
	c.emit(winproto.EventClosing)
	c.stopHealth()
	c.hide()
	c.stop()
	go func() {
		c.waitBackground()
		c.post(func() {
			c.app.Quit()
			close(c.quitDone)
		})
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

// shutdown releases what the controller started once the app loop has ended.
func (c *Controller) shutdown() {
	c.quitting = true
	c.stop()
	c.stopHealth()
	c.waitBackground()
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
