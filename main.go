// Command plexlink links a Plex account to this computer and keeps its token in the OS
// keychain. With no command it is the tray app; with one it is a command-line tool that
// never touches the display (see `plexlink help`).
//
// The tray app is two processes of this binary: the tray (internal/tray, no Fyne, no GL),
// and the Fyne window it starts on demand as `plexlink window` (ui). Without a tray host
// the window runs on its own and closing it quits.
package main

import (
	_ "embed"
	"os"

	"codeberg.org/plexlink/plexlink/internal/cli"
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
	// A command typed in cmd.exe or PowerShell prints there (Windows GUI build; a no-op
	// elsewhere); a double-click has no arguments and stays console-free.
	if len(os.Args) > 1 {
		console.AttachParent()
	}
	os.Exit(cli.Main(os.Args[1:], cli.Env{
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		GUI:       runWindow,
		TrayIcons: cli.TrayIcons{Normal: trayPNG, Relink: trayRelinkPNG},
		// Commands drop what Fyne logged while initialising (see internal/earlylog):
		// scripts read their output.
		BeforeCommand: func() { earlylog.Release(os.Stderr, os.Getenv("PLEXLINK_LOG") == "debug") },
	}))
}

// runWindow runs the Fyne window: the window process under a tray, or the whole app where
// there is no tray. Only this path initialises Fyne and the display.
func runWindow(o cli.GUIOptions) int {
	// What Fyne logged while initialising is its complaint about LANG=C.UTF-8; replay it only
	// when asked for debug output.
	earlylog.Release(os.Stderr, os.Getenv("PLEXLINK_LOG") == "debug")
	return ui.RunGUI(o, ui.Art{Icon: iconPNG, Window: windowPNG})
}
