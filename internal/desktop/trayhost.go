package desktop

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/godbus/dbus/v5"
)

// WatcherName is the D-Bus name of the StatusNotifierItem host that shows tray icons on Linux.
const WatcherName = "org.kde.StatusNotifierWatcher"

// TrayUnavailable says why this session cannot show a tray icon, or "" when it can. On
// Linux a tray icon is a StatusNotifierItem: without a session bus or without a watcher on
// it the icon is simply invisible, leaving an app nobody can reach. macOS and Windows
// always have a tray.
func TrayUnavailable(timeout time.Duration) string {
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
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, WatcherName).Store(&owned)
	if err != nil {
		return fmt.Sprintf("could not ask the session bus for %s (%v)", WatcherName, err)
	}
	if !owned {
		return "no " + WatcherName + " on the session bus (no tray host; on GNOME install the AppIndicator extension)"
	}
	return ""
}
