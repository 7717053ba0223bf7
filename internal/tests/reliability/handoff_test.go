package reliability

// The hand-off part of the matrix: issue #20's reproductions ("Hand-off you can trust"),
// one row each, run as written with the real binary against the fake plex.tv and its fake
// media servers (on loopback), each asserting the rule README's "Handing Plex to other
// tools" states.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/termtext"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// handoffRow is one reproduction. run gets a world whose fake plex.tv serves its media
// servers and which is linked (acct is the stored account token), unless the row says
// otherwise, and returns what was observed and what broke the rule.
type handoffRow struct {
	repro, command, expect string
	fate                   string // what must become of the account token
	surface                string // "" → CLI hand-off
	hostile                bool   // the hostile media servers too, their certificate trusted
	unlinked               bool   // no link first: an earlier link's token is stored instead
	inProcess              bool   // no binary, no world (w is nil)
	run                    func(t *testing.T, w *world, acct string) (observed string, token string, problems []string)
}

// What becomes of the account token (the "account token" column).
const (
	fateKept      = "kept"
	fateSignedOut = "removed, signed out on plex.tv"
	fateRemoved   = "removed, still valid on plex.tv"
	fateNone      = "none involved"
)

var (
	urlVars    = []string{"PLEX_URL", "PLEXAPI_AUTH_SERVER_BASEURL", "KOMETA_PLEX_URL"}
	headerVars = []string{"PLEXAPI_HEADER_IDENTIFIER", "PLEXAPI_HEADER_PRODUCT", "PLEXAPI_HEADER_DEVICE_NAME"}
)

const rateLimited = "plex.tv is rate-limiting this computer; try again in about 24 hours"

var handoffRows = []handoffRow{
	{repro: "stale PLEX_URL, PLEXAPI_AUTH_SERVER_BASEURL, KOMETA_PLEX_URL, PLEXAPI_HEADER_* in the environment",
		command: "PLEX_URL=… PLEXAPI_HEADER_PRODUCT=… plexlink exec --tool kometa -- env; plexlink env --tool kometa",
		expect:  "the child has no URL variable and no stale header variable; env unsets the URL variables",
		fate:    fateKept, run: staleEnvironment},
	{repro: "a server with an https and a plain http connection (Studio)", hostile: true,
		command: "SSL_CERT_FILE=hostile-ca.pem plexlink env --server Studio --format json",
		expect:  "the token goes over https only; PLEX_URL is the https connection",
		fate:    fateKept, run: httpsBeforeHTTP},
	{repro: "a shared server claiming Living Room's machine id, listed first", hostile: true,
		command: "plexlink env --server <Living Room's machine id> --format json",
		expect:  "Living Room's own token and URL",
		fate:    fateKept, run: impostorMachineID},
	{repro: "a connection URI with a path and a query (http://…/admin/do?x=)", hostile: true,
		command: "plexlink env --server <that server's name> --format json",
		expect:  "the server is asked exactly /identity; PLEX_URL has no path",
		fate:    fateKept, run: uriWithPath},
	{repro: "server and owner names with terminal escapes (C0, C1, ESC, DEL)", hostile: true,
		command: "plexlink servers",
		expect:  "exit 0; no C0/C1/ESC/DEL byte on stdout",
		fate:    fateKept, run: escapeLadenNames},
	{repro: "two concurrent first uses of a tool",
		command: "plexlink token --tool x & plexlink token --tool x",
		expect:  "one token minted; both print it",
		fate:    fateKept, run: concurrentToolTokens},
	{repro: "config.json deleted before unlink --sign-out",
		command: "rm -r ~/.config/plexlink; plexlink unlink --sign-out",
		expect:  "exit 0; every tool token signed out on plex.tv and removed from the keychain",
		fate:    fateSignedOut, run: unlinkWithoutConfig},
	{repro: "a tool token signed out on plex.tv behind plexlink's back",
		command: "plexlink token --tool kometa",
		expect:  "exit 0, a new working token; stderr says so",
		fate:    fateKept, run: toolTokenRenewed},
	{repro: "relinking as another Plex account (the code approved by another account)",
		command: "plexlink link",
		expect:  "linked; the previous account's tool tokens signed out and removed; link says so",
		fate:    "replaced by the other account's", run: relinkAsOther},
	{repro: "unlink while link is pending in another process",
		command: "plexlink link & plexlink unlink",
		expect:  "link stops (exit 1), unlink exit 0; approving the old code afterwards stores nothing",
		fate:    fateRemoved, run: unlinkStopsLink},
	{repro: "429 with Retry-After: 86400 on POST /pins", unlinked: true,
		command: "plexlink link",
		expect:  fmt.Sprintf("exit 1 within seconds saying %q", rateLimited),
		fate:    fateKept, run: rateLimitedForADay},
	{repro: "exec and a Ctrl-C typed in its terminal",
		command: "plexlink exec -- perl -e <count SIGINTs>, ^C on its pty",
		expect:  "the child gets one SIGINT",
		fate:    fateKept, run: ctrlCInTerminal},
	{repro: "env --format dotenv",
		command: `plexlink env --server "Living Room" --format dotenv`,
		expect:  "values unquoted; a value that would need quotes refused with exit 1",
		fate:    fateKept, run: dotenvUnquoted},
	{repro: "a line over 4 KiB between window messages", surface: "winproto", inProcess: true,
		command: "winproto.Read (in-process)",
		expect:  "the line is skipped; later messages still arrive",
		fate:    fateNone, run: winprotoLongLine},
	{repro: "--server-url of another host with the stored token",
		command: "plexlink --server-url https://plex.example.invalid/api/v2 status, servers, token --tool kometa, unlink --sign-out",
		expect:  "exit 1 saying how to link that host (PLEXLINK_KEYRING_SERVICE=); no connection attempted",
		fate:    fateKept, run: otherHost},
}

