package tray

import (
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"fyne.io/systray"

	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// trimAfter is when the tray trims its start-up memory (see trimCode).
const trimAfter = 3 * time.Second

// Icons are PNG images; Run converts them for the platform.
type Icons struct {
	Normal, Relink []byte
}

// Run shows the tray with fyne.io/systray and blocks until Quit is clicked or the process
// is asked to end (SIGINT, SIGTERM). It must run on the main goroutine (macOS).
func Run(o Options, icons Icons) int {
	m := &sysMenu{icon: platformIcon(icons.Normal), relinkIcon: platformIcon(icons.Relink), hasAutostart: o.Autostart != nil}
	t := New(o, m)
	if t.o.ShowWindow {
		// Before the tray registers: the window is what a double-click waits for.
		t.openWindow(winproto.CmdShow)
		t.o.ShowWindow = false
	}
	systray.Run(func() {
		m.build(t)
		t.Start()
		// Once start-up is over, give back the code pages only start-up needed.
		time.AfterFunc(trimAfter, func() {
			n := trimCode()
			debug.FreeOSMemory()
			t.log.Debug("trimmed start-up memory", "mapped_bytes", n)
		})
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			select {
			case <-sig:
				t.Shutdown()
			case <-t.Done():
			}
			signal.Stop(sig)
			systray.Quit()
		}()
	}, nil)
	<-t.Done()
	return 0
}

// sysMenu builds the items once and updates them in place: item ids stay stable, so a
// click the tray host sends while the menu changes still names an existing item.
type sysMenu struct {
	icon, relinkIcon []byte
	hasAutostart     bool

	status, link, copyTok, unlink, open, auto, quit *systray.MenuItem

	applied bool
	last    Snapshot
}

func (m *sysMenu) build(t *Tray) {
	systray.SetIcon(m.icon)
	systray.SetTitle(t.o.Title)
	systray.SetTooltip(t.o.Title)
	m.status = systray.AddMenuItem(LabelNotLinked, "")
	m.status.Disable()
	systray.AddSeparator()
	m.link = systray.AddMenuItem(LabelLink, "")
	m.copyTok = systray.AddMenuItem(LabelCopyToken, "")
	m.copyTok.Hide()
	m.unlink = systray.AddMenuItem(LabelUnlink, "")
	m.unlink.Disable()
	m.open = systray.AddMenuItem(LabelOpen, "")
	if m.hasAutostart {
		m.auto = systray.AddMenuItemCheckbox(LabelAutostart, "", false)
	}
	systray.AddSeparator()
	m.quit = systray.AddMenuItem(LabelQuit, "")
	forward := func(it *systray.MenuItem, a Action) {
		if it == nil {
			return
		}
		go func() {
			for range it.ClickedCh {
				t.Click(a)
			}
		}()
	}
	forward(m.link, ActLink)
	forward(m.copyTok, ActCopyToken)
	forward(m.unlink, ActUnlink)
	forward(m.open, ActOpen)
	forward(m.auto, ActAutostart)
	forward(m.quit, ActQuit)
	// A left click on the icon (where the host sends Activate) opens the window.
	systray.SetOnTapped(func() { t.Click(ActOpen) })
}

// Apply changes only what differs from the previous snapshot.
func (m *sysMenu) Apply(s Snapshot) {
	first := !m.applied
	p := m.last
	m.applied, m.last = true, s
	if first || s.Status != p.Status {
		m.status.SetTitle(s.Status)
	}
	if first || s.Linked != p.Linked {
		m.link.SetTitle(s.LinkLabel())
		if s.Linked {
			m.copyTok.Show()
			m.unlink.Enable()
		} else {
			m.copyTok.Hide()
			m.unlink.Disable()
		}
	}
	if first || s.CopyLabel != p.CopyLabel {
		m.copyTok.SetTitle(s.CopyLabel)
	}
	if m.auto != nil && (first || s.Autostart != p.Autostart) {
		if s.Autostart {
			m.auto.Check()
		} else {
			m.auto.Uncheck()
		}
	}
	if first || s.RelinkNeeded != p.RelinkNeeded {
		if s.RelinkNeeded {
			systray.SetIcon(m.relinkIcon)
		} else {
			systray.SetIcon(m.icon)
		}
	}
}
