package plextvtest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"
)

// avatarPNG is the demo account's picture: a plain disc, drawn once.
var avatarPNG = sync.OnceValue(func() []byte {
	const n = 64
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := float64(x)-n/2+0.5, float64(y)-n/2+0.5
			if dx*dx+dy*dy <= (n/2)*(n/2) {
				img.Set(x, y, color.NRGBA{R: 0xe5, G: 0xa0, B: 0x0d, A: 0xff})
			}
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
})
