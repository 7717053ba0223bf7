// Package tray is the Plex Link tray process: the icon and menu that live all day, built on
// fyne.io/systray directly. It never creates a Fyne app, a GL context or a window; the
// window is a child process (`plexlink window`) started on demand and spoken to over its
// stdin/stdout with internal/winproto. This package must not import fyne.io/fyne/v2
// (TestNoFyneInImportGraph checks).
//
// The tray owns token health (the periodic check, tools' tokens included), the
// notifications ("needs relinking", "Linked as …") and start at login. The window never
// does these itself: the tray sends it a winproto.State when what it knows changes, and
// the window asks it (check_due, set_autostart). Where there is no tray host, the window's
// process runs a Tray of its own without a menu (New with a nil Menu), driving the window
// in-process through the same Window interface, so there is one implementation of each.
//
// One goroutine (loop) owns all state. Menu clicks, window events, single-instance
// requests and the results of background work (keychain reads, health checks) reach it
// through channels. After every change it computes a Snapshot of what the menu shows and
// applies it only when it differs from the last one, like Tailscale's client/systray; the
// window's State likewise.
package tray

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/winproto"
	"codeberg.org/plexlink/plexlink/storage"
)

// Menu labels, in menu order. The e2e tests find items by these labels through dbusmenu.
const (
	LabelNotLinked    = "Not linked"
	LabelRelinkNeeded = "Relink needed"
	LabelLinkedAs     = "Linked as " // + username
	LabelLink         = "Link Plex account…"
	LabelRelink       = "Relink Plex account…"
	LabelCopyToken    = "Copy token"
	LabelUnlink       = "Unlink"
	LabelOpen         = "Open Plex Link"
	LabelAutostart    = "Start at login"
	LabelQuit         = "Quit"
)

const (
	defaultHealthEvery = 6 * time.Hour
	defaultQuitTimeout = 5 * time.Second
	// ClipboardClearAfter is how long a copied token stays on the clipboard.
	ClipboardClearAfter = 10 * time.Second
)

// Action is a menu click.
type Action int

const (
	ActLink Action = iota + 1 // Link… or Relink…
	ActCopyToken
	ActUnlink
	ActOpen
	ActAutostart
	ActQuit
)

// Snapshot is everything the menu and icon show. The menu is updated only when it changes.
type Snapshot struct {
	Status       string // first line, disabled
	Linked       bool   // Link… reads Relink…, Copy token is shown, Unlink is enabled
	RelinkNeeded bool   // the tray icon carries the relink badge
	CopyLabel    string // "Copy token", or why it cannot copy here
	HasAutostart bool
	Autostart    bool // "Start at login" checked
}

// LinkLabel is the label of the Link/Relink item.
func (s Snapshot) LinkLabel() string {
	if s.Linked {
		return LabelRelink
	}
	return LabelLink
}

// Labels lists the visible menu as the tests read it: separators as "---", disabled items
// with " (disabled)", checked ones with " (checked)".
func (s Snapshot) Labels() []string {
	out := []string{s.Status + " (disabled)", "---", s.LinkLabel()}
	if s.Linked {
		out = append(out, s.CopyLabel)
	}
	unlink := LabelUnlink
	if !s.Linked {
		unlink += " (disabled)"
	}
	out = append(out, unlink, LabelOpen)
	if s.HasAutostart {
		l := LabelAutostart
		if s.Autostart {
			l += " (checked)"
		}
		out = append(out, l)
	}
	return append(out, "---", LabelQuit)
}

// Menu shows snapshots. Apply is called from the tray's loop only, and only with a
// snapshot different from the previous one.
type Menu interface {
	Apply(Snapshot)
}

// Window is a running window: a process on pipes (ProcessLauncher), or the window of this
// process when there is no tray host.
type Window interface {
	// Send delivers a command; an error means the window is gone or going.
	Send(m winproto.Message) error
	// Events delivers the window's events and is closed when the window has exited.
	Events() <-chan winproto.Message
	// Exited is why the process ended, once Events is closed (nil for exit code 0).
	Exited() error
	// Kill ends the process at once.
	Kill()
}

// Launcher starts the window process with a first command (winproto.CmdShow, CmdLink or
// CmdUnlink).
type Launcher func(first string) (Window, error)

