package reliability

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// linkedDesktop links once with the CLI (the old token and its config file), then starts
// the tray app and waits until it shows the link and has done its start-up token check.
func linkedDesktop(t *testing.T, w *world) (*desktop, string) {
	t.Helper()
	old := w.linkOnce(t)
	pings := w.fake.Count(plextvtest.RoutePing)
	d := startDesktop(t, w)
	d.waitLinked()
	waitFor(t, "the start-up token check", func() bool { return w.fake.Count(plextvtest.RoutePing) > pings })
	return d, old
}

func (d *desktop) waitLinked() {
	d.t.Helper()
	if _, err := d.tray.WaitLabel(15*time.Second, "Linked as "+plextvtest.DefaultUsername); err != nil {
		d.fatal("tray status %q: %v", d.status(), err)
	}
}

// kill9 kills the app's whole process group with SIGKILL and waits until its tray item is
// gone from the watcher, so the next launch finds the new one.
func (d *desktop) kill9() {
	d.t.Helper()
	if d.app.Exited() {
		d.fatal("the app ended before the kill")
	}
	if err := syscall.Kill(-d.app.Pid(), syscall.SIGKILL); err != nil {
		d.t.Fatal(err)
	}
	if code, err := d.app.Wait(10 * time.Second); err != nil || code != -1 {
		d.fatal("after SIGKILL: exit %d, %v", code, err)
	}
	d.tray.Close()
	if err := d.watcher.WaitNoItems(10 * time.Second); err != nil {
		d.t.Fatal(err)
	}
}

// restartConsistent checks the state left by the kill (keychain, config, `status`), then
// starts the app again: its tray must say linked as the account.
func (d *desktop) restartConsistent(old string) {
	d.t.Helper()
	d.w.checkConsistent(d.t, old)
	d.launch()
	d.waitLinked()
}

// TestGUIKillMidRelink: kill -9 the tray app while a relink polls, and while GET /user
// hangs after the code was approved: the old token stays (an unvalidated one is never
// stored), and the restarted app shows the link.
func TestGUIKillMidRelink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		route  string           // the request the kill waits for
		reach  func(d *desktop) // after Relink was clicked
		hangIt bool             // that request hangs
	}{
		{"polling", plextvtest.RoutePin, func(*desktop) {}, false},
		{"validation", plextvtest.RouteUser, func(d *desktop) { d.approveOpened(1) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, privateSession(t)) // its own bus: one tray watcher per bus
			d, old := linkedDesktop(t, w)
			if tc.hangIt {
				w.fake.FailNext(tc.route, 1, plextvtest.Fault{Hang: true})
			}
			n := w.fake.Count(tc.route)
			d.click(trayRelink)
			tc.reach(d)
			waitFor(t, tc.route, func() bool { return w.fake.Count(tc.route) > n })
			d.kill9()
			d.restartConsistent(old)
			if tok, _ := w.keychain(); tok != old {
				t.Fatalf("a relink killed during %s changed the token", tc.name)
			}
		})
	}
}

// TestGUIKillDuringKeychainWrite: the keychain write blocks on an unlock prompt nobody
// answers; kill -9 then: one whole token, a whole config, and a restarted app that agrees.
func TestGUIKillDuringKeychainWrite(t *testing.T) {
	t.Parallel()
	sess := privateSession(t)
	w := newWorld(t, sess)
	d, old := linkedDesktop(t, w)
	release, err := sess.HangPrompts()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	users := w.fake.Count(plextvtest.RouteUser)
	d.click(trayRelink)
	d.lockThenApproveOpened(1)
	waitFor(t, "validation", func() bool { return w.fake.Count(plextvtest.RouteUser) > users })
	time.Sleep(time.Second) // Save is now waiting on the prompt (it gives up after 5 s)
	if strings.Contains(d.app.Stderr(), saveRefused) {
		d.fatal("the save ended before the kill")
	}
	d.kill9()
	release()
	if err := sess.UnlockCollection(sess.Password); err != nil {
		t.Fatal(err)
	}
	d.restartConsistent(old)
}

// lockThenApproveOpened locks the login collection, then approves the nth code the app
// opened: the save that follows the validation meets a locked keychain.
func (d *desktop) lockThenApproveOpened(n int) {
	d.t.Helper()
	if _, err := d.w.browser.WaitOpened(n, 15*time.Second); err != nil {
		d.fatal("%v", err)
	}
	if err := d.w.sess.LockCollection(); err != nil {
		d.t.Fatal(err)
	}
	d.approveOpened(n)
}
