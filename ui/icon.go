package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"

	"fyne.io/fyne/v2"
)

// A fallback icon drawn here so the package works on its own (tests, builds without the
// packaged artwork). main.go passes the real artwork (Icon.png, packaging/icon/tray*.png)
// through Options.Icon and Options.RelinkIcon.

const iconSize = 256

var (
	iconOnce  sync.Once
	appIcon   fyne.Resource
	badgeIcon fyne.Resource
)

// AppIcon is the app and tray icon: two interlocking rounded links on a dark tile.
func AppIcon() fyne.Resource {
	iconOnce.Do(makeIcons)
	return appIcon
}

// RelinkIcon is AppIcon with a red badge, shown in the tray when the token was rejected.
func RelinkIcon() fyne.Resource {
	iconOnce.Do(makeIcons)
	return badgeIcon
}

func makeIcons() {
	base := drawIcon(false)
	appIcon = fyne.NewStaticResource("plexlink.png", encodePNG(base))
	badgeIcon = fyne.NewStaticResource("plexlink-relink.png", encodePNG(drawIcon(true)))
}

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory RGBA image cannot fail
	}
	return buf.Bytes()
}

var (
	tileColor  = color.NRGBA{0x1f, 0x24, 0x30, 0xff}
	linkA      = color.NRGBA{0xf2, 0xa6, 0x1f, 0xff}
	linkB      = color.NRGBA{0xf4, 0xf1, 0xea, 0xff}
	badgeColor = color.NRGBA{0xe0, 0x2d, 0x2d, 0xff}
)

// drawIcon renders with signed distance functions so edges are anti-aliased without a
// vector library: coverage is how far inside a shape the pixel centre lies, clamped to [0,1].
func drawIcon(badge bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, iconSize, iconSize))
	const ringR, ringW = 40.0, 18.0
	for y := 0; y < iconSize; y++ {
		for x := 0; x < iconSize; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			var c [4]float64 // premultiplied RGBA, 0..1
			paint(&c, tileColor, cover(sdRoundRect(px-128, py-128, 116, 116, 48)))
			// Two capsule rings along the anti-diagonal. Where they overlap, the ring on top
			// alternates across the line joining their centres, which reads as interlocked.
			a := cover(math.Abs(sdCapsule(px, py, 66, 190, 124, 132, ringR)) - ringW/2)
			b := cover(math.Abs(sdCapsule(px, py, 132, 124, 190, 66, ringR)) - ringW/2)
			if px+py < 256 {
				paint(&c, linkB, b)
				paint(&c, linkA, a)
			} else {
				paint(&c, linkA, a)
				paint(&c, linkB, b)
			}
			if badge {
				d := math.Hypot(px-198, py-58) - 50
				paint(&c, tileColor, cover(d-8)) // a dark rim separates the badge from the links
				paint(&c, badgeColor, cover(d))
				// "!" in the badge: a bar and a dot.
				bar := sdCapsule(px, py, 198, 30, 198, 66, 8)
				dot := math.Hypot(px-198, py-88) - 9
				paint(&c, color.NRGBA{0xff, 0xff, 0xff, 0xff}, cover(math.Min(bar, dot)))
			}
			img.SetNRGBA(x, y, toNRGBA(c))
		}
	}
	return img
}

func cover(d float64) float64 { return math.Max(0, math.Min(1, 0.5-d)) }

func paint(c *[4]float64, col color.NRGBA, alpha float64) {
	a := alpha * float64(col.A) / 255
	c[0] = float64(col.R)/255*a + c[0]*(1-a)
	c[1] = float64(col.G)/255*a + c[1]*(1-a)
	c[2] = float64(col.B)/255*a + c[2]*(1-a)
	c[3] = a + c[3]*(1-a)
}

func toNRGBA(c [4]float64) color.NRGBA {
	if c[3] == 0 {
		return color.NRGBA{}
	}
	u := func(v float64) uint8 { return uint8(math.Round(math.Min(1, v/c[3]) * 255)) }
	return color.NRGBA{u(c[0]), u(c[1]), u(c[2]), uint8(math.Round(c[3] * 255))}
}

// sdCapsule is the distance from p to the segment a–b, minus r.
func sdCapsule(px, py, ax, ay, bx, by, r float64) float64 {
	pax, pay, bax, bay := px-ax, py-ay, bx-ax, by-ay
	h := math.Max(0, math.Min(1, (pax*bax+pay*bay)/(bax*bax+bay*bay)))
	return math.Hypot(pax-bax*h, pay-bay*h) - r
}

// sdRoundRect is the distance to a rectangle of half-size (hw, hh) centred on the origin.
func sdRoundRect(px, py, hw, hh, r float64) float64 {
	qx, qy := math.Abs(px)-hw+r, math.Abs(py)-hh+r
	outside := math.Hypot(math.Max(qx, 0), math.Max(qy, 0))
	return outside + math.Min(math.Max(qx, qy), 0) - r
}
