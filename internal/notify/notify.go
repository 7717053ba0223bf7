// Package notify shows a desktop notification without a window or a GUI toolkit, so the
// tray process can say "Linked as …" or "Plex Link needs relinking" while it costs what a
// tray icon costs: org.freedesktop.Notifications over D-Bus on Linux and the BSDs,
// `osascript` on macOS, a PowerShell toast on Windows (what Fyne itself does there).
package notify

import "errors"

// ErrUnavailable means this session has no way to show a notification (no D-Bus session
// bus, no notification server); callers show the news in the menu instead.
var ErrUnavailable = errors.New("desktop notifications are unavailable")

// AppName is the sender shown by notification servers.
const AppName = "Plex Link"

// Send shows title and body; it returns once the notification was handed to the system.
func Send(title, body string) error { return send(title, body) }