var (
	handoffMu       sync.Mutex
	handoffRecorded []outcome
)

// runHandoff runs one reproduction and records its row, a failed one too.
func runHandoff(t *testing.T, n int, r handoffRow) {
	o := outcome{N: n, Surface: "CLI hand-off", Fault: r.repro, Command: r.command, Expected: r.expect, Token: fateNone}
	if r.surface != "" {
		o.Surface = r.surface
	}
	var w *world
	start := time.Now()
	defer func() {
		if o.Observed == "" {
			o.Observed = "aborted (see the test log)"
		}
		o.Pass = !t.Failed()
		t.Logf("%s: %s (%v)", r.repro, o.Observed, time.Since(start).Round(10*time.Millisecond))
		handoffMu.Lock()
		handoffRecorded = append(handoffRecorded, o)
		handoffMu.Unlock()
	}()
	acct := ""
	if !r.inProcess {
		w, acct = handoffWorld(t, r)
	}
	observed, token, problems := r.run(t, w, acct)
	if w != nil {
		if token == "" {
			token = w.fate(acct)
		}
		var leaked bool
		observed, leaked = w.scrub(observed)
		if leaked {
			problems = append(problems, "a token was in the output")
		}
	}
	if token == "" {
		token = fateNone
	}
	o.Observed, o.Token = normalize(observed), token
	if token != r.fate {
		problems = append(problems, fmt.Sprintf("the account token: %s, want %s", token, r.fate))
	}
	if len(problems) > 0 {
		t.Errorf("%s: %s", r.repro, strings.Join(problems, "; "))
	}
}

// handoffWorld is a world whose fake plex.tv serves its media servers, linked once (or, for
// an unlinked row, holding an earlier link's token).
func handoffWorld(t *testing.T, r handoffRow) (*world, string) {
	t.Helper()
	var opts []plextvtest.Option
	if r.hostile {
		opts = append(opts, plextvtest.WithHostile())
	}
	w := newWorld(t, session.Shared(t), opts...)
	stop, err := w.fake.ServeMediaServers()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if r.hostile {
		ca := filepath.Join(t.TempDir(), "hostile-ca.pem")
		if err := os.WriteFile(ca, w.fake.HostileCA(), 0o600); err != nil {
			t.Fatal(err)
		}
		w.env = append(w.env, "SSL_CERT_FILE="+ca)
	}
	if r.unlinked {
		old := randomToken(t)
		w.storeOld(old)
		return w, old
	}
	p := w.start("link")
	w.approveAll(p)
	if res := p.Wait(t, 60*time.Second); res.Code != 0 {
		t.Fatalf("link: exit %d: %s", res.Code, res.Stderr)
	}
	acct, found := w.keychain()
	if !found {
		t.Fatal("link stored no token")
	}
	return w, acct
}

