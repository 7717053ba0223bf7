//go:build linux

package cli_test

// End-to-end tests of the command line: the real plexlink binary, run with os/exec against
// `plexlink fake-server` on loopback, inside a private D-Bus session with a real
// gnome-keyring, with a fake xdg-open first on PATH that records the URL it was asked to open.
// They need internal/tests/session, which is Linux-only; inprocess_test.go is the layer that runs
// on every system.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// world is one test's environment: the shared keychain session, a fresh keyring service and
// config dir, a fake xdg-open, and the fake plex.tv.
type world struct {
	t       *testing.T
	sess    *session.Session
	fake    *session.FakeServer
	browser *session.FakeBrowser
	service string
	env     []string
}

func newWorld(t *testing.T, fakeArgs ...string) *world {
	t.Helper()
	sess := session.Shared(t)
	w := &world{t: t, sess: sess, fake: session.StartFakeServer(t, session.Binary(t), fakeArgs...), browser: session.NewFakeBrowser(t)}
	w.service = "plexlink-e2e-" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-")
	dir := t.TempDir()
	w.env = sess.EnvWith(
		w.browser.PathEnv(),
		"PLEXLINK_SERVER_URL="+w.fake.APIURL,
		"PLEXLINK_LINK_URL="+w.fake.LinkURL,
		"PLEXLINK_KEYRING_SERVICE="+w.service,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"LANG=C.UTF-8",
		"DISPLAY=",
		"WAYLAND_DISPLAY=",
	)
	t.Cleanup(func() { _ = exec.Command("secret-tool", "clear", "service", w.service).Run() })
	return w
}

type result = session.Result

func (w *world) command(args ...string) *exec.Cmd {
	cmd := exec.Command(session.Binary(w.t), args...)
	cmd.Env = w.env
	return cmd
}

func (w *world) run(args ...string) result {
	w.t.Helper()
	return session.Run(w.t, w.command(args...), 60*time.Second)
}

// runFor runs the binary and kills it if it is still running after d: a command that should
// give up by itself must not hang the test.
func (w *world) runFor(d time.Duration, args ...string) result {
	w.t.Helper()
	return session.Run(w.t, w.command(args...), d)
}

