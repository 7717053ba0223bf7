// Command icon draws Plex Link's artwork in code, so it is original and reproducible:
// two interlocking chain links on a warm rounded square. It writes Icon.png (1024×1024),
// packaging/icon/icon.svg (the same geometry, for the hicolor "scalable" icon) and the tray
// variants packaging/icon/tray.png and tray-relink.png. Run from the repository root:
//
//	go run ./packaging/icon
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"codeberg.org/plexlink/plexlink/internal/desktop"
)

// Geometry in a unit square, shared by the PNG renderer and the SVG writer. The links lie
// along the rising diagonal; each is a stadium ring (a capsule outline).
const (
	margin   = 0.045 // background inset
	corner   = 0.2   // background corner radius
	halfLen  = 0.115 // half the straight part of a link
	radius   = 0.125 // link mid-line radius
	spread   = 0.135 // each link's centre sits this far from the middle, along the diagonal
	gap      = 0.028 // cut in the lower link where the upper one crosses it
	shadowDY = 0.018
)

type style struct {
	size       int
	thick      float64 // stroke width of a link, unit square
	zoom       float64 // >1 fills more of a small canvas
	background bool
	link       color.NRGBA
	badge      bool
}

var (
	warmTop    = color.NRGBA{0xFF, 0xB3, 0x47, 0xFF}
	warmBottom = color.NRGBA{0xE0, 0x4E, 0x12, 0xFF}
	white      = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	trayOrange = color.NRGBA{0xE8, 0x59, 0x0C, 0xFF} // ≥3:1 contrast on both white and #202020
	badgeRed   = color.NRGBA{0xD3, 0x1F, 0x2B, 0xFF}
)

func main() {
	root := flag.String("root", ".", "repository root")
	hicolor := flag.String("hicolor", "", "instead, write the hicolor icon theme tree (NxN/apps/ID.png, scalable/apps/ID.svg) under this directory")
	ico := flag.String("ico", "", "instead, write a Windows .ico (PNG entries 16–256 px) to this file")
	flag.Parse()
	if *ico != "" {
		if err := writeICO(*ico); err != nil {
			log.Fatalf("icon: %v", err)
		}
		return
	}
	if *hicolor != "" {
		if err := generateHicolor(*hicolor); err != nil {
			log.Fatalf("icon: %v", err)
		}
		return
	}
	if err := generate(*root); err != nil {
		log.Fatalf("icon: %v", err)
	}
}

// appID names the icon in themes; it matches the .desktop file's Icon key.
const appID = desktop.AppID

// generateHicolor draws the app icon at each theme size rather than scaling the 1024 px
// image down, so small sizes stay sharp.
func generateHicolor(dir string) error {
	for _, n := range []int{16, 22, 24, 32, 48, 64, 128, 256, 512} {
		data, err := encode(render(appIcon(n)))
		if err != nil {
			return err
		}
		if err := write(filepath.Join(dir, fmt.Sprintf("%dx%d", n, n), "apps", appID+".png"), data); err != nil {
			return err
		}
	}
	return write(filepath.Join(dir, "scalable", "apps", appID+".svg"), []byte(svg(0.07)))
}

func appIcon(size int) style {
	return style{size: size, thick: 0.07, zoom: 1, background: true, link: white}
}

func write(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// writeICO stores PNG-compressed images, which every Windows since Vista reads.
func writeICO(path string) error {
	sizes := []int{16, 24, 32, 48, 64, 128, 256}
	var imgs [][]byte
	for _, n := range sizes {
		data, err := encode(render(appIcon(n)))
		if err != nil {
			return err
		}
		imgs = append(imgs, data)
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0), 1), uint16(len(sizes))))
	offset := 6 + 16*len(sizes)
	for i, n := range sizes {
		dim := byte(n) // 256 is stored as 0
		e := []byte{dim, dim, 0, 0}
		e = le.AppendUint16(e, 1)  // colour planes
		e = le.AppendUint16(e, 32) // bits per pixel
		e = le.AppendUint32(e, uint32(len(imgs[i])))
		e = le.AppendUint32(e, uint32(offset))
		b.Write(e)
		offset += len(imgs[i])
	}
	for _, img := range imgs {
		b.Write(img)
	}
	return write(path, b.Bytes())
}

