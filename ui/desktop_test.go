package ui

import (
	"errors"
	"slices"
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

func TestStartAtLoginInTrayAndWindow(t *testing.T) {
	s := newStack(t, "")
	auto := &memAutostart{}
	h := newHarness(t, s.svc, func(o *Options) { o.Autostart = auto })
	h.pump("not linked", h.phase(phaseNotLinked))

	item := h.trayItem(TrayAutostart)
	if item.Checked {
		t.Fatal("Start at login is checked while the setting is off")
	}
	if !slices.Contains(h.trayLabels(), TrayAutostart) {
		t.Fatalf("tray %q lacks %q", h.trayLabels(), TrayAutostart)
	}
	item.Action()
	h.pump("autostart on", func() bool { on, _ := auto.Enabled(); return on && h.trayItem(TrayAutostart).Checked })
	h.settle()
	if c := h.check(CheckAutostart); !c.Checked {
		t.Error("the window's check does not follow the tray")
	}

	// Unchecking in the window turns it off; a failure is reported and the check shows the truth.
	test.Tap(h.check(CheckAutostart))
	h.pump("autostart off", func() bool { on, _ := auto.Enabled(); return !on && !h.trayItem(TrayAutostart).Checked })
	// The setting survives the app's own state resets (a link, an unlink, a status refresh).
	auto.failWith(nil)
	h.trayItem(TrayAutostart).Action()
	h.pump("autostart on again", func() bool { on, _ := auto.Enabled(); return on && h.trayItem(TrayAutostart).Checked })
	h.settle()
	h.c.refresh()
	h.pump("status read", h.phase(phaseNotLinked))
	if !h.trayItem(TrayAutostart).Checked {
		t.Error("a status refresh forgot that Start at login is on")
	}
	h.trayItem(TrayAutostart).Action()
	h.pump("autostart off again", func() bool { on, _ := auto.Enabled(); return !on && !h.trayItem(TrayAutostart).Checked })
	h.settle()

	auto.failWith(errors.New("read-only home"))
	h.trayItem(TrayAutostart).Action()
	h.pump("failure shown", func() bool { return h.hasText("read-only home") })
	if h.trayItem(TrayAutostart).Checked {
		t.Error("the tray shows Start at login on after enabling it failed")
	}
}

// Two quick clicks: the slow first write must not land after the second and win.
func TestStartAtLoginLastClickWins(t *testing.T) {
	s := newStack(t, "")
	auto := &memAutostart{slowOn: 200 * time.Millisecond}
	h := newHarness(t, s.svc, func(o *Options) { o.Autostart = auto })
	h.pump("not linked", h.phase(phaseNotLinked))
	h.trayItem(TrayAutostart).Action()
	h.trayItem(TrayAutostart).Action()
	time.Sleep(400 * time.Millisecond)
	h.settle()
	if on, _ := auto.Enabled(); on || h.trayItem(TrayAutostart).Checked {
		t.Fatalf("after on+off clicks: setting on=%v, tray checked=%v; want both off", on, h.trayItem(TrayAutostart).Checked)
	}
}

func TestNoStartAtLoginWithoutAutostart(t *testing.T) {
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(phaseNotLinked))
	if slices.Contains(h.trayLabels(), TrayAutostart) {
		t.Error("Start at login offered without an Autostart (demo, go run)")
	}
}

func TestLinkLockRefusesWhileAnotherLinks(t *testing.T) {
	s := newStack(t, "")
	busy := errors.New("another Plex Link is linking right now")
	var held atomic.Bool // the unlock runs on the engine's goroutine
	h := newHarness(t, s.svc, func(o *Options) {
		o.LinkLock = func() (func(), error) {
			if !held.CompareAndSwap(false, true) {
				return nil, busy
			}
			return func() { held.Store(false) }, nil
		}
	})
	h.pump("not linked", h.phase(phaseNotLinked))

	held.Store(true) // a terminal `plexlink link` holds the lock
	h.tap(ButtonLink)
	h.pump("refusal shown", func() bool { return h.hasText("linking right now") })
	if n := s.srv.Count(plextvtest.RouteCreatePin); n != 0 {
		t.Fatalf("%d pins created while another process was linking", n)
	}

	held.Store(false)
	h.tap(ButtonLink)
	h.pump("linking", h.phase(phaseLinking))
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

// Fyne gives every tray item a new D-Bus id on each menu refresh, and a click on an old id is
// lost: a render that changes nothing in the menu must leave it alone.
func TestTrayMenuRefreshedOnlyOnChange(t *testing.T) {
	s := newStack(t, "")
	h := newHarness(t, s.svc, nil)
	h.pump("not linked", h.phase(phaseNotLinked))
	h.settle()
	first := h.c.menu.Items[0]
	h.c.render()
	h.c.st.notice = "something only the window shows"
	h.c.render()
	if h.c.menu.Items[0] != first {
		t.Fatal("the tray menu was rebuilt although nothing in it changed")
	}
	h.c.st.linked = true // as after a link: the status line and items change
	h.c.render()
	if h.c.menu.Items[0] == first {
		t.Fatal("the tray menu was not rebuilt when its content changed")
	}
}
