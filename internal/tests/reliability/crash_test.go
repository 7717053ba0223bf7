package reliability

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/storage"
)

// linkOnce runs a whole `plexlink link` and returns the token it stored.
func (w *world) linkOnce(t *testing.T) string {
	t.Helper()
	p := w.start("link", "--no-browser")
	w.approveAll(p)
	if r := p.Wait(t, 30*time.Second); r.Code != 0 {
		t.Fatalf("link: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	tok, found := w.keychain()
	if !found || !contains(w.mintedTokens(), tok) {
		t.Fatalf("after link the keychain holds %s, not the minted token", session.Fingerprint(tok))
	}
	return tok
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// checkConsistent asserts the state after a crash: the keychain holds the old token or one
// plex.tv minted (never anything else), the config file is whole, and the app at start
// (`status`, which checks with plex.tv) reports a valid link with the account's details.
func (w *world) checkConsistent(t *testing.T, old string) {
	t.Helper()
	tok, found := w.keychain()
	if !found || (tok != old && !contains(w.mintedTokens(), tok)) {
		t.Fatalf("after the crash the keychain holds %s: neither the old token nor a new one", session.Fingerprint(tok))
	}
	if tok != old {
		t.Logf("the new token had landed before the kill")
	}
	raw, err := os.ReadFile(filepath.Join(w.home, "plexlink", "config-"+w.service+".json"))
	if err != nil {
		t.Fatalf("config after the crash: %v", err)
	}
	var cfg storage.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("config after the crash is not whole JSON: %v", err)
	}
	r := w.run("status", "--json")
	var st struct {
		Linked   bool   `json:"linked"`
		Username string `json:"username"`
		Valid    *bool  `json:"valid"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || r.Code != 0 {
		t.Fatalf("status after the crash: exit %d, %v: %s %s", r.Code, err, r.Stdout, r.Stderr)
	}
	if !st.Linked || st.Valid == nil || !*st.Valid || st.Username != plextvtest.DefaultUsername {
		t.Fatalf("status after the crash: %s", r.Stdout)
	}
}

func kill9(t *testing.T, p *session.Proc) {
	t.Helper()
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.Wait(t, 10*time.Second)
}

// TestKillDuringPolling and TestKillDuringValidation: kill -9 mid-relink keeps the old token,
// and the link lock dies with the process (a new link works at once).
func TestKillDuringPolling(t *testing.T) {
	w := newWorld(t, session.Shared(t))
	old := w.linkOnce(t)
	p := w.start("link", "--no-browser")
	polls := w.fake.Count(plextvtest.RoutePin)
	waitFor(t, "polling", func() bool { return w.fake.Count(plextvtest.RoutePin) > polls })
	kill9(t, p)
	w.checkConsistent(t, old)
	if tok, _ := w.keychain(); tok != old {
		t.Fatal("a relink killed while polling changed the token")
	}
	w.linkOnce(t) // the link lock was released by the kernel
}

func TestKillDuringValidation(t *testing.T) {
	w := newWorld(t, session.Shared(t))
	old := w.linkOnce(t)
	w.fake.FailNext(plextvtest.RouteUser, 1, plextvtest.Fault{Hang: true})
	users := w.fake.Count(plextvtest.RouteUser)
	p := w.start("link", "--no-browser")
	w.approveAll(p)
	waitFor(t, "GET /user to hang", func() bool { return w.fake.Count(plextvtest.RouteUser) > users })
	kill9(t, p)
	w.checkConsistent(t, old)
	if tok, _ := w.keychain(); tok != old {
		t.Fatal("a relink killed while validating stored the unvalidated token")
	}
}

// TestKillDuringKeychainWrite: the keychain write blocks on an unlock prompt nobody answers;
// kill -9 then, and the state is still one whole token with matching details.
func TestKillDuringKeychainWrite(t *testing.T) {
	sess := privateSession(t)
	w := newWorld(t, sess)
	old := w.linkOnce(t)
	release, err := sess.HangPrompts()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	users := w.fake.Count(plextvtest.RouteUser)
	p := w.start("link", "--no-browser")
	if !w.lockThenApprove(t, p) {
		t.FailNow()
	}
	waitFor(t, "validation", func() bool {
		return w.fake.Count(plextvtest.RouteUser) > users && strings.Contains(p.Stdout(), "checking the token")
	})
	time.Sleep(time.Second) // Save is now waiting on the prompt (it gives up after 5 s)
	if p.Exited() {
		t.Fatalf("link ended before the kill: %s", p.Stderr())
	}
	kill9(t, p)
	release()
	if err := sess.UnlockCollection(sess.Password); err != nil {
		t.Fatal(err)
	}
	w.checkConsistent(t, old)
}

// TestTokenWhileRelinking runs `plexlink token` in a loop while `plexlink link` relinks:
// every answer is a whole token, the old one or the new one.
func TestTokenWhileRelinking(t *testing.T) {
	w := newWorld(t, session.Shared(t))
	old := w.linkOnce(t)
	var (
		mu    sync.Mutex
		outs  []result
		stop  = make(chan struct{})
		ended = make(chan struct{})
	)
	go func() {
		defer close(ended)
		for {
			select {
			case <-stop:
				return
			default:
			}
			cmd := w.command("token")
			cmd.Env = append(cmd.Env, "PLEXLINK_LOG=") // as scripts run it: stderr must stay empty
			r := session.Start(t, cmd).Wait(t, 10*time.Second)
			mu.Lock()
			outs = append(outs, r)
			mu.Unlock()
		}
	}()
	time.Sleep(200 * time.Millisecond)
	newTok := w.linkOnce(t)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	<-ended
	counts := map[string]int{}
	for _, r := range outs {
		tok := strings.TrimSuffix(r.Stdout, "\n")
		switch {
		case r.Code != 0 || r.Stderr != "" || !strings.HasSuffix(r.Stdout, "\n"):
			t.Errorf("token: exit %d, stderr %q, output %s", r.Code, r.Stderr, session.Fingerprint(tok))
		case tok == old:
			counts["old"]++
		case tok == newTok:
			counts["new"]++
		default:
			t.Errorf("token printed %s: neither the old nor the new token", session.Fingerprint(tok))
		}
	}
	t.Logf("%d token calls during the relink: %d old, %d new", len(outs), counts["old"], counts["new"])
	if counts["old"] == 0 || counts["new"] == 0 {
		t.Errorf("the loop did not straddle the relink (old %d, new %d)", counts["old"], counts["new"])
	}
}
