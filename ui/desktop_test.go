package ui

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// memAutostart records the start-at-login setting like internal/desktop does on disk.
type memAutostart struct {
	mu      sync.Mutex
	on      bool
	failErr error
	slowOn  time.Duration // Enable takes this long (a slow disk or registry)
}

func (m *memAutostart) Enabled() (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on, nil
}

func (m *memAutostart) set(on bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failErr != nil {
		return m.failErr
	}
	m.on = on
	return nil
}

func (m *memAutostart) failWith(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failErr = err
}

func (m *memAutostart) Enable() error {
	m.mu.Lock()
	d := m.slowOn
	m.mu.Unlock()
	time.Sleep(d)
	return m.set(true)
}
func (m *memAutostart) Disable() error { return m.set(false) }

func TestStartAtLoginInWindow(t *testing.T) {
	s := newStack(t, "")
	auto := &memAutostart{}
	h := newHarness(t, s.svc, func(o *Options) { o.Autostart = auto })
	h.pump("not linked", h.phase(NotLinked))
	// The in-process tray owns the setting and tells the window it can be set.
	h.pump("the check", func() bool { return h.hasCheck(CheckAutostart) })
	checked := func() bool { return h.check(CheckAutostart).Checked }

	if checked() {
		t.Fatal("Start at login is checked while the setting is off")
	}
	test.Tap(h.check(CheckAutostart))
	h.pump("autostart on", func() bool { on, _ := auto.Enabled(); return on && checked() })
	h.settle()

	// Unchecking turns it off; the setting survives the app's own state resets.
	test.Tap(h.check(CheckAutostart))
	h.pump("autostart off", func() bool { on, _ := auto.Enabled(); return !on && !checked() })
	test.Tap(h.check(CheckAutostart))
	h.pump("autostart on again", func() bool { on, _ := auto.Enabled(); return on && checked() })
	h.settle()
	h.c.screen.Busy = BusyUnlinking
	h.c.dispatch(evUnlinkDone{}) // the one event that starts from a fresh Screen
	if !checked() {
		t.Error("a fresh screen forgot that Start at login is on")
	}
	test.Tap(h.check(CheckAutostart))
	h.pump("autostart off again", func() bool { on, _ := auto.Enabled(); return !on && !checked() })
	h.settle()

	// A failure is reported and the check shows the truth.
	auto.failWith(errors.New("read-only home"))
	test.Tap(h.check(CheckAutostart))
	h.pump("failure shown", func() bool { return h.hasText("read-only home") })
	if checked() {
		t.Error("the window shows Start at login on after enabling it failed")
	}
}

// Two quick clicks: the slow first write must not land after the second and win.
func TestStartAtLoginLastClickWins(t *testing.T) {
	s := newStack(t, "")
	auto := &memAutostart{slowOn: 200 * time.Millisecond}
	h := newHarness(t, s.svc, func(o *Options) { o.Autostart = auto })
	h.pump("not linked", h.phase(NotLinked))
	h.pump("the check", func() bool { return h.hasCheck(CheckAutostart) })
	h.c.dispatch(evAutostart{true})
	h.c.dispatch(evAutostart{false})
	time.Sleep(400 * time.Millisecond)
	h.settle()
	if on, _ := auto.Enabled(); on || h.check(CheckAutostart).Checked {
		t.Fatalf("after on+off clicks: setting on=%v, window checked=%v; want both off", on, h.check(CheckAutostart).Checked)
	}
}

func TestNoStartAtLoginWithoutAutostart(t *testing.T) {
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(NotLinked))
	h.settle()
	if h.hasCheck(CheckAutostart) {
		t.Error("Start at login offered without an Autostart (demo, go run)")
	}
}

func TestLinkLockRefusesWhileAnotherLinks(t *testing.T) {
	s := newStack(t, "")
	busy := errors.New("another Plex Link is linking right now")
	var held atomic.Bool // the unlock runs on the engine's goroutine
	h := newHarness(t, s.svc, func(o *Options) {
		o.LinkLock = func(func()) (func(), error) {
			if !held.CompareAndSwap(false, true) {
				return nil, busy
			}
			return func() { held.Store(false) }, nil
		}
	})
	h.pump("not linked", h.phase(NotLinked))

	held.Store(true) // a terminal `plexlink link` holds the lock
	h.tap(ButtonLink)
	h.pump("refusal shown", func() bool { return h.hasText("linking right now") })
	if n := s.srv.Count(plextvtest.RouteCreatePin); n != 0 {
		t.Fatalf("%d pins created while another process was linking", n)
	}

	held.Store(false)
	h.tap(ButtonLink)
	h.pump("linking", h.phase(Linking))
	if !held.Load() {
		t.Fatal("the window links without holding the link lock")
	}
	h.tap(ButtonCancel)
	h.pump("lock released", func() bool { h.settle(); return !held.Load() })
}

// check finds the window's check box by label.
func (h *harness) check(label string) *widget.Check {
	h.t.Helper()
	for _, o := range h.objects() {
		if c, ok := o.(*widget.Check); ok && c.Text == label {
			return c
		}
	}
	h.t.Fatalf("no %q check box in the window", label)
	return nil
}

func (h *harness) hasCheck(label string) bool {
	for _, o := range h.objects() {
		if c, ok := o.(*widget.Check); ok && c.Text == label {
			return true
		}
	}
	return false
}
