package e2e

import (
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// cliRun runs the command-line tool in the test's desktop session.
func (g *gui) cliRun(args ...string) string {
	g.t.Helper()
	cmd := exec.Command(g.cli, args...)
	cmd.Env = g.env
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("plexlink %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// waitLog waits for a line of the app's log (the tray's and the window's stderr) matching re.
func (g *gui) waitLog(what string, re *regexp.Regexp) string {
	g.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindString(g.app.Stderr()); m != "" {
			return m
		}
	}
	g.fatal("the log never showed %s", what)
	return ""
}

// tokenWorks asks the fake plex.tv whether tok is still accepted (GET /user).
func (g *gui) tokenWorks(tok string) bool {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.fake.APIURL+"/user", nil)
	req.Header.Set("X-Plex-Token", tok)
	req.Header.Set("X-Plex-Client-Identifier", "e2e-check")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestGUIWindowLists is issue 24 in the real app under a tray: linked, with two tools (one
// a Home user's), the window lists the fake's three servers (Old NAS not reachable), the
// tools and the Home; Tab to a Revoke…, Enter, Enter signs the tool's token out on plex.tv
// and removes it from the keychain.
func TestGUIWindowLists(t *testing.T) {
	g := newGUI(t, true)
	if err := g.sess.SecretToolStore(service, "token", g.fake.AccountToken); err != nil {
		t.Fatal(err)
	}
	g.cliRun("token", "--tool", "beets")
	g.cliRun("token", "--tool", "tautulli", "--user", "Kid")
	beets, err := g.sess.SecretToolLookupUser(service, "tool:beets")
	if err != nil || beets == "" || !g.tokenWorks(beets) {
		t.Fatalf("beets has no working token (%v)", err)
	}
	g.env = append(g.env, "PLEXLINK_LOG=debug")
	win, _ := g.start()
	tray := g.openTray()
	g.menu(tray, trayLinkedAs+username+" (disabled)", trayRelink, trayCopy, trayUnlink, trayOpen, trayAutostart, trayQuit)

	servers := g.waitLog("the probed servers", regexp.MustCompile(`list kind=servers pending=false rows="[^"]*Old NAS[^"]*"`))
	for _, want := range []string{"Living Room  ·  you  ·  local, plain http", "Grandma's Plex  ·  shared by grandma  ·  remote", "Old NAS  ·  you  ·  not reachable"} {
		if !strings.Contains(servers, want) {
			g.fatal("the servers shown: %s; want %q", servers, want)
		}
	}
	tools := g.waitLog("the tools", regexp.MustCompile(`list kind=tools pending=false rows="beets [^"]*tautulli  ·  as Kid[^"]*"`))
	users := g.waitLog("the Home", regexp.MustCompile(`list kind=users pending=false rows="[^"]*Kid  ·  managed[^"]*"`))
	t.Logf("window shows:\n%s\n%s\n%s", servers, tools, users)
	time.Sleep(300 * time.Millisecond) // the last list drawn
	g.x.Screenshot(t, "window-linked")

	// Keyboard: Copy token, Relink, Unlink, Refresh, then beets's Revoke…; Enter asks, Enter confirms.
	if _, err := g.x.Xdotool(5*time.Second, "windowfocus", "--sync", win, "key", "--clearmodifiers", "--delay", "100",
		"Tab", "Tab", "Tab", "Tab", "Tab", "Return"); err != nil {
		g.fatal("xdotool: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	g.x.Screenshot(t, "revoke-asked")
	if _, err := g.x.Xdotool(5*time.Second, "windowfocus", "--sync", win, "key", "--clearmodifiers", "Return"); err != nil {
		g.fatal("xdotool: %v", err)
	}
	g.waitLog("the revoke", regexp.MustCompile(`tool token revoked" tool=beets`))
	g.waitLog("the tools without beets", regexp.MustCompile(`list kind=tools pending=false rows="tautulli`))
	if g.tokenWorks(beets) {
		g.fatal("beets's token still works on plex.tv after Revoke")
	}
	if tok, err := g.sess.SecretToolLookupUser(service, "tool:beets"); err == nil && tok != "" {
		g.fatal("beets's token is still in the keychain (%s)", session.Fingerprint(tok))
	}
	if out := g.cliRun("tools"); strings.Contains(out, "beets") {
		g.fatal("`plexlink tools` still lists beets:\n%s", out)
	}
	for _, secret := range []string{beets, g.fake.AccountToken} {
		if strings.Contains(g.app.Stderr(), secret) {
			t.Error("a token is in the app's log")
		}
	}
	// Not g.quit: with PLEXLINK_LOG=debug the start-up log (Fyne's locale complaint under
	// LANG=C.UTF-8) is printed on purpose, which checkCleanStderr refuses.
	g.click(tray, trayQuit)
	if code, err := g.app.Wait(5 * time.Second); err != nil || code != 0 {
		g.fatal("after Quit in the tray: exit code %d, %v; want 0 within 5s", code, err)
	}
	for _, bad := range []string{"panic:", "fatal error:", "SIGSEGV", "goroutine "} {
		if strings.Contains(g.app.Stderr(), bad) {
			g.fatal("stderr contains %q", bad)
		}
	}
}