// Clipboard puts text on the system clipboard as a secret and takes it off again.
type Clipboard interface {
	// Unavailable says why this session cannot copy from the tray ("" when it can).
	Unavailable() string
	// CopySecret offers text and clears it after clearAfter if the clipboard still holds it.
	CopySecret(text string, clearAfter time.Duration) error
	// Close clears what CopySecret left (only if still held) and releases the display.
	Close()
}

// Options configure the tray.
type Options struct {
	Backend     account.Backend
	Title       string // notification title; "" → "Plex Link"
	Autostart   desktop.Autostart
	Launch      Launcher
	Clipboard   Clipboard                // nil → no in-process clipboard
	Notify      func(title, body string) // nil → none
	Requests    <-chan desktop.Request   // later launches; nil without single-instance
	ShowWindow  bool                     // open the window at start (not a login start)
	HealthEvery time.Duration            // 0 → 6h
	ListsEvery  time.Duration            // how often the tools are re-read while a window is open; 0 → 2s
	QuitTimeout time.Duration            // how long Quit waits for the window; 0 → 5s
	Logger      *slog.Logger
}

// Tray is the tray's state and loop.
type Tray struct {
	o    Options
	log  *slog.Logger
	menu Menu

	actions  chan Action
	post     chan func()
	quitting bool
	done     chan struct{} // closed when the loop has ended

	ctx  context.Context
	stop context.CancelFunc

	// The source of truth, as last read.
	linked       bool
	acct         *storage.LinkedAccount
	relinkNeeded bool
	autostart    bool
	copyNote     string // the last copy failure, shown in the Copy item
	autostartErr string // the last start-at-login write failure, told to the window
	known        bool   // the keychain was read once: the window may be told

	healthGen   int
	healthTimer *time.Timer
	lastCheck   time.Time

	autostartDone chan struct{} // closed when the latest start-at-login write has finished

	applied bool
	last    Snapshot

	stateSent bool // the window has been sent sentState
	sentState winproto.State

	win        Window
	winEvents  <-chan winproto.Message
	winClosing bool   // the window said it is quitting
	pending    string // a command for the next window, once the closing one has exited

	ls lists // what the open window lists (lists.go)
}