// generate writes every artwork file under root.
func generate(root string) error {
	outputs := []struct {
		path string
		data func() ([]byte, error)
	}{
		{"Icon.png", func() ([]byte, error) {
			return encode(render(appIcon(1024)))
		}},
		{"packaging/icon/icon.svg", func() ([]byte, error) { return []byte(svg(0.07)), nil }},
		// The window icon: X11 receives it as an uncompressed property (8 bytes a pixel), so the
		// 1024 px Icon.png cost ~100 ms before the window appeared (docs/BENCHMARKS.md).
		{"packaging/icon/window.png", func() ([]byte, error) {
			return encode(render(appIcon(128)))
		}},
		{"packaging/icon/tray.png", func() ([]byte, error) {
			return encode(render(style{size: 64, thick: 0.15, zoom: 1.12, link: trayOrange}))
		}},
		{"packaging/icon/tray-relink.png", func() ([]byte, error) {
			return encode(render(style{size: 64, thick: 0.15, zoom: 1.12, link: trayOrange, badge: true}))
		}},
	}
	for _, o := range outputs {
		data, err := o.data()
		if err != nil {
			return fmt.Errorf("%s: %w", o.path, err)
		}
		if err := write(filepath.Join(root, o.path), data); err != nil {
			return err
		}
	}
	return nil
}

func encode(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	err := enc.Encode(&b, img)
	return b.Bytes(), err
}

type vec struct{ x, y float64 }

func (a vec) sub(b vec) vec        { return vec{a.x - b.x, a.y - b.y} }
func (a vec) add(b vec) vec        { return vec{a.x + b.x, a.y + b.y} }
func (a vec) mul(k float64) vec    { return vec{a.x * k, a.y * k} }
func (a vec) dot(b vec) float64    { return a.x*b.x + a.y*b.y }
func (a vec) length() float64      { return math.Hypot(a.x, a.y) }
func clamp01(v float64) float64    { return math.Max(0, math.Min(1, v)) }
func lerp(a, b, t float64) float64 { return a + (b-a)*t }

var (
	center = vec{0.5, 0.5}
	axis   = vec{1 / math.Sqrt2, -1 / math.Sqrt2} // towards the top right
	normal = vec{1 / math.Sqrt2, 1 / math.Sqrt2}
	lowerC = center.sub(axis.mul(spread)) // bottom-left link
	upperC = center.add(axis.mul(spread)) // top-right link
)

// capsule is the signed distance to a stadium of half-length h and radius r around c.
func capsule(p, c vec, h, r float64) float64 {
	d := p.sub(c)
	t := math.Max(-h, math.Min(h, d.dot(axis)))
	return d.sub(axis.mul(t)).length() - r
}

// ring is the signed distance to a link's outline of width w.
func ring(p, c vec, w float64) float64 { return math.Abs(capsule(p, c, halfLen, radius)) - w/2 }

func roundedSquare(p vec, inset, r float64) float64 {
	q := vec{math.Abs(p.x-0.5) - (0.5 - inset - r), math.Abs(p.y-0.5) - (0.5 - inset - r)}
	out := vec{math.Max(q.x, 0), math.Max(q.y, 0)}.length()
	return out + math.Min(math.Max(q.x, q.y), 0) - r
}

// cover turns a signed distance into anti-aliased coverage for a pixel of size px.
func cover(d, px float64) float64 { return clamp01(0.5 - d/px) }

// links returns the coverage of the two interlocked links at p. On the normal's positive
// side the upper link passes over the lower one, on the other side under it, which is what
// makes them read as interlocked rather than merely overlapping.
func links(p vec, w, px float64) float64 {
	lo, up := ring(p, lowerC, w), ring(p, upperC, w)
	over, under := up, lo
	if p.sub(center).dot(normal) < 0 {
		over, under = lo, up
	}
	cOver := cover(over, px)
	cUnder := cover(under, px) * (1 - cover(over-gap, px))
	return cOver + cUnder*(1-cOver)
}

func render(s style) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, s.size, s.size))
	px := 1 / float64(s.size)
	badgeC, badgeR := vec{0.755, 0.245}, 0.185
	// Rows are independent, so they are drawn in parallel; the output does not depend on it.
	var wg sync.WaitGroup
	rows := make(chan int, s.size)
	for y := 0; y < s.size; y++ {
		rows <- y
	}
	close(rows)
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := range rows {
				s.row(img, y, px, badgeC, badgeR)
			}
		}()
	}
	wg.Wait()
	return img
}

