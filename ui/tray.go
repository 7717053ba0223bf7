package ui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"
)

// Tray menu labels. The Xvfb tests find items by these labels through dbusmenu GetLayout.
const (
	TrayNotLinked    = "Not linked"
	TrayRelinkNeeded = "Relink needed"
	TrayLinkedAs     = "Linked as " // + username
	TrayLink         = "Link Plex account…"
	TrayRelink       = "Relink Plex account…"
	TrayCopyToken    = "Copy token"
	TrayUnlink       = "Unlink"
	TrayOpen         = "Open Plex Link"
	TrayAutostart    = "Start at login"
	TrayQuit         = "Quit"
)

const watcherName = "org.kde.StatusNotifierWatcher"

// trayUnavailable says why this session cannot show a tray icon, or "" when it can. On Linux
// Fyne's tray is a StatusNotifierItem: without a session bus Fyne crashes on quit (fyne issue
// 6403), and without a watcher the icon is simply invisible, leaving a window-less app.
func trayUnavailable(timeout time.Duration) string {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
	default:
		return ""
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return "DBUS_SESSION_BUS_ADDRESS is not set (no D-Bus session bus)"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res := make(chan string, 1)
	go func() { res <- probeWatcher(ctx, addr) }()
	select {
	case why := <-res:
		return why
	case <-ctx.Done():
		return fmt.Sprintf("the D-Bus session bus did not answer within %s", timeout)
	}
}

func probeWatcher(ctx context.Context, addr string) string {
	// Connect to the explicit address: godbus's SessionBus would autolaunch a bus otherwise.
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Sprintf("the D-Bus session bus is unreachable (%v)", err)
	}
	defer conn.Close()
	var owned bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&owned)
	if err != nil {
		return fmt.Sprintf("could not ask the session bus for %s (%v)", watcherName, err)
	}
	if !owned {
		return "no " + watcherName + " on the session bus (no tray host; on GNOME install the AppIndicator extension)"
	}
	return ""
}

// trayItems is the tray menu for the current state. It always ends with our own Quit (with an
// Action and IsQuit) so Fyne never appends a second one.
func (c *Controller) trayItems() []*fyne.MenuItem {
	s := &c.st
	status := TrayNotLinked
	switch {
	case s.linked && s.relinkNeeded:
		status = TrayRelinkNeeded
	case s.linked:
		status = TrayLinkedAs + s.username()
	}
	items := []*fyne.MenuItem{{Label: status, Disabled: true}, fyne.NewMenuItemSeparator()}
	link := TrayLink
	if s.linked {
		link = TrayRelink
	}
	items = append(items, fyne.NewMenuItem(link, c.trayAction(c.startLink)))
	if s.linked {
		items = append(items, fyne.NewMenuItem(TrayCopyToken, c.trayAction(c.copyToken)))
	}
	unlink := fyne.NewMenuItem(TrayUnlink, c.trayAction(c.askUnlink))
	unlink.Disabled = !s.linked
	items = append(items, unlink, fyne.NewMenuItem(TrayOpen, c.trayAction(c.show)))
	if c.opts.Autostart != nil {
		auto := fyne.NewMenuItem(TrayAutostart, c.trayAction(func() { c.setAutostart(!c.st.autostart) }))
		auto.Checked = s.autostart
		items = append(items, auto)
	}
	items = append(items,
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: TrayQuit, IsQuit: true, Action: c.trayAction(c.Quit)},
	)
	return items
}

// trayAction wraps a tray callback. Fyne runs tray actions on the UI goroutine; the actions
// here only change state and start goroutines, so they never block it. Quitting ignores
// clicks that the tray host delivers late.
func (c *Controller) trayAction(f func()) func() {
	return func() {
		if !c.quitting {
			f()
		}
	}
}

func (c *Controller) renderTray() {
	if c.tray == nil {
		return
	}
	// Fyne rebuilds the whole D-Bus menu, with new item ids, on every Refresh: a click the
	// tray host sends meanwhile names an id that no longer exists and is lost. So refresh
	// only when what the menu shows has changed.
	items := c.trayItems()
	if sig := menuSignature(items); sig != c.menuSig {
		c.menuSig = sig
		c.menu.Items = items
		c.menu.Refresh()
	}
	icon := c.opts.TrayIcon
	if c.st.linked && c.st.relinkNeeded {
		icon = c.opts.RelinkIcon
	}
	if icon != c.trayIcon {
		c.trayIcon = icon
		c.tray.SetSystemTrayIcon(icon)
	}
}

// menuSignature is what a tray menu shows: labels and their disabled and checked marks.
func menuSignature(items []*fyne.MenuItem) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%s|%t|%t|%t\n", it.Label, it.IsSeparator, it.Disabled, it.Checked)
	}
	return b.String()
}
