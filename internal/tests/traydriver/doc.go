// Package traydriver plays the desktop's side of the tray for tests: a
// StatusNotifierWatcher that apps register their icons with, a dbusmenu client that reads
// and clicks the tray menu, and an org.freedesktop.Notifications server that records what
// the app notified. All on a test's private session bus (internal/tests/session).
package traydriver
