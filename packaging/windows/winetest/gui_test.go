//go:build linux

package winetest

import (
	"image"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

const windowTitle = "^Plex Link$" // exact: Wine also maps a "Wine System Tray" window

// desk is the window test's display: an Xvfb with the .exe's window on it.
type desk struct {
	t   *testing.T
	w   *world
	x   *display.Display
	app *proc
	win string
}

// rect is a window's area in screen coordinates.
type rect struct{ X, Y, W, H int }

func (d *desk) fatal(format string, args ...any) {
	d.t.Helper()
	out := ""
	if d.app != nil && d.app.exited() {
		out = "\nthe app exited:\n" + d.app.wait(0).output()
	}
	d.t.Fatalf(format+"%s\n%s", append(args, out, d.w.logTail())...)
}

func (d *desk) geometry() rect {
	d.t.Helper()
	out, err := d.x.Xdotool(5*time.Second, "getwindowgeometry", "--shell", d.win)
	if err != nil {
		d.fatal("%v", err)
	}
	v := map[string]int{}
	for _, line := range strings.Fields(out) {
		if k, val, ok := strings.Cut(line, "="); ok {
			v[k], _ = strconv.Atoi(val)
		}
	}
	if v["WIDTH"] == 0 || v["HEIGHT"] == 0 {
		d.fatal("xdotool getwindowgeometry %s: %q", d.win, out)
	}
	return rect{v["X"], v["Y"], v["WIDTH"], v["HEIGHT"]}
}

// grab is the screen now, decoded.
func (d *desk) grab() image.Image {
	d.t.Helper()
	path := filepath.Join(d.t.TempDir(), "screen.png")
	if err := d.x.SaveScreenshot(path); err != nil {
		d.fatal("%v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		d.fatal("%v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		d.fatal("%v", err)
	}
	return img
}

func rgb(img image.Image, x, y int) [3]int {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

// primaryButton finds the window's highlighted (HighImportance) button: the largest area of
// one saturated colour, as Fyne fills it with the theme's primary colour. It returns the
// centre in screen coordinates.
func primaryButton(img image.Image, r rect) (x, y int, ok bool) {
	count := map[[3]int]int{}
	for py := r.Y; py < r.Y+r.H; py++ {
		for px := r.X; px < r.X+r.W; px++ {
			c := rgb(img, px, py)
			if max(c[0], c[1], c[2])-min(c[0], c[1], c[2]) > 100 {
				count[c]++
			}
		}
	}
	var best [3]int
	for c, n := range count {
		if n > count[best] {
			best = c
		}
	}
	if count[best] < 500 { // a button is far bigger; this is anti-aliasing or an icon
		return 0, 0, false
	}
	x0, y0, x1, y1 := r.X+r.W, r.Y+r.H, r.X, r.Y
	for py := r.Y; py < r.Y+r.H; py++ {
		for px := r.X; px < r.X+r.W; px++ {
			if rgb(img, px, py) == best {
				x0, y0, x1, y1 = min(x0, px), min(y0, py), max(x1, px), max(y1, py)
			}
		}
	}
	return (x0 + x1) / 2, (y0 + y1) / 2, true
}

// lastRow finds the bottom-most row of content in the window, where the views at rest put
// "Start at login": a point on its check box (a little right of the row's left edge), and the
// row's shape.
func lastRow(img image.Image, r rect) (x, y int, shape [2]int, ok bool) {
	bg := rgb(img, r.X+r.W-2, r.Y+r.H-2) // the empty bottom-right corner
	differs := func(px, py int) bool {
		c := rgb(img, px, py)
		return abs(c[0]-bg[0])+abs(c[1]-bg[1])+abs(c[2]-bg[2]) > 24
	}
	top, bottom := -1, -1
	for py := r.Y + r.H - 1; py >= r.Y; py-- {
		n := 0
		for px := r.X; px < r.X+r.W; px++ {
			if differs(px, py) {
				n++
			}
		}
		switch {
		case n > 0 && bottom < 0:
			bottom = py
		case n == 0 && bottom >= 0:
			top = py + 1
		}
		if top >= 0 {
			break
		}
	}
	if top < 0 || bottom-top < 8 {
		return 0, 0, shape, false
	}
	left := r.X + r.W
	for py := top; py <= bottom; py++ {
		for px := r.X; px < r.X+r.W; px++ {
			if differs(px, py) {
				left = min(left, px)
			}
		}
	}
	// Text lands on different sub-pixel offsets at different heights, so the row is known by
	// its shape: where it starts and how tall it is.
	return left + (bottom-top)/2, (top + bottom) / 2, [2]int{left - r.X, bottom - top}, true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (d *desk) click(x, y int, what string) {
	d.t.Helper()
	if _, err := d.x.Xdotool(5*time.Second, "mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1"); err != nil {
		d.fatal("clicking %s at %d,%d: %v", what, x, y, err)
	}
	// Move away, so that a hover highlight does not change what the next look sees.
	_, _ = d.x.Xdotool(5*time.Second, "mousemove", "1270", "790")
}

// waitScreen polls the screen until ok accepts it.
func (d *desk) waitScreen(what string, timeout time.Duration, ok func(img image.Image) bool) image.Image {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		img := d.grab()
		if ok(img) {
			return img
		}
		if time.Now().After(deadline) || d.app.exited() {
			d.x.Screenshot(d.t, "timeout")
			d.fatal("waiting for %s: not within %v", what, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (d *desk) waitRegistry(want bool) string {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := d.w.registryRun(d.t)
		if (v != "") == want {
			return v
		}
		if time.Now().After(deadline) {
			d.fatal("after 20s the Run value is %q; want present=%v", v, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestWindowLinkAndStartAtLogin starts the release "Plex Link.exe" with no arguments under Xvfb, clicks
// "Link Plex account", approves the code the app opened in the (fake) browser, checks the
// Credential Manager and a screenshot of the linked window, then ticks and unticks "Start at
// login" and reads the Run value with `wine reg query` each time.
func TestWindowLinkAndStartAtLogin(t *testing.T) {
	w := shared(t)
	fake := session.StartFakeServer(t, session.Binary(t), "--username", username)
	x := w.x
	// Wine opens URLs with xdg-open from PATH (winebrowser): the fake one records them.
	browser := session.NewFakeBrowser(t)
	const service = "plexlink-wine-gui"
	env := w.env(browser.PathEnv(), "PLEXLINK_SERVER_URL="+fake.APIURL,
		"PLEXLINK_LINK_URL="+fake.LinkURL, "PLEXLINK_KEYRING_SERVICE="+service)
	if v := w.registryRun(t); v != "" {
		t.Fatalf("the Run value exists before the test: %q", v)
	}

	d := &desk{t: t, w: w, x: x}
	app, err := w.start(env, "wine", w.app)
	if err != nil {
		t.Fatal(err)
	}
	d.app = app
	t.Cleanup(func() { app.kill() })
	d.win, err = x.WaitWindow(windowTitle, 90*time.Second)
	if err != nil {
		d.fatal("%v", err)
	}
	t.Logf("wine: Plex Link.exe start → window %q visible: %v", windowTitle, time.Since(app.started).Round(time.Millisecond))
	r := d.geometry()

	var bx, by int
	var rest [2]int
	notLinked := d.waitScreen("the not-linked view (a highlighted button, the check at the bottom)", 20*time.Second, func(img image.Image) bool {
		var ok1, ok2 bool
		bx, by, ok1 = primaryButton(img, r)
		_, _, rest, ok2 = lastRow(img, r)
		return ok1 && ok2
	})
	d.x.Screenshot(t, "not-linked")

	d.click(bx, by, "Link Plex account")
	opened, err := browser.WaitOpened(1, 30*time.Second)
	if err != nil {
		d.x.Screenshot(t, "after-link-click")
		d.fatal("after clicking Link Plex account: %v", err)
	}
	u, err := url.Parse(opened)
	code := ""
	if err == nil {
		code = u.Query().Get("pin")
	}
	if !strings.HasPrefix(opened, fake.LinkURL+"/?pin=") || len(code) != 4 {
		d.fatal("the app opened %q, want %s/?pin=CODE", opened, fake.LinkURL)
	}
	d.x.Screenshot(t, "linking")
	approved := time.Now()
	if err := fake.Approve(code); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	for w.credential(t, env, service) == "absent" {
		if time.Now().After(deadline) || app.exited() {
			d.x.Screenshot(t, "not-saved")
			d.fatal("30s after approval the Credential Manager holds no token")
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("wine: approval → token in the Credential Manager: %v", time.Since(approved).Round(time.Millisecond))
	w.sameCredential(t, w.env("PLEXLINK_KEYRING_SERVICE="+service), service)
	if st := w.status(t, w.env("PLEXLINK_SERVER_URL="+fake.APIURL, "PLEXLINK_KEYRING_SERVICE="+service), 0); !st.Linked || st.Username != username {
		d.fatal("after linking in the window: status --json = %+v", st)
	}

	// The linked view: "Start at login" at the bottom again, and a different screen.
	var cx, cy int
	d.waitScreen("the linked view", 20*time.Second, func(img image.Image) bool {
		var shape [2]int
		var ok bool
		cx, cy, shape, ok = lastRow(img, r)
		return ok && shape[0] == rest[0] && abs(shape[1]-rest[1]) <= 2 && !sameImage(img, notLinked, r)
	})
	linked := d.x.Screenshot(t, "linked") // fails unless non-blank, as the Linux e2e's
	t.Logf("the linked window (\"Linked as %s\" with the account's e-mail): %s", username, linked)

	d.click(cx, cy, "Start at login")
	v := d.waitRegistry(true)
	if want := `"` + winPath(w.app) + `" --background`; !strings.EqualFold(v, want) {
		d.fatal("the Run value is %q, want %q (the desktop app, not the command line)", v, want)
	}
	t.Logf("wine: Start at login on → HKCU\\...\\Run \"Plex Link\" = %s", v)
	d.x.Screenshot(t, "autostart-on")
	d.click(cx, cy, "Start at login")
	d.waitRegistry(false)
	t.Log("wine: Start at login off → the Run value is gone")

	// Leave the prefix as found (-count=2 runs this again in it).
	w.cmd(t, w.env("PLEXLINK_KEYRING_SERVICE="+service), 0, "unlink")
}

// sameImage reports whether a and b show the same pixels in r.
func sameImage(a, b image.Image, r rect) bool {
	for py := r.Y; py < r.Y+r.H; py++ {
		for px := r.X; px < r.X+r.W; px++ {
			if rgb(a, px, py) != rgb(b, px, py) {
				return false
			}
		}
	}
	return true
}
