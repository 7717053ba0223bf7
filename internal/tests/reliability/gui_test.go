package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/tests/traydriver"
)

// guiFaults are the rows the tray app is driven through too (issue 6: the first four).
var guiFaults = cliRows[:4]

const (
	trayLink   = "Link Plex account…"
	trayRelink = "Relink Plex account…"
	trayUnlink = "Unlink"
	trayQuit   = "Quit"
	linkFailed = `msg="linking failed"`
)

// desktop is the tray app under Xvfb with a tray host, against w's fake plex.tv.
type desktop struct {
	t       *testing.T
	w       *world
	x       *display.Display
	watcher *traydriver.Watcher
	app     *display.App
	tray    *traydriver.Tray
}

func startDesktop(t *testing.T, w *world) *desktop {
	t.Helper()
	display.RequireGUI(t)
	d := &desktop{t: t, w: w}
	watcher, err := traydriver.StartWatcher(w.sess.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	d.watcher = watcher
	t.Cleanup(func() { watcher.Stop() })
	notifier, err := traydriver.StartNotifier(w.sess.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { notifier.Stop() })
	x, err := display.StartXvfb()
	if err != nil {
		t.Fatal(err)
	}
	d.x = x
	t.Cleanup(func() { _ = x.Stop() })
	d.launch()
	return d
}

// launch starts the app on d's display and opens its tray menu.
func (d *desktop) launch() {
	t := d.t
	t.Helper()
	app, err := display.StartApp(session.Desktop(t), d.x.Env(d.w.env))
	if err != nil {
		t.Fatal(err)
	}
	d.app = app
	t.Cleanup(app.Stop) // runs before Xvfb stops
	if _, err := d.x.WaitAppWindow(app, "^Plex Link$", 30*time.Second); err != nil {
		d.fatal("%v", err)
	}
	item, err := d.watcher.WaitItem(10 * time.Second)
	if err != nil {
		d.fatal("%v", err)
	}
	tray, err := traydriver.OpenTray(d.w.sess.BusAddress, item)
	if err != nil {
		d.fatal("%v", err)
	}
	d.tray = tray
	t.Cleanup(func() { tray.Close() })
}

func (d *desktop) fatal(format string, args ...any) {
	d.t.Helper()
	out := "(not started)"
	if d.app != nil {
		out = d.app.Output()
	}
	d.t.Fatalf(format+"\napp output:\n%s", append(args, out)...)
}

// click clicks label once it is there. The menu is re-read between the wait and the click,
// and a busy machine can see it rebuilt in between: a click that found no item clicked
// nothing, so it is safe to wait and try again.
func (d *desktop) click(label string) {
	d.t.Helper()
	var err error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if _, err = d.tray.WaitLabel(time.Until(deadline), label); err != nil {
			break
		}
		if err = d.tray.ClickLabel(label); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.fatal("clicking %q: %v", label, err)
}

// approveOpened approves the nth code the app opened in the (fake) browser.
func (d *desktop) approveOpened(n int) {
	d.t.Helper()
	u, err := d.w.browser.WaitOpened(n, 15*time.Second)
	if err != nil {
		d.fatal("%v", err)
	}
	if !strings.HasPrefix(u, d.w.link+"/?pin=") {
		d.fatal("the app opened %q, not the link page it was given", u)
	}
	if err := d.w.approve(strings.TrimPrefix(u, d.w.link+"/?pin=")); err != nil {
		d.fatal("%v", err)
	}
}

// waitToken waits up to 30 s for the keychain to satisfy ok.
func (d *desktop) waitToken(ok func(tok string, found bool) bool) (string, bool) {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		tok, found := d.w.keychain()
		if ok(tok, found) || time.Now().After(deadline) {
			return tok, ok(tok, found)
		}
	}
}

func (d *desktop) status() string {
	items, err := d.tray.Layout()
	if err != nil || len(items) == 0 {
		return fmt.Sprintf("(no tray menu: %v)", err)
	}
	return traydriver.Labels(items)[0]
}

