// Command reference is the smallest Fyne app with a window, a button and a one-item tray
// menu. Benchmarks measure plexlink against it, and the GUI test harness proves itself on it
// before driving the real binary.
package main

import (
	"bytes"
	"image"
	"image/png"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("tv.plexlink.reference")
	w := a.NewWindow("Reference")
	w.SetContent(widget.NewButton("Button", func() {}))
	w.Resize(fyne.NewSize(320, 200))
	if desk, ok := a.(desktop.App); ok {
		// The item's Action shows the window, so a click through dbusmenu has a visible effect.
		desk.SetSystemTrayMenu(fyne.NewMenu("Reference", fyne.NewMenuItem("Show", w.Show)))
		// A PNG icon, as a real app sets: the tray cannot decode Fyne's default SVG icon.
		desk.SetSystemTrayIcon(fyne.NewStaticResource("tray.png", squarePNG()))
		// Closing hides to the tray, as a tray app (and plexlink) does: the benchmarks compare
		// both apps hidden, not one hidden and one with its window destroyed.
		desk.SetSystemTrayWindow(w)
	}
	w.ShowAndRun()
}

func squarePNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{0xe5, 0xa0, 0x0d, 0xff})
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
