//go:build !(linux || freebsd || openbsd || netbsd)

package tray

// Notifier is not implemented here yet (macOS, Windows): the tray logs instead, and the
// window, when open, shows the same state.
func Notifier(appName string) func(title, body string) { return nil }
