package ui

import (
	"fyne.io/fyne/v2"

	"codeberg.org/plexlink/plexlink/internal/cli"
	"codeberg.org/plexlink/plexlink/internal/desktop"
)

// Art is the packaged artwork main.go embeds.
type Art struct {
	Icon   []byte // Icon.png: notifications and the app
	Window []byte // a small window icon (X11 takes it uncompressed)
}

// RunGUI runs the window the command line asks for (cli.Env.GUI): the window process
// under a tray (o.Window set), or the whole app where there is no tray.
func RunGUI(o cli.GUIOptions, art Art) int {
	opts := Options{
		Service:    o.Service,
		Title:      DefaultTitle,
		OpenURL:    o.OpenURL,
		Logger:     o.Logger,
		LinkLock:   o.LinkLock,
		Icon:       fyne.NewStaticResource("Icon.png", art.Icon),
		WindowIcon: fyne.NewStaticResource("window.png", art.Window),
	}
	if o.Demo {
		opts.Title += " (demo)"
	}
	// Typed nil pointers must stay nil interfaces.
	if o.Autostart != nil {
		opts.Autostart = o.Autostart
	}
	if o.Clipboard != nil {
		opts.Clipboard = o.Clipboard
	}
	if w := o.Window; w != nil {
		opts.Parent = &Parent{Start: w.Start, Commands: w.Commands, Events: w.Events}
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