// guiRows links once from the tray, then relinks once per GUI fault, recording each row.
// It ends with an unlink and Quit, and scans everything the app wrote for the tokens.
func guiRows(t *testing.T, firstN int) {
	sess := privateSession(t)
	w := newWorld(t, sess, plextvtest.WithUsername("gui-user"))
	tmp := filepath.Join(sess.Home, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	// Everything the app may write lands in the session HOME, which the secrecy scan reads.
	w.env = append(w.env, "XDG_CONFIG_HOME="+filepath.Join(sess.Home, ".config"), "TMPDIR="+tmp)
	d := startDesktop(t, w)

	d.click(trayLink)
	d.approveOpened(1)
	prev, ok := d.waitToken(func(tok string, found bool) bool { return found && contains(w.mintedTokens(), tok) })
	if !ok {
		d.fatal("the first link from the tray stored no token")
	}
	for i, r := range guiFaults {
		o := outcome{N: firstN + i, Surface: "GUI", Fault: r.fault, Command: "tray: " + trayRelink}
		failsBefore := strings.Count(d.app.Stderr(), linkFailed)
		r.inject(w)
		d.click(trayRelink)
		d.approveOpened(i + 2)
		var problems []string
		if r.expect == "linked" {
			o.Expected = "linked; tray says Linked as …"
			tok, ok := d.waitToken(func(tok string, found bool) bool {
				return found && tok != prev && contains(w.mintedTokens(), tok)
			})
			if _, err := d.tray.WaitLabel(10*time.Second, "Linked as gui-user"); err != nil {
				problems = append(problems, err.Error())
			}
			o.Observed = "tray: " + d.status()
			if ok {
				o.Token, prev = "replaced by the new, validated token", tok
			} else {
				o.Token = "NOT replaced: " + session.Fingerprint(tok)
				problems = append(problems, "the new token was not stored")
			}
		} else {
			o.Expected = fmt.Sprintf("the window shows the error; log says %q", r.expect)
			deadline := time.Now().Add(30 * time.Second)
			for strings.Count(d.app.Stderr(), linkFailed) == failsBefore && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			line := lastMatching(d.app.Stderr(), linkFailed)
			o.Observed = "log: " + normalize(line[strings.Index(line, "msg="):])
			if !strings.Contains(line, r.expect) {
				problems = append(problems, "no failure logged saying "+r.expect)
			}
			if tok, found := w.keychain(); found && tok == prev {
				o.Token = "kept"
			} else {
				o.Token = "LOST: " + session.Fingerprint(tok)
				problems = append(problems, "the previous token is gone")
			}
		}
		if d.app.Exited() {
			problems = append(problems, "the app exited")
		}
		if len(problems) > 0 {
			t.Errorf("GUI %s: %s\napp output:\n%s", r.fault, strings.Join(problems, "; "), d.app.Output())
		}
		o.Pass = len(problems) == 0
		record(o)
	}

	// Unlink (confirmed with Return in the window's dialog) and quit.
	before, err := d.x.ScreenHash()
	if err != nil {
		t.Fatal(err)
	}
	d.click(trayUnlink)
	win, err := d.x.WaitWindow("^Plex Link$", 5*time.Second)
	if err != nil {
		d.fatal("%v", err)
	}
	if err := d.x.WaitRedraw(before, 5*time.Second); err != nil {
		d.fatal("waiting for the unlink confirmation: %v", err)
	}
	if _, err := d.x.Xdotool(5*time.Second, "windowfocus", "--sync", win, "key", "--clearmodifiers", "Return"); err != nil {
		d.fatal("%v", err)
	}
	if _, ok := d.waitToken(func(_ string, found bool) bool { return !found }); !ok {
		d.fatal("unlink from the tray left a token in the keychain")
	}
	d.click(trayQuit)
	if code, err := d.app.Wait(10 * time.Second); err != nil || code != 0 {
		d.fatal("Quit: exit %d, %v", code, err)
	}
	scanForTokens(t, append(w.mintedTokens(), w.fake.AccountToken()),
		map[string]string{"GUI stdout": d.app.Stdout(), "GUI stderr": d.app.Stderr()}, sess.Home)
}

func lastMatching(s, sub string) string {
	var last string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			last = l
		}
	}
	if last == "" {
		return "msg=(nothing logged)"
	}
	return last
}
