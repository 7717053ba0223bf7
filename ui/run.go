package ui

import (
	"fyne.io/fyne/v2"

	"codeberg.org/plexlink/plexlink/internal/app"
	"codeberg.org/plexlink/plexlink/internal/desktop"
)

// Art is the packaged artwork main.go embeds.
type Art struct {
	Icon   []byte // Icon.png: notifications and the app
	Window []byte // a small window icon (X11 takes it uncompressed)
}

// RunGUI runs the window the desktop app asks for (app.Env.Window): the window process
// under a tray (o.Parent set), or the whole app where there is no tray.
func RunGUI(o app.WindowOptions, art Art) int {
	opts := Options{
		WindowOptions: o,
		Title:         DefaultTitle,
		Icon:          fyne.NewStaticResource("Icon.png", art.Icon),
		WindowIcon:    fyne.NewStaticResource("window.png", art.Window),
	}
	if o.Demo {
		opts.Title += " (demo)"
	}
	if inst := o.Instance; inst != nil {
		// A second launch (a double-click while running) shows this instance's window.
		opts.Ready = func(c *Controller) {
			go func() {
				for r := range inst.Requests() {
					if r.Command == desktop.CommandShow {
						c.Show()
					}
				}
			}()
		}
	}
	return Run(opts)
}
