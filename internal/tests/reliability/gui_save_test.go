package reliability

import (
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// saveRefused is what the app logs when plex.tv validated the new token but the keychain
// refused it (the window then shows "Linked, but not saved" and "Try saving again").
const saveRefused = "the keychain refused it"

// TestGUITrySavingAgain: a relink from the tray meets a locked keychain at save time; the
// window says so, the keychain is unlocked, and Enter (the window's primary action, "Try
// saving again") stores the token plex.tv already validated, with no second code.
func TestGUITrySavingAgain(t *testing.T) {
	t.Parallel()
	sess := privateSession(t)
	w := newWorld(t, sess)
	d, old := linkedDesktop(t, w)
	pins := w.fake.Count(plextvtest.RouteCreatePin)
	d.click(trayRelink)
	d.lockThenApproveOpened(1)
	waitFor(t, "the failed save", func() bool { return strings.Contains(d.app.Stderr(), saveRefused) || d.app.Exited() })
	if err := sess.UnlockCollection(sess.Password); err != nil {
		t.Fatal(err)
	}
	if tok, found := w.keychain(); !found || tok != old {
		t.Fatal("the failed save did not keep the old token")
	}
	win, err := d.x.WaitWindow("^Plex Link$", 5*time.Second)
	if err != nil {
		d.fatal("%v", err)
	}
	if _, err := d.x.Xdotool(5*time.Second, "windowfocus", "--sync", win, "key", "--clearmodifiers", "Return"); err != nil {
		d.fatal("%v", err)
	}
	if _, ok := d.waitToken(func(tok string, found bool) bool {
		return found && tok != old && contains(w.mintedTokens(), tok)
	}); !ok {
		d.fatal("Enter on \"Try saving again\" did not store the new token")
	}
	d.waitLinked()
	if n := w.fake.Count(plextvtest.RouteCreatePin) - pins; n != 1 {
		t.Errorf("saving again went through plex.tv again (%d PINs for one relink)", n)
	}
}