// waitOpened waits until the fake xdg-open has recorded n URLs and returns the last.
func (w *world) waitOpened(n int) string {
	w.t.Helper()
	u, err := w.browser.WaitOpened(n, 10*time.Second)
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

// approve does what the plex.tv/link page does when the user approves the code.
func (w *world) approve(code string) {
	w.t.Helper()
	if err := w.fake.Approve(code); err != nil {
		w.t.Fatal(err)
	}
}

// pinFrom checks the opened URL is the link page the app built, and returns its code.
func (w *world) pinFrom(opened string) string {
	w.t.Helper()
	u, err := url.Parse(opened)
	if err != nil || !strings.HasPrefix(opened, w.fake.LinkURL+"/?pin=") {
		w.t.Fatalf("opened %q, want %s/?pin=CODE", opened, w.fake.LinkURL)
	}
	code := u.Query().Get("pin")
	if len(code) != 4 || strings.ToUpper(code) != code {
		w.t.Fatalf("pin %q is not a 4-character uppercase code", code)
	}
	return code
}

// keychain reads what any Secret Service client sees for our service.
func (w *world) keychain() (string, bool) {
	w.t.Helper()
	tok, found, err := w.sess.Keychain(w.service)
	if err != nil {
		w.t.Fatal(err)
	}
	return tok, found
}

// link runs `plexlink link` to completion, approving the code it opens.
func (w *world) link(nth int, extra ...string) result {
	w.t.Helper()
	p := session.Start(w.t, w.command(append([]string{"link"}, extra...)...))
	w.approve(w.pinFrom(w.waitOpened(nth)))
	return p.Wait(w.t, 20*time.Second)
}

func TestLinkStatusTokenUnlink(t *testing.T) {
	w := newWorld(t)

	if r := w.run("token"); r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, "not linked") {
		t.Fatalf("token before linking: exit %d, stdout %q, stderr %q; want exit 1, empty stdout, 'not linked'", r.Code, r.Stdout, r.Stderr)
	}
	if r := w.run("status"); r.Code != 1 || !strings.Contains(r.Stdout, "Not linked") {
		t.Fatalf("status before linking: exit %d, stdout %q", r.Code, r.Stdout)
	}

	r := w.link(1)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Linked as ") {
		t.Fatalf("link: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	stored, ok := w.keychain()
	if !ok || stored == "" {
		t.Fatal("after link, secret-tool finds no token for the service")
	}
	if strings.Contains(r.Stdout+r.Stderr, stored) {
		t.Fatal("plexlink link printed the token")
	}

	tok := w.run("token")
	if tok.Code != 0 || tok.Stderr != "" {
		t.Fatalf("token: exit %d, stderr %q", tok.Code, tok.Stderr)
	}
	if tok.Stdout != stored+"\n" {
		t.Fatalf("token printed %s, secret-tool has %s; want exactly the token and a newline", session.Fingerprint(strings.TrimSuffix(tok.Stdout, "\n")), session.Fingerprint(stored))
	}

	st := w.run("status")
	if st.Code != 0 || !strings.Contains(st.Stdout, "Linked as ") || !strings.Contains(st.Stdout, "token valid") {
		t.Fatalf("status: exit %d\n%s%s", st.Code, st.Stdout, st.Stderr)
	}
	js := w.run("status", "--json")
	var got struct {
		Linked   bool   `json:"linked"`
		Username string `json:"username"`
		Valid    *bool  `json:"valid"`
	}
	if err := json.Unmarshal([]byte(js.Stdout), &got); err != nil || js.Code != 0 {
		t.Fatalf("status --json: exit %d, %v: %q", js.Code, err, js.Stdout)
	}
	if !got.Linked || got.Username == "" || got.Valid == nil || !*got.Valid {
		t.Fatalf("status --json = %s", js.Stdout)
	}
	if strings.Contains(st.Stdout+js.Stdout, stored) {
		t.Fatal("status printed the token")
	}

	un := w.run("unlink")
	if un.Code != 0 {
		t.Fatalf("unlink: exit %d: %s", un.Code, un.Stderr)
	}
	if _, ok := w.keychain(); ok {
		t.Fatal("after unlink, the keychain still holds a token")
	}
	if r := w.run("status", "--json"); r.Code != 1 || !strings.Contains(r.Stdout, `"linked":false`) {
		t.Fatalf("status --json after unlink: exit %d %s", r.Code, r.Stdout)
	}
	// The unlinked token still works on plex.tv: plain unlink is local only.
	if code := w.userStatus(stored); code != http.StatusOK {
		t.Fatalf("GET /user with the unlinked token: %d, want 200 (unlink without --sign-out is local)", code)
	}
}

// userStatus asks the fake plex.tv whether tok is still accepted.
func (w *world) userStatus(tok string) int {
	w.t.Helper()
	return w.plexGet("/user", tok, nil)
}

func TestUnlinkSignOut(t *testing.T) {
	w := newWorld(t)
	if r := w.link(1); r.Code != 0 {
		t.Fatalf("link: exit %d: %s", r.Code, r.Stderr)
	}
	stored, _ := w.keychain()
	r := w.run("unlink", "--sign-out")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Signed out") {
		t.Fatalf("unlink --sign-out: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if _, ok := w.keychain(); ok {
		t.Fatal("keychain still holds a token")
	}
	if code := w.userStatus(stored); code != http.StatusUnauthorized {
		t.Fatalf("GET /user with the signed-out token: %d, want 401", code)
	}
}

func TestUnlinkSignOutWithPlexDown(t *testing.T) {
	w := newWorld(t)
	if r := w.link(1); r.Code != 0 {
		t.Fatalf("link: exit %d: %s", r.Code, r.Stderr)
	}
	// Point at a loopback port nobody listens on: plex.tv unreachable.
	dead := "http://127.0.0.1:1/api/v2"
	r := w.run("--server-url", dead, "unlink", "--sign-out")
	if r.Code != 0 {
		t.Fatalf("unlink --sign-out with plex.tv down: exit %d: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "could not sign out") {
		t.Fatalf("unlink did not say it could not sign out: %q", r.Stderr)
	}
	if _, ok := w.keychain(); ok {
		t.Fatal("keychain still holds a token after unlinking locally")
	}
}

func TestCtrlCDuringLinkKeepsOldToken(t *testing.T) {
	w := newWorld(t)
	if r := w.link(1); r.Code != 0 {
		t.Fatalf("link: exit %d: %s", r.Code, r.Stderr)
	}
	old, _ := w.keychain()

	cmd := w.command("link")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.waitOpened(2) // polling has started
	time.Sleep(200 * time.Millisecond)
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("link after Ctrl-C: %v, want exit 130; stderr %q", err, errb.String())
	}
	if !strings.Contains(strings.ToLower(errb.String()), "cancelled") {
		t.Fatalf("no one-line reason on Ctrl-C: %q", errb.String())
	}
	now, ok := w.keychain()
	if !ok || now != old {
		t.Fatalf("Ctrl-C during relink changed the stored token: %s → %s", session.Fingerprint(old), session.Fingerprint(now))
	}
}

func TestLinkExpiryGivesClearExit(t *testing.T) {
	w := newWorld(t, "--pin-ttl", "1s")
	start := time.Now()
	r := w.runFor(10*time.Second, "link", "--no-browser")
	if r.Code != 1 || !strings.Contains(r.Stderr, "expired") {
		t.Fatalf("link with codes that expire: exit %d, stderr %q; want exit 1 and 'expired'", r.Code, r.Stderr)
	}
	if strings.Count(r.Stdout, "new Plex link code") == 0 {
		t.Errorf("the engine did not report a renewed code before giving up:\n%s", r.Stdout)
	}
	t.Logf("gave up after %v", time.Since(start).Round(time.Millisecond))
	if opened := w.browser.Opened(); len(opened) != 0 {
		t.Fatalf("--no-browser opened a browser: %q", opened)
	}
}

func TestTokenWithoutDisplayIsClean(t *testing.T) {
	w := newWorld(t)
	if r := w.link(1); r.Code != 0 {
		t.Fatalf("link: exit %d: %s", r.Code, r.Stderr)
	}
	stored, _ := w.keychain()
	for _, lang := range []string{"C", "C.UTF-8", "POSIX"} {
		cmd := w.command("token")
		cmd.Env = append(cmd.Env, "LANG="+lang, "LC_ALL="+lang)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("LANG=%s token: %v %s", lang, err, errb.String())
		}
		if out.String() != stored+"\n" || errb.Len() != 0 {
			t.Fatalf("LANG=%s token: stdout %s, stderr %q; want only the token", lang, session.Fingerprint(out.String()), errb.String())
		}
	}
}