// fate says what became of acct: still in the keychain, or gone (and whether plex.tv still
// takes it).
func (w *world) fate(acct string) string {
	now, found := w.keychain()
	switch {
	case found && now == acct:
		return fateKept
	case found:
		return "replaced: " + session.Fingerprint(now)
	case w.fake.TokenValid(acct):
		return fateRemoved
	default:
		return fateSignedOut
	}
}

// scrub replaces every token the fake issued with [token] and says whether there was one.
func (w *world) scrub(s string) (string, bool) {
	leaked := false
	for _, tok := range append(w.fake.IssuedTokens(), w.mintedTokens()...) {
		if tok != "" && strings.Contains(s, tok) {
			s, leaked = strings.ReplaceAll(s, tok, "[token]"), true
		}
	}
	return s, leaked
}

// must runs the binary and fails the row unless it exits 0; stdout may hold a token, so
// only stderr is shown.
func (w *world) must(args ...string) string {
	w.t.Helper()
	r := w.run(args...)
	if r.Code != 0 {
		w.t.Fatalf("plexlink %v: exit %d: %s", args, r.Code, r.Stderr)
	}
	return strings.TrimSuffix(r.Stdout, "\n")
}

// envJSON is `plexlink env ARGS --format json`.
func (w *world) envJSON(args ...string) map[string]string {
	w.t.Helper()
	var env map[string]string
	if err := json.Unmarshal([]byte(w.must(append(append([]string{"env"}, args...), "--format", "json")...)), &env); err != nil {
		w.t.Fatalf("env %v --format json: %v", args, err)
	}
	return env
}

// keychainItem reports whether the keychain holds the item user of w's service.
func (w *world) keychainItem(user string) bool {
	_, err := w.sess.SecretToolLookupUser(w.service, user)
	return err == nil
}

func staleEnvironment(t *testing.T, w *world, _ string) (string, string, []string) {
	for _, n := range urlVars {
		w.env = append(w.env, n+"=http://127.0.0.1:9/grandma")
	}
	for _, n := range headerVars {
		w.env = append(w.env, n+"=stale")
	}
	var problems []string
	child := map[string]string{}
	for _, l := range strings.Split(w.must("exec", "--tool", "kometa", "--", "env"), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			child[k] = v
		}
	}
	var urls, stale []string
	for _, n := range urlVars {
		if _, ok := child[n]; ok {
			urls = append(urls, n)
		}
	}
	for _, n := range headerVars {
		if v := child[n]; v == "" || v == "stale" {
			stale = append(stale, n)
		}
	}
	if len(urls)+len(stale) > 0 || child["PLEXAPI_HEADER_PRODUCT"] != "kometa" {
		problems = append(problems, fmt.Sprintf("the child has %v and stale or missing %v", urls, stale))
	}
	var unset []string
	for _, l := range strings.Split(w.must("env", "--tool", "kometa"), "\n") {
		if strings.HasPrefix(l, "unset ") {
			unset = append(unset, l)
		}
	}
	for _, n := range urlVars {
		if !slices.Contains(unset, "unset "+n) {
			problems = append(problems, "env does not unset "+n)
		}
	}
	return fmt.Sprintf("child: URL variables %s, PLEXAPI_HEADER_PRODUCT=%s; env prints %s",
		orNone(urls), child["PLEXAPI_HEADER_PRODUCT"], strings.Join(unset, ", ")), "", problems
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func httpsBeforeHTTP(t *testing.T, w *world, _ string) (string, string, []string) {
	env := w.envJSON("--server", plextvtest.DualServerName)
	var overTLS, plain int
	for _, r := range w.fake.MediaServer(plextvtest.DualServerName).Requests() {
		switch {
		case r.Token && r.TLS:
			overTLS++
		case r.Token:
			plain++
		}
	}
	var problems []string
	if !strings.HasPrefix(env["PLEX_URL"], "https://") || plain > 0 || overTLS == 0 {
		problems = append(problems, "the token went over plain http, or the https connection was not used")
	}
	return fmt.Sprintf("PLEX_URL %s; requests with the token: %d over https, %d over plain http", env["PLEX_URL"], overTLS, plain), "", problems
}

// whose names the fake media server whose own address u is.
func whose(w *world, u string) string {
	for _, m := range w.fake.MediaServers() {
		if m.URL != "" && m.URL == u {
			return m.Name + "'s"
		}
	}
	return "nobody's"
}

