//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"context"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

// Notifier sends desktop notifications through org.freedesktop.Notifications on the
// session bus, without a toolkit. Each call connects and disconnects: notifications are
// rare and an idle tray keeps no extra connection.
func Notifier(appName string) func(title, body string) {
	return func(title, body string) {
		addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
		if addr == "" {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
			if err != nil {
				return
			}
			defer conn.Close()
			obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
			obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0, appName, uint32(0), "",
				title, body, []string{}, map[string]dbus.Variant{}, int32(-1))
		}()
	}
}
