// Package desktop integrates Plex Link with the user's desktop session: start at login,
// one running instance per user, and a lock that keeps two links from running at once.
// It never imports Fyne, so the CLI and the tests can use it without a display.
package desktop

// AppID is the reverse-DNS application ID. FyneApp.toml, the .desktop file, the AppStream
// metainfo, the macOS bundle and the Fyne app (ui.Run) all use this exact string.
const AppID = "io.github.plexlink.PlexLink"

// AppName is the name users see in autostart settings and the Windows Run key.
const AppName = "Plex Link"

// BackgroundFlag starts the app hidden in the tray; login starts always pass it.
const BackgroundFlag = "--background"
