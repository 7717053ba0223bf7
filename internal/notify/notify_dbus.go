//go:build linux || freebsd || openbsd || netbsd

package notify

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/godbus/dbus/v5"

	"codeberg.org/plexlink/plexlink/internal/desktop"
)

// timeout bounds the whole exchange: a wedged bus must not stall the tray.
const timeout = 3 * time.Second

func send(title, body string) error {
	// The explicit address only: godbus's SessionBus would autolaunch a stray bus otherwise.
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer conn.Close()
	hints := map[string]dbus.Variant{
		// Lets GNOME and KDE tie the notification to the installed .desktop file and its icon.
		"desktop-entry": dbus.MakeVariant(desktop.AppID),
	}
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	call := obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
		AppName, uint32(0), desktop.AppID, title, body, []string{}, hints, int32(-1))
	if call.Err != nil {
		if de, ok := call.Err.(dbus.Error); ok && de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" {
			return fmt.Errorf("%w: no notification server on the session bus", ErrUnavailable)
		}
		return fmt.Errorf("sending a notification: %w", call.Err)
	}
	return nil
}
