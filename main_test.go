package main

import (
	"bytes"
	"image/png"
	"testing"
)

// The tray process gets its icons from here (it has no Fyne resources): both must be PNGs
// the systray can convert, of a size tray hosts scale well, and the relink one must differ.
func TestTrayIcons(t *testing.T) {
	for name, b := range map[string][]byte{"tray.png": trayPNG, "tray-relink.png": trayRelinkPNG} {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r := img.Bounds(); r.Dx() != r.Dy() || r.Dx() < 16 || r.Dx() > 256 {
			t.Errorf("%s is %v, want a square of 16–256 px", name, r)
		}
	}
	if bytes.Equal(trayPNG, trayRelinkPNG) {
		t.Error("the relink icon is the normal one")
	}
}