// New returns a tray that will show its state on menu once Start is called. menu may be
// nil: the window's process without a tray host runs the tray's logic that way.
func New(o Options, menu Menu) *Tray {
	if o.Title == "" {
		o.Title = "Plex Link"
	}
	if o.HealthEvery <= 0 {
		o.HealthEvery = defaultHealthEvery
	}
	if o.QuitTimeout <= 0 {
		o.QuitTimeout = defaultQuitTimeout
	}
	if o.ListsEvery <= 0 {
		o.ListsEvery = defaultListsEvery
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	t := &Tray{o: o, log: o.Logger, menu: menu, actions: make(chan Action, 16), post: make(chan func(), 16), done: make(chan struct{})}
	t.ctx, t.stop = context.WithCancel(context.Background())
	return t
}

// Click delivers a menu click; safe from any goroutine.
func (t *Tray) Click(a Action) {
	select {
	case t.actions <- a:
	case <-t.done:
	}
}

// Done is closed once the tray has quit (Quit clicked, or Shutdown).
func (t *Tray) Done() <-chan struct{} { return t.done }

// Shutdown quits as if Quit was clicked (e.g. on SIGTERM) and waits for the loop to end.
func (t *Tray) Shutdown() {
	t.Click(ActQuit)
	<-t.done
}

// Start reads the start-up state and runs the loop in a goroutine.
func (t *Tray) Start() {
	if t.o.ShowWindow {
		t.openWindow(winproto.CmdShow) // first: the window is what a double-click waits for
	}
	if t.o.Autostart != nil {
		on, err := t.o.Autostart.Enabled()
		if err != nil {
			t.log.Warn("reading the start-at-login setting failed", "err", err)
		}
		t.autostart = on
	}
	t.render()
	t.reread(true)
	go t.loop()
}

func (t *Tray) loop() {
	defer close(t.done)
	for {
		var reqs <-chan desktop.Request
		if !t.quitting {
			reqs = t.o.Requests
		}
		select {
		case a := <-t.actions:
			if a == ActQuit {
				t.quit()
				return
			}
			if !t.quitting {
				t.act(a)
			}
		case f := <-t.post:
			f()
		case r, ok := <-reqs:
			if !ok {
				t.o.Requests = nil
				continue
			}
			if r.Command == desktop.CommandShow {
				t.openWindow(winproto.CmdShow)
			}
		case ev, ok := <-t.winEvents:
			if !ok {
				t.windowExited()
				continue
			}
			t.windowEvent(ev)
		}
		t.render()
	}
}

// goPost runs work off the loop and hands its result back to the loop.
func (t *Tray) goPost(work func() func()) {
	go func() {
		f := work()
		select {
		case t.post <- f:
		case <-t.done:
		}
	}()
}

func (t *Tray) act(a Action) {
	switch a {
	case ActLink:
		t.openWindow(winproto.CmdLink)
	case ActUnlink:
		if t.linked {
			t.openWindow(winproto.CmdUnlink)
		}
	case ActOpen:
		t.openWindow(winproto.CmdShow)
	case ActCopyToken:
		t.copyToken()
	case ActAutostart:
		t.setAutostart(!t.autostart)
	}
}

// snapshot is what the menu should show now.
func (t *Tray) snapshot() Snapshot {
	s := Snapshot{Status: LabelNotLinked, Linked: t.linked, CopyLabel: LabelCopyToken, HasAutostart: t.o.Autostart != nil, Autostart: t.autostart}
	switch {
	case t.linked && t.relinkNeeded:
		s.Status, s.RelinkNeeded = LabelRelinkNeeded, true
	case t.linked:
		s.Status = LabelLinkedAs + account.DisplayName(t.acct)
	}
	if t.o.Clipboard == nil || t.o.Clipboard.Unavailable() != "" {
		s.CopyLabel = LabelCopyToken + " (in the window)"
	} else if t.copyNote != "" {
		s.CopyLabel = LabelCopyToken + " (" + t.copyNote + ")"
	}
	return s
}

func (t *Tray) render() {
	t.sendState()
	if t.menu == nil {
		return
	}
	s := t.snapshot()
	if t.applied && s == t.last {
		return
	}
	t.applied, t.last = true, s
	t.menu.Apply(s)
}

// state is what the window is told: the menu's facts, without the menu.
func (t *Tray) state() winproto.State {
	s := winproto.State{Linked: t.linked, RelinkNeeded: t.linked && t.relinkNeeded,
		HasAutostart: t.o.Autostart != nil, Autostart: t.autostart, AutostartErr: t.autostartErr}
	if t.linked {
		s.Account = account.DisplayName(t.acct)
	}
	return s
}

// sendState tells the window what changed, once the keychain was read: a window shows the
// tray's verdicts and never checks on its own.
func (t *Tray) sendState() {
	if t.win == nil || t.winClosing || !t.known {
		return
	}
	s := t.state()
	if t.stateSent && s == t.sentState {
		return
	}
	if err := t.win.Send(winproto.StateMessage(s)); err != nil {
		t.log.Debug("the window did not take the state", "err", err)
		return
	}
	t.stateSent, t.sentState = true, s
}

// reread reads the keychain (no network) and, when check is set and a token is stored,
// then asks plex.tv about it.
func (t *Tray) reread(check bool) {
	t.readStatus(func(account.Status) {
		if t.linked && check {
			t.checkNow()
		}
	})
}

// readStatus reads the keychain off the loop, records what it found, then runs then on the
// loop with it. A keychain that does not answer changes nothing.
func (t *Tray) readStatus(then func(account.Status)) {
	t.goPost(func() func() {
		st, err := t.o.Backend.Status(t.ctx, false)
		return func() {
			t.known = true
			if err != nil {
				t.log.Warn("reading the stored token failed", "err", err)
				return
			}
			t.setLinked(st)
			then(st)
		}
	})
}

func (t *Tray) setLinked(st account.Status) {
	was, wasID := t.linked, accountID(t.acct)
	defer func() {
		if t.linked != was || accountID(t.acct) != wasID {
			t.listsAccountChanged()
		}
	}()
	if !st.Linked {
		if t.linked {
			t.log.Info("not linked")
		}
		t.linked, t.acct, t.relinkNeeded = false, nil, false
		t.stopHealth()
		return
	}
	t.linked = true
	if st.Account != nil {
		t.acct = st.Account
	}
}

func accountID(a *storage.LinkedAccount) int64 {
	if a == nil {
		return 0
	}
	return a.ID
}

// checkNow asks plex.tv about the stored token and arms the next check.
func (t *Tray) checkNow() {
	t.stopHealth()
	gen := t.healthGen
	t.lastCheck = time.Now()
	t.goPost(func() func() {
		st, err := t.o.Backend.Status(t.ctx, true)
		if err == nil && st.Valid != nil && *st.Valid && (st.Tools > 0 || st.HomeUsers > 0) {
			// The tools' tokens die with "sign out of all devices" too; a tool started
			// later should find a working one.
			renewed, terr := t.o.Backend.CheckTools(t.ctx)
			if len(renewed) > 0 {
				t.log.Info("renewed tool tokens plex.tv no longer accepted", "tools", strings.Join(renewed, ", "))
			}
			if terr != nil {
				t.log.Info("tool token check incomplete", "err", terr)
			}
		}
		return func() {
			if gen != t.healthGen {
				return
			}
			t.applyHealth(st, err)
			t.armHealth()
		}
	})
}

func (t *Tray) armHealth() {
	if !t.linked || t.healthTimer != nil || t.quitting {
		return
	}
	gen := t.healthGen
	t.healthTimer = time.AfterFunc(t.o.HealthEvery, func() {
		select {
		case t.post <- func() {
			if gen == t.healthGen {
				t.healthTimer = nil
				t.checkNow()
			}
		}:
		case <-t.done:
		}
	})
}

func (t *Tray) stopHealth() {
	t.healthGen++
	if t.healthTimer != nil {
		t.healthTimer.Stop()
		t.healthTimer = nil
	}
}

func (t *Tray) applyHealth(st account.Status, err error) {
	switch {
	case err != nil:
		t.log.Info("token check postponed: keychain unavailable", "err", err)
		return
	case !st.Linked:
		if t.linked {
			t.log.Info("the token was removed outside the app")
		}
		t.setLinked(st)
		return
	}
	t.setLinked(st)
	switch {
	case st.Valid == nil:
		t.log.Info("token check postponed: plex.tv did not answer", "err", st.CheckErr)
	case !*st.Valid:
		t.markRelinkNeeded()
	default:
		t.relinkNeeded = false
	}
}

func (t *Tray) markRelinkNeeded() {
	if t.relinkNeeded {
		return
	}
	t.relinkNeeded = true
	t.log.Warn("plex.tv rejected the stored token; relink needed")
	t.notify("plex.tv no longer accepts the saved token. Relink your Plex account.")
}

func (t *Tray) notify(body string) {
	if t.o.Notify != nil {
		t.o.Notify(t.o.Title, body)
	}
}

// openWindow starts the window process with cmd, or sends cmd to the one running: a
// second request focuses the open window instead of starting another.
func (t *Tray) openWindow(cmd string) {
	if t.win != nil {
		if !t.winClosing {
			if err := t.win.Send(winproto.Message{Cmd: cmd}); err == nil {
				return
			}
		}
		// The window is on its way out. Start a new one once it has exited, so two windows
		// never poll at once.
		t.pending = cmd
		return
	}
	if t.o.Launch == nil {
		return
	}
	w, err := t.o.Launch(cmd)
	if err != nil {
		t.log.Warn("starting the window failed", "err", err)
		return
	}
	t.win, t.winEvents, t.stateSent = w, w.Events(), false
}

// checkIfDue checks the token when the last check is older than the interval: the machine
// slept through the timer.
func (t *Tray) checkIfDue() {
	if t.linked && time.Since(t.lastCheck.Round(0)) >= t.o.HealthEvery {
		t.checkNow()
	}
}

func (t *Tray) windowEvent(m winproto.Message) {
	switch m.Event {
	case winproto.EventReady:
		t.checkIfDue()
		t.listsStart()
	case winproto.EventCheckDue:
		t.checkIfDue()
	case winproto.EventRefresh:
		t.readNet()
	case winproto.EventRevokeTool:
		t.revokeTool(m.Tool, m.User)
	case winproto.EventLinked:
		// The window validated the token just now: re-read who it is, no network.
		t.relinkNeeded = false
		t.readStatus(func(st account.Status) {
			t.notify(LabelLinkedAs + account.DisplayName(st.Account))
			t.lastCheck = time.Now()
			t.stopHealth()
			t.armHealth()
		})
	case winproto.EventUnlinked:
		t.reread(false)
	case winproto.EventSetAutostart:
		if m.On != nil {
			t.setAutostart(*m.On)
		}
	case winproto.EventCopyToken:
		t.copyToken()
	case winproto.EventClosing:
		t.winClosing = true
		t.listsStop()
	default:
		t.log.Debug("unknown window event", "event", m.Event)
	}
}

// windowExited runs when the window process has ended, normally or not. The keychain is
// re-read: a window that crashed may have changed it, and the menu shows what is stored.
func (t *Tray) windowExited() {
	if err := t.win.Exited(); err != nil && !t.quitting {
		t.log.Warn("the window process ended abnormally", "err", err)
	} else {
		t.log.Debug("the window process exited")
	}
	t.win, t.winEvents, t.winClosing = nil, nil, false
	t.listsStop()
	if t.quitting {
		return
	}
	t.reread(false)
	if cmd := t.pending; cmd != "" {
		t.pending = ""
		t.openWindow(cmd)
	}
}

// setAutostart shows the click at once and writes it in the background (a file or
// registry write). Writes run one after another in click order, so the last click wins on
// disk too; what the system then reports is shown.
func (t *Tray) setAutostart(on bool) {
	if t.o.Autostart == nil {
		return
	}
	t.autostart = on
	prev, done := t.autostartDone, make(chan struct{})
	t.autostartDone = done
	t.goPost(func() func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		var err error
		if on {
			err = t.o.Autostart.Enable()
		} else {
			err = t.o.Autostart.Disable()
		}
		now, rerr := t.o.Autostart.Enabled()
		return func() {
			t.autostartErr = ""
			if err != nil {
				t.log.Warn("changing start at login failed", "on", on, "err", err)
				t.autostartErr = err.Error()
			}
			if rerr == nil && done == t.autostartDone {
				t.autostart = now
			}
		}
	})
}