func impostorMachineID(t *testing.T, w *world, _ string) (string, string, []string) {
	living := w.fake.MediaServer(plextvtest.OwnedServerName)
	if first := w.fake.MediaServers()[0]; first.Name != plextvtest.ImpostorServerName || first.MachineID != living.MachineID {
		t.Fatal("the fake does not list the impostor first with Living Room's machine id")
	}
	env := w.envJSON("--server", living.MachineID)
	tokenOf := "another server's"
	if env["PLEX_TOKEN"] == living.AccessToken {
		tokenOf = "Living Room's"
	}
	urlOf := whose(w, env["PLEX_URL"])
	var problems []string
	if tokenOf != "Living Room's" || urlOf != "Living Room's" {
		problems = append(problems, "not Living Room's own token and URL")
	}
	return fmt.Sprintf("PLEX_TOKEN is %s access token, PLEX_URL %s address", tokenOf, urlOf), "", problems
}

func uriWithPath(t *testing.T, w *world, _ string) (string, string, []string) {
	env := w.envJSON("--server", plextvtest.HostileServerName)
	var asked []string
	for _, r := range w.fake.MediaServer(plextvtest.HostileServerName).Requests() {
		if !slices.Contains(asked, r.URI) {
			asked = append(asked, r.URI)
		}
	}
	var problems []string
	u, err := url.Parse(env["PLEX_URL"])
	if err != nil || env["PLEX_URL"] == "" || u.Path != "" || u.RawQuery != "" {
		problems = append(problems, "PLEX_URL keeps the path or query")
	}
	if len(asked) != 1 || asked[0] != "/identity" {
		problems = append(problems, "the server was asked something other than /identity")
	}
	return fmt.Sprintf("asked %s; PLEX_URL %s", orNone(asked), env["PLEX_URL"]), "", problems
}

// controlBytes lists the C0 (newline aside), ESC, DEL and C1 characters in s, and any byte
// that is not UTF-8 (a raw C1 byte would be one).
func controlBytes(s string) []string {
	var found []string
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			found = append(found, fmt.Sprintf("byte %#x", s[i]))
		case r != '\n' && (r < 0x20 || r >= 0x7f && r <= 0x9f):
			found = append(found, fmt.Sprintf("%U", r))
		}
	}
	return found
}

func escapeLadenNames(t *testing.T, w *world, _ string) (string, string, []string) {
	r := w.run("servers")
	var problems []string
	bad := controlBytes(r.Stdout)
	shown := strings.Contains(r.Stdout, termtext.Clean(plextvtest.HostileServerName))
	if r.Code != 0 || len(bad) > 0 || !shown {
		problems = append(problems, fmt.Sprintf("exit %d, control characters on stdout: %v, the hostile server listed: %t", r.Code, bad, shown))
	}
	return fmt.Sprintf("exit %d; the escape-laden server listed: %t; control characters on stdout: %s", r.Code, shown, orNone(bad)), "", problems
}

func concurrentToolTokens(t *testing.T, w *world, _ string) (string, string, []string) {
	before := len(w.fake.IssuedTokens())
	out := make([]result, 2)
	var wg sync.WaitGroup
	for i := range out {
		p := w.start("token", "--tool", "x")
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = p.Wait(t, 60*time.Second) }()
	}
	wg.Wait()
	minted := len(w.fake.IssuedTokens()) - before
	same := out[0].Stdout == out[1].Stdout && out[0].Stdout != ""
	var problems []string
	if out[0].Code != 0 || out[1].Code != 0 || !same || minted != 1 {
		problems = append(problems, fmt.Sprintf("stderr: %q, %q", out[0].Stderr, out[1].Stderr))
	}
	saying := "different tokens"
	if same {
		saying = "the same token"
	}
	return fmt.Sprintf("exit %d and %d, %s; plex.tv minted %d", out[0].Code, out[1].Code, saying, minted), "", problems
}

func unlinkWithoutConfig(t *testing.T, w *world, _ string) (string, string, []string) {
	tools := []string{w.must("token", "--tool", "kometa"), w.must("token", "--tool", "plexapi")}
	if err := os.RemoveAll(filepath.Join(w.home, "plexlink")); err != nil {
		t.Fatal(err)
	}
	r := w.run("unlink", "--sign-out")
	valid, left := 0, 0
	for _, tok := range tools {
		if w.fake.TokenValid(tok) {
			valid++
		}
	}
	for _, item := range []string{"tool:kometa", "tool:plexapi", "tools"} {
		if w.keychainItem(item) {
			left++
		}
	}
	var problems []string
	if r.Code != 0 || valid+left > 0 {
		problems = append(problems, "stderr: "+r.Stderr)
	}
	return fmt.Sprintf("exit %d: %s; tool tokens still valid: %d of 2, tool items left in the keychain: %d",
		r.Code, lineWith(r.Stdout, "tool"), valid, left), "", problems
}