func TestStrongLinkUsesAuthApp(t *testing.T) {
	w := newWorld(t)
	cmd := w.command("link", "--strong")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	opened := w.waitOpened(1)
	if !strings.HasPrefix(opened, "https://app.plex.tv/auth#?") || !strings.Contains(opened, "clientID=") {
		t.Fatalf("--strong opened %q, want the app.plex.tv/auth form", opened)
	}
	if strings.Contains(opened, "/link") {
		t.Fatalf("--strong mixed in the short-code link page: %q", opened)
	}
}

func TestKeychainUnavailable(t *testing.T) {
	w := newWorld(t)
	w.env = append(w.env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	for _, args := range [][]string{{"token"}, {"status"}} {
		r := w.run(args...)
		if r.Code != 2 || !strings.Contains(strings.ToLower(r.Stderr), "keychain") {
			t.Errorf("%v with no Secret Service: exit %d, stderr %q; want exit 2 naming the keychain", args, r.Code, r.Stderr)
		}
		if strings.Contains(r.Stdout+r.Stderr, "not linked") {
			t.Errorf("%v reported a broken keychain as 'not linked': %q", args, r.Stderr)
		}
	}
	r := w.run("status", "--json")
	if r.Code != 2 || !strings.Contains(r.Stdout, `"error"`) {
		t.Errorf("status --json with no Secret Service: exit %d, %q", r.Code, r.Stdout)
	}
}

func TestBadInvocations(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"--nope"}, 2, "unknown flag: --nope"},
		{[]string{"link", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"stauts"}, 2, "Did you mean this?\n\tstatus"},
		{[]string{"token", "extra"}, 2, "unexpected argument"},
		{[]string{"--server-url", "http://plex.example.com/api/v2", "status"}, 1, "https"},
		{[]string{"--link-url", "ftp://127.0.0.1/link", "link"}, 1, "https"},
	}
	for _, c := range cases {
		r := w.run(c.args...)
		if r.Code != c.code || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("plexlink %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, r.Code, r.Stderr, c.code, c.want)
		}
		if c.code == 2 && !strings.Contains(r.Stderr, "Usage:") {
			t.Errorf("plexlink %v: no usage on stderr", c.args)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"version"}, {"--version"}} {
		if r := w.run(args...); r.Code != 0 || r.Stdout == "" {
			t.Errorf("plexlink %v: exit %d, stdout %q", args, r.Code, r.Stdout)
		}
	}
}

// Regression (issue 6 fault matrix): with no Secret Service, link used to show a code and
// poll for 15 minutes, only to fail to store the approved token.
func TestLinkWithoutKeychainFailsBeforeACode(t *testing.T) {
	w := newWorld(t)
	w.env = append(w.env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	start := time.Now()
	r := w.runFor(10*time.Second, "link", "--no-browser")
	if r.Code != 1 || !strings.Contains(r.Stderr, "keychain unavailable") || strings.Contains(r.Stdout, "?pin=") {
		t.Fatalf("link with no keychain: exit %d, stdout %q, stderr %q; want exit 1 naming the keychain, no code", r.Code, r.Stdout, r.Stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("link with no keychain took %v", d)
	}
}

// plex.tv answers POST /pins with 429 and Retry-After of a day: link says when to try again
// and exits 1 at once, instead of sleeping for 24 hours.
func TestRateLimitEndsLink(t *testing.T) {
	w := newWorld(t, "--fail", "POST /pins=429:86400")
	start := time.Now()
	r := w.runFor(20*time.Second, "link", "--no-browser")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("link took %v", d)
	}
	if want := "plex.tv is rate-limiting this computer; try again in about 24 hours"; r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("link under a day's rate limit: exit %d, stderr %q; want exit 1 and %q", r.Code, r.Stderr, want)
	}
	if _, found := w.keychain(); found {
		t.Error("a token was stored")
	}
}