// row draws one row of pixels.
func (s style) row(img *image.NRGBA, y int, px float64, badgeC vec, badgeR float64) {
	for x := 0; x < s.size; x++ {
		p := vec{(float64(x) + 0.5) * px, (float64(y) + 0.5) * px}
		p = center.add(p.sub(center).mul(1 / s.zoom))
		var r, g, b, a float64 // premultiplied, 0..1
		over := func(c color.NRGBA, cov float64) {
			ca := cov * float64(c.A) / 255
			r = float64(c.R)/255*ca + r*(1-ca)
			g = float64(c.G)/255*ca + g*(1-ca)
			b = float64(c.B)/255*ca + b*(1-ca)
			a = ca + a*(1-ca)
		}
		if s.background {
			t := clamp01((p.x + p.y) / 2)
			bg := color.NRGBA{
				uint8(lerp(float64(warmTop.R), float64(warmBottom.R), t)),
				uint8(lerp(float64(warmTop.G), float64(warmBottom.G), t)),
				uint8(lerp(float64(warmTop.B), float64(warmBottom.B), t)), 0xFF,
			}
			over(bg, cover(roundedSquare(p, margin, corner), px))
			// A soft shadow lifts the links off the background.
			sh := links(p.sub(vec{0, shadowDY}), s.thick, 0.03)
			over(color.NRGBA{0x6B, 0x1E, 0x00, 0xFF}, 0.35*sh*cover(roundedSquare(p, margin, corner), px))
		}
		cov := links(p, s.thick, px/s.zoom)
		if s.badge {
			px := px / s.zoom
			// Clear a ring around the badge so it stays separate at 16 px.
			cov *= 1 - cover(p.sub(badgeC).length()-badgeR-0.06, px)
		}
		over(s.link, cov)
		if s.badge {
			d := p.sub(badgeC).length() - badgeR
			px := px / s.zoom
			over(badgeRed, cover(d, px))
			// An exclamation mark: a bar and a dot.
			bar := capsuleV(p, vec{badgeC.x, badgeC.y - 0.045}, 0.05, 0.032)
			dot := p.sub(vec{badgeC.x, badgeC.y + 0.1}).length() - 0.034
			over(white, cover(math.Min(bar, dot), px))
		}
		if a > 0 {
			img.SetNRGBA(x, y, color.NRGBA{
				uint8(math.Round(r / a * 255)), uint8(math.Round(g / a * 255)),
				uint8(math.Round(b / a * 255)), uint8(math.Round(a * 255)),
			})
		}
	}
}

// capsuleV is a vertical capsule (the badge's "!").
func capsuleV(p, c vec, h, r float64) float64 {
	d := p.sub(c)
	t := math.Max(-h, math.Min(h, d.y))
	return vec{d.x, d.y - t}.length() - r
}

// svg writes the app icon's geometry as SVG 1.1. The links are drawn in a frame rotated so
// the diagonal is horizontal; the crossing cuts are masks clipped to either half.
func svg(w float64) string {
	const s = 1024.0
	k := func(v float64) string { return fmt.Sprintf("%.2f", v*s) }
	rectOf := func(c vec) string {
		// In the rotated frame the link centre lies on the horizontal through the middle.
		off := c.sub(center).dot(axis)
		return fmt.Sprintf(`x="%s" y="%s" width="%s" height="%s" rx="%s"`,
			k(0.5+off-halfLen-radius), k(0.5-radius), k(2*(halfLen+radius)), k(2*radius), k(radius))
	}
	lo, up := rectOf(lowerC), rectOf(upperC)
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!-- Plex Link icon: generated by "go run ./packaging/icon"; do not edit by hand. -->
<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#FFB347"/>
      <stop offset="1" stop-color="#E04E12"/>
    </linearGradient>
    <!-- In the rotated frame +y is the side where the upper link passes over the lower one. -->
    <mask id="notUpper" maskUnits="userSpaceOnUse" x="-512" y="-512" width="2048" height="2048">
      <rect x="-512" y="-512" width="2048" height="2048" fill="#fff"/>
      <rect %[2]s fill="none" stroke="#000" stroke-width="%[3]s"/>
    </mask>
    <mask id="notLower" maskUnits="userSpaceOnUse" x="-512" y="-512" width="2048" height="2048">
      <rect x="-512" y="-512" width="2048" height="2048" fill="#fff"/>
      <rect %[1]s fill="none" stroke="#000" stroke-width="%[3]s"/>
    </mask>
    <!-- The halves overlap by 4 px so their anti-aliased edges leave no seam. -->
    <clipPath id="top"><rect x="-512" y="-512" width="2048" height="1026"/></clipPath>
    <clipPath id="bottom"><rect x="-512" y="510" width="2048" height="1026"/></clipPath>
  </defs>
  <rect x="%[5]s" y="%[5]s" width="%[6]s" height="%[6]s" rx="%[7]s" fill="url(#bg)"/>
  <g transform="rotate(-45 512 512)" fill="none" stroke="#fff" stroke-width="%[4]s">
    <g clip-path="url(#top)">
      <rect %[2]s mask="url(#notLower)"/>
      <rect %[1]s/>
    </g>
    <g clip-path="url(#bottom)">
      <rect %[1]s mask="url(#notUpper)"/>
      <rect %[2]s/>
    </g>
  </g>
</svg>
`, lo, up, k(w+2*gap), k(w), k(margin), k(1-2*margin), k(corner))
}