// lineWith is the first line of s that mentions word, trimmed.
func lineWith(s, word string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			return strings.TrimSpace(l)
		}
	}
	return "(nothing about " + word + ")"
}

func toolTokenRenewed(t *testing.T, w *world, _ string) (string, string, []string) {
	first := w.must("token", "--tool", "kometa")
	w.fake.Revoke(first)
	r := w.run("token", "--tool", "kometa")
	second := strings.TrimSuffix(r.Stdout, "\n")
	works := second != "" && second != first && w.fake.TokenValid(second)
	var problems []string
	if r.Code != 0 || !works || !strings.Contains(r.Stderr, "no longer accepted kometa's token") {
		problems = append(problems, "stderr: "+r.Stderr)
	}
	got := "no new working token"
	if works {
		got = "a new working token"
	}
	return fmt.Sprintf("exit %d, %s; stderr: %s", r.Code, got, lastLine(r.Stderr)), "", problems
}

func relinkAsOther(t *testing.T, w *world, _ string) (string, string, []string) {
	tool := w.must("token", "--tool", "kometa")
	p := w.start("link")
	code, ok := waitCode(t, p, 1, 20*time.Second)
	if !ok {
		t.Fatalf("link printed no code: %s", p.Stderr())
	}
	other, err := w.fake.ApproveAsOther(code)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Wait(t, 60*time.Second)
	listed := strings.Contains(w.must("tools"), "kometa")
	var problems []string
	if r.Code != 0 || !strings.Contains(r.Stdout, "Linked as other") || !strings.Contains(r.Stderr, "another account") ||
		w.fake.TokenValid(tool) || listed || w.keychainItem("tool:kometa") {
		problems = append(problems, "stderr: "+r.Stderr)
	}
	token := w.fate("")
	if now, _ := w.keychain(); now == other {
		token = "replaced by the other account's"
	}
	return fmt.Sprintf("exit %d: %s; stderr: %s; kometa's old token valid: %t", r.Code, lastLine(r.Stdout),
		lineWith(r.Stderr, "kometa"), w.fake.TokenValid(tool)), token, problems
}

func unlinkStopsLink(t *testing.T, w *world, _ string) (string, string, []string) {
	p := w.start("link")
	code, ok := waitCode(t, p, 1, 20*time.Second)
	if !ok {
		t.Fatalf("link printed no code: %s", p.Stderr())
	}
	un := w.run("unlink")
	stopped := time.Now()
	r := p.Wait(t, 10*time.Second)
	took := time.Since(stopped)
	_ = w.approve(code)
	time.Sleep(1500 * time.Millisecond) // a poll that was still running would land by now
	_, found := w.keychain()
	var problems []string
	if un.Code != 0 || r.Code != 1 || took > 5*time.Second || found {
		problems = append(problems, fmt.Sprintf("unlink: %s; link stopped after %v: %s", un.Stderr, took.Round(time.Millisecond), r.Stderr))
	}
	after := "nothing stored"
	if found {
		after = "LINKED AGAIN"
	}
	return fmt.Sprintf("unlink exit %d; link exit %d: %s; the old code approved afterwards: %s", un.Code, r.Code, lastLine(r.Stderr), after), "", problems
}

func rateLimitedForADay(t *testing.T, w *world, _ string) (string, string, []string) {
	w.fake.FailNext(plextvtest.RouteCreatePin, 1, plextvtest.Fault{Status: 429, RetryAfter: "86400"})
	start := time.Now()
	r := w.start("link").Wait(t, 30*time.Second)
	took := time.Since(start)
	var problems []string
	if r.Code != 1 || !strings.Contains(r.Stderr, rateLimited) || took > 5*time.Second {
		problems = append(problems, fmt.Sprintf("after %v: %s", took.Round(time.Millisecond), r.Stderr))
	}
	when := "within 5 s"
	if took > 5*time.Second {
		when = "after " + took.Round(time.Second).String()
	}
	return fmt.Sprintf("exit %d %s: %s", r.Code, when, lastLine(r.Stderr)), "", problems
}

