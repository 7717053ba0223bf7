// Command plexlink-desktop is the Plex Link desktop app ("Plex Link.exe" on Windows, Plex
// Link.app on macOS): a tray icon that keeps the Plex link, and a Fyne window on demand.
// It is two processes of this binary: the tray (internal/tray, no Fyne, no GL), and the
// window it starts as `plexlink-desktop window` (ui). Without a tray host the window runs
// on its own and closing it quits. The command line is the other program, cmd/plexlink.
package main

import (
	_ "embed"
	"os"

	"codeberg.org/plexlink/plexlink/internal/app"
	"codeberg.org/plexlink/plexlink/internal/console"
	"codeberg.org/plexlink/plexlink/internal/earlylog"
	"codeberg.org/plexlink/plexlink/ui"
)

var (
	//go:embed Icon.png
	iconPNG []byte
	//go:embed packaging/icon/window.png
	windowPNG []byte
	//go:embed packaging/icon/tray.png
	trayPNG []byte
	//go:embed packaging/icon/tray-relink.png
	trayRelinkPNG []byte
)

func main() {
	// `"Plex Link.exe" --version` typed in cmd.exe prints there (Windows GUI build; a no-op
	// elsewhere); a double-click has no arguments and stays console-free.
	if len(os.Args) > 1 {
		console.AttachParent()
	}
	os.Exit(app.Main(os.Args[1:], app.Env{
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Window:    runWindow,
		TrayIcons: app.TrayIcons{Normal: trayPNG, Relink: trayRelinkPNG},
	}))
}

// runWindow runs the Fyne window: the window process under a tray, or the whole app where
// there is no tray. Only this path initialises Fyne and the display.
func runWindow(o app.WindowOptions) int {
	// What Fyne logged while initialising is its complaint about LANG=C.UTF-8; replay it only
	// when asked for debug output.
	earlylog.Release(os.Stderr, os.Getenv("PLEXLINK_LOG") == "debug")
	return ui.RunGUI(o, ui.Art{Icon: iconPNG, Window: windowPNG})
}
