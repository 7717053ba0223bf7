// Command plexlink links a Plex account to this computer and keeps its token in the OS
// keychain. With no command it is the tray app; with one it is a command-line tool that
// never touches the display (see `plexlink help`).
package main

import (
	_ "embed"
	"os"

	"fyne.io/fyne/v2"

	"github.com/plexlink/plexlink/internal/cli"
	"github.com/plexlink/plexlink/ui"
)

var (
	//go:embed Icon.png
	iconPNG []byte
	//go:embed packaging/icon/tray.png
	trayPNG []byte
	//go:embed packaging/icon/tray-relink.png
	trayRelinkPNG []byte
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, GUI: runGUI}))
}

// runGUI starts the tray app; only this path initialises Fyne and the display.
func runGUI(o cli.GUIOptions) int {
	title := ui.DefaultTitle
	if o.Demo {
		title += " (demo)"
	}
	return ui.Run(ui.Options{
		Service:    o.Service,
		Background: o.Background,
		Title:      title,
		OpenURL:    o.OpenURL,
		Logger:     o.Logger,
		Icon:       fyne.NewStaticResource("Icon.png", iconPNG),
		TrayIcon:   fyne.NewStaticResource("tray.png", trayPNG),
		RelinkIcon: fyne.NewStaticResource("tray-relink.png", trayRelinkPNG),
	})
}