// copyToken reads the token (off the loop: an unlock prompt can take long) and puts it on
// the clipboard as a secret. Without an in-process clipboard the window does it.
func (t *Tray) copyToken() {
	cb := t.o.Clipboard
	if cb == nil || cb.Unavailable() != "" {
		t.openWindow(winproto.CmdShow)
		return
	}
	t.goPost(func() func() {
		tok, err := t.o.Backend.Token()
		if err == nil {
			err = cb.CopySecret(tok, ClipboardClearAfter)
		}
		return func() {
			t.copyNote = ""
			if err != nil {
				t.log.Warn("copying the token failed", "err", err)
				t.copyNote = "failed: " + shortReason(err)
			}
		}
	})
}

func shortReason(err error) string {
	switch {
	case errors.Is(err, storage.ErrNotLinked):
		return "not linked"
	case errors.Is(err, storage.ErrKeychainUnavailable):
		return "keychain unavailable"
	}
	return "no clipboard"
}

// quit ends the window (bounded), clears the clipboard and ends the loop.
func (t *Tray) quit() {
	t.quitting = true
	t.stopHealth()
	t.listsStop()
	t.stop()
	if t.win != nil {
		w, events := t.win, t.winEvents
		_ = w.Send(winproto.Message{Cmd: winproto.CmdQuit})
		deadline := time.After(t.o.QuitTimeout + time.Second)
	wait:
		for {
			select {
			case _, ok := <-events:
				if !ok {
					break wait
				}
			case <-deadline:
				t.log.Warn("the window did not quit in time; ending it")
				w.Kill()
				for range events {
				}
				break wait
			}
		}
		t.win, t.winEvents = nil, nil
	}
	if t.o.Clipboard != nil {
		t.o.Clipboard.Close()
	}
}