func ctrlCInTerminal(t *testing.T, w *world, _ string) (string, string, []string) {
	master, slave := session.OpenPty(t)
	cmd := w.command(append([]string{"exec", "--"}, session.CountINT...)...)
	// plexlink leads a session whose controlling terminal is the pty, in its foreground
	// group, as when typed at a shell prompt.
	cmd.Stdin = slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	last, code := session.RunCountingINT(t, cmd, func(*exec.Cmd) {
		if _, err := master.Write([]byte{3}); err != nil { // ^C
			t.Fatal(err)
		}
	})
	var problems []string
	if last != "count=1" || code != 0 {
		problems = append(problems, "the child did not get exactly one SIGINT")
	}
	return fmt.Sprintf("exit %d; the child printed %s", code, last), "", problems
}

func dotenvUnquoted(t *testing.T, w *world, _ string) (string, string, []string) {
	lines := strings.Split(w.must("env", "--server", plextvtest.OwnedServerName, "--format", "dotenv"), "\n")
	quoted := 0
	for _, l := range lines {
		if _, v, _ := strings.Cut(l, "="); strings.ContainsAny(v, `'"`) {
			quoted++
		}
	}
	// A keychain of its own holds a token a dotenv reader would cut at the #.
	odd := w.service + "-odd"
	if err := w.sess.SecretToolStore(odd, "token", "abc#def"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("secret-tool", "clear", "service", odd).Run() })
	cmd := w.command("env", "--format", "dotenv")
	cmd.Env = append(cmd.Env, "PLEXLINK_KEYRING_SERVICE="+odd)
	r := session.Start(t, cmd).Wait(t, 30*time.Second)
	var problems []string
	if quoted > 0 || len(lines) < 6 || r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, "PLEX_TOKEN") {
		problems = append(problems, fmt.Sprintf("%d of %d lines quoted; the # token: exit %d: %s", quoted, len(lines), r.Code, r.Stderr))
	}
	return fmt.Sprintf("%d lines NAME=value, %d quoted; a token with # in it: exit %d: %s", len(lines), quoted, r.Code, lastLine(r.Stderr)), "", problems
}

func winprotoLongLine(t *testing.T, _ *world, _ string) (string, string, []string) {
	in := `{"v":1,"event":"ready"}` + "\n" + strings.Repeat("x", 5<<10) + "\n" + `{"v":1,"event":"linked"}` + "\n"
	var got []string
	skipped := 0
	err := winproto.Read(strings.NewReader(in), func(m winproto.Message) { got = append(got, m.Event) }, func(string) { skipped++ })
	var problems []string
	if err != nil || !slices.Equal(got, []string{winproto.EventReady, winproto.EventLinked}) || skipped != 1 {
		problems = append(problems, fmt.Sprintf("error %v", err))
	}
	return fmt.Sprintf("messages read: %s; lines skipped: %d", strings.Join(got, ", "), skipped), "", problems
}

func otherHost(t *testing.T, w *world, _ string) (string, string, []string) {
	w.must("token", "--tool", "kometa")
	proxy, hits := session.RecordingProxy(t)
	var exits []string
	var problems []string
	var said string
	for _, args := range [][]string{{"status"}, {"servers"}, {"token", "--tool", "kometa"}, {"unlink", "--sign-out"}} {
		cmd := w.command(append([]string{"--server-url", "https://plex.example.invalid/api/v2"}, args...)...)
		cmd.Env = append(cmd.Env, "HTTPS_PROXY="+proxy, "HTTP_PROXY="+proxy)
		r := session.Start(t, cmd).Wait(t, 30*time.Second)
		exits = append(exits, fmt.Sprint(r.Code))
		if r.Code != 1 || !strings.Contains(r.Stderr, "PLEXLINK_KEYRING_SERVICE=") || r.Stdout != "" {
			problems = append(problems, fmt.Sprintf("%v: exit %d: %s", args, r.Code, r.Stderr))
		}
		said = lastLine(r.Stderr)
	}
	if hits() != 0 {
		problems = append(problems, fmt.Sprintf("%d connections attempted", hits()))
	}
	return fmt.Sprintf("exits %s; connections attempted: %d; unlink said: %s", strings.Join(exits, ", "), hits(), said), "", problems
}
