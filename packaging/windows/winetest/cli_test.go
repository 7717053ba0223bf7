//go:build linux

package winetest

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

const username = "wine-user"

// pinInURL is the code in the link page URL `plexlink link --no-browser` prints.
var pinInURL = regexp.MustCompile(`[?&]pin=([A-Za-z0-9]+)`)

// statusJSON is the part of `plexlink status --json` the tests read.
type statusJSON struct {
	Linked   bool   `json:"linked"`
	Username string `json:"username"`
	Valid    *bool  `json:"valid"`
	Service  string `json:"keyring_service"`
}

// cmd runs plexlink.exe with args and checks its exit code; it never logs stdout, which may
// be a token.
func (w *world) cmd(t *testing.T, env []string, wantCode int, args ...string) result {
	t.Helper()
	res := w.wine(env, 2*time.Minute, w.cli, args...)
	if res.err != nil {
		t.Fatalf("plexlink.exe %s: %v\n%s", strings.Join(args, " "), res.err, w.logTail())
	}
	if res.code != wantCode {
		out := res.output()
		if len(args) > 0 && (args[0] == "token" || args[0] == "env") {
			out = "--- stderr:\n" + res.stderr // stdout holds tokens
		}
		t.Fatalf("plexlink.exe %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), res.code, wantCode, out, w.logTail())
	}
	t.Logf("plexlink.exe %s: exit %d in %v", strings.Join(args, " "), res.code, res.took.Round(time.Millisecond))
	return res
}

func (w *world) status(t *testing.T, env []string, wantCode int) statusJSON {
	t.Helper()
	res := w.cmd(t, env, wantCode, "status", "--json")
	var st statusJSON
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &st); err != nil {
		t.Fatalf("plexlink.exe status --json printed no JSON (%v):\n%s", err, res.output())
	}
	return st
}

// link runs `plexlink.exe link --no-browser`, approves the code it prints with approve, and
// returns the finished process.
func (w *world) link(t *testing.T, env []string, approve func(code string) error) result {
	t.Helper()
	p, err := w.start(env, "wine", w.cli, "link", "--no-browser")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	approved := false
	for !approved && time.Now().Before(deadline) {
		select {
		case <-p.done:
			res := p.wait(0)
			t.Fatalf("plexlink.exe link exited (%d) before printing a code\n%s\n%s", res.code, res.output(), w.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if m := pinInURL.FindStringSubmatch(p.Stdout()); m != nil {
			code, _ := url.QueryUnescape(m[1])
			if err := approve(code); err != nil {
				t.Fatalf("approving %s: %v", code, err)
			}
			approved = true
		}
	}
	if !approved {
		res := p.wait(0)
		t.Fatalf("plexlink.exe link printed no link URL with ?pin= within 60s\n%s", res.output())
	}
	return p.wait(60 * time.Second)
}

// sameCredential fails unless the token plexlink.exe prints is the credential Wine's
// Credential Manager holds, comparing hashes; the token itself is never printed.
func (w *world) sameCredential(t *testing.T, env []string, service string) string {
	t.Helper()
	res := w.cmd(t, env, 0, "token")
	tok := strings.TrimSuffix(strings.TrimSuffix(res.stdout, "\n"), "\r")
	if tok == "" || strings.ContainsAny(tok, " \r\n") {
		t.Fatalf("plexlink.exe token printed %s over %d line(s), want one token line",
			session.Fingerprint(tok), strings.Count(res.stdout, "\n"))
	}
	if got := w.credential(t, env, service); got != hashOf(tok) {
		t.Fatalf("plexlink.exe token printed %s, but the Credential Manager holds %s", session.Fingerprint(tok), got)
	}
	return tok
}

// TestCLIFlow is the command-line flow of issue 15 through the release plexlink.exe, against the
// Linux `plexlink fake-server` on loopback.
func TestCLIFlow(t *testing.T) {
	w := shared(t)
	fake := session.StartFakeServer(t, session.Binary(t), "--username", username)
	const service = "plexlink-wine-cli"
	env := w.env("PLEXLINK_SERVER_URL="+fake.APIURL, "PLEXLINK_LINK_URL="+fake.LinkURL,
		"PLEXLINK_KEYRING_SERVICE="+service)
	started := time.Now()

	res := w.cmd(t, env, 0, "version")
	if v := strings.TrimSpace(res.stdout); !strings.HasPrefix(v, "plexlink ") || !strings.Contains(v, "windows/amd64") {
		t.Fatalf("plexlink.exe version printed %q, want \"plexlink <ver> (go…, windows/amd64)\"", v)
	}

	if st := w.status(t, env, 1); st.Linked || st.Service != service {
		t.Fatalf("before linking: status --json = %+v, want linked false under service %s", st, service)
	}
	if got := w.credential(t, env, service); got != "absent" {
		t.Fatalf("the Credential Manager holds %s before any link", got)
	}

	res = w.link(t, env, fake.Approve)
	if res.code != 0 || !strings.Contains(res.stdout, "Linked as "+username) {
		t.Fatalf("plexlink.exe link --no-browser: exit %d, want 0 and \"Linked as %s\"\n%s\n%s", res.code, username, res.output(), w.logTail())
	}
	t.Logf("plexlink.exe link --no-browser + approval: exit 0 in %v", res.took.Round(time.Millisecond))

	tok := w.sameCredential(t, env, service)
	for _, r := range []result{res} {
		if strings.Contains(r.stdout+r.stderr, tok) {
			t.Fatal("plexlink.exe link printed the token")
		}
	}

	st := w.status(t, env, 0)
	if !st.Linked || st.Username != username || st.Valid == nil || !*st.Valid {
		t.Fatalf("after linking: status --json = %+v, want linked as %s and valid", st, username)
	}

	w.handOff(t, env, service, tok)
	w.consoleProgram(t, env)

	res = w.cmd(t, env, 0, "unlink")
	if !strings.Contains(res.stdout, "Unlinked") {
		t.Fatalf("plexlink.exe unlink said:\n%s", res.output())
	}
	if got := w.credential(t, env, service); got != "absent" {
		t.Fatalf("after unlink the Credential Manager still holds %s", got)
	}
	if got := w.credentialAt(t, env, service+":tool:plexapi"); got != "absent" {
		t.Fatalf("after unlink the Credential Manager still holds plexapi's token (%s)", got)
	}
	res = w.cmd(t, env, 1, "token")
	if res.stdout != "" || !strings.Contains(res.stderr, "not linked") {
		t.Fatalf("plexlink.exe token after unlink: stdout %s, stderr %q; want nothing on stdout and \"not linked\"",
			session.Fingerprint(res.stdout), res.stderr)
	}
	if st := w.status(t, env, 1); st.Linked {
		t.Fatalf("after unlink: status --json = %+v", st)
	}
	t.Logf("wine: CLI flow in %v", time.Since(started).Round(time.Millisecond))
}

// handOff runs the tools hand-off commands through the .exe while linked: servers, a
// server's token, a tool's own token (checked in the Credential Manager), tools, env in two
// formats, exec of a Windows program, tools revoke; and leaves a second tool's token for
// unlink to remove. acct is the account token, only ever compared.
func (w *world) handOff(t *testing.T, env []string, service, acct string) {
	t.Helper()
	const server = "Living Room" // one of the fake's media servers (auth/plextvtest/servers.go)
	res := w.cmd(t, env, 0, "servers", "--json")
	var servers []struct {
		Name  string `json:"name"`
		Owned bool   `json:"owned"`
		URL   string `json:"url"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &servers); err != nil {
		t.Fatalf("servers --json printed no JSON list (%v):\n%s", err, res.output())
	}
	url := ""
	for _, s := range servers {
		if s.Name == server && s.Owned {
			url = s.URL
		}
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("servers --json has no owned %q answering on loopback:\n%s", server, res.stdout)
	}

	res = w.cmd(t, env, 0, "token", "--server", server)
	if st := strings.TrimSpace(res.stdout); st == "" || st == acct || strings.Contains(st, "\n") {
		t.Fatalf("token --server %q printed %s, want the server's own access token", server, session.Fingerprint(st))
	}

	res = w.cmd(t, env, 0, "token", "--tool", "kometa")
	tool := strings.TrimSpace(res.stdout)
	if tool == "" || tool == acct {
		t.Fatalf("token --tool kometa printed %s, want a token of its own", session.Fingerprint(tool))
	}
	if got := w.credentialAt(t, env, service+":tool:kometa"); got != hashOf(tool) {
		t.Fatalf("token --tool kometa printed %s, the Credential Manager holds %s", session.Fingerprint(tool), got)
	}
	res = w.cmd(t, env, 0, "tools")
	if !strings.Contains(res.stdout, "kometa") || strings.Contains(res.stdout, tool) {
		t.Fatalf("tools lists %q: want kometa, never its token", strings.ReplaceAll(res.stdout, tool, "[token]"))
	}

	res = w.cmd(t, env, 0, "env", "--server", server, "--tool", "kometa", "--format", "json")
	var vars map[string]string
	if err := json.Unmarshal([]byte(res.stdout), &vars); err != nil {
		t.Fatalf("env --format json printed no JSON object (%v)", err)
	}
	if vars["PLEX_URL"] != url || vars["KOMETA_PLEX_URL"] != url || vars["PLEX_TOKEN"] == "" ||
		vars["KOMETA_PLEX_TOKEN"] != vars["PLEX_TOKEN"] {
		t.Fatalf("env --server %q --tool kometa: PLEX_URL %q, KOMETA_PLEX_URL %q, PLEX_TOKEN %s; want %s and one token",
			server, vars["PLEX_URL"], vars["KOMETA_PLEX_URL"], session.Fingerprint(vars["PLEX_TOKEN"]), url)
	}
	res = w.cmd(t, env, 0, "env", "--tool", "kometa", "--format", "powershell")
	if !strings.Contains(res.stdout, "$env:PLEX_TOKEN = '"+tool+"'") {
		t.Fatal("env --tool kometa --format powershell has no `$env:PLEX_TOKEN = '<the tool's token>'` line")
	}

	res = w.cmd(t, env, 3, "exec", "--server", server, "--tool", "kometa", "--", winPath(w.helper), "env-report")
	want := []string{"PLEX_URL=" + url, "PLEX_TOKEN=" + hashOf(vars["PLEX_TOKEN"]), "PLEXLINK_EXEC=1"}
	for _, line := range want {
		if !strings.Contains(res.stdout, line) {
			t.Fatalf("exec handed the Windows program %q, want the lines %q", res.stdout, want)
		}
	}

	w.cmd(t, env, 0, "tools", "revoke", "kometa")
	if got := w.credentialAt(t, env, service+":tool:kometa"); got != "absent" {
		t.Fatalf("after tools revoke kometa the Credential Manager still holds %s", got)
	}
	w.cmd(t, env, 0, "token", "--tool", "plexapi") // for unlink to remove
}

const gatewayHTML = "<html><body>Gateway</body></html>"

// TestCLICorruptedAnswers: rows 3 and 10 of the fault matrix (docs/RELIABILITY.md) through
// the .exe. The fake runs in this test process, on loopback, to inject the faults.
func TestCLICorruptedAnswers(t *testing.T) {
	w := shared(t)
	srv, err := plextvtest.Listen("127.0.0.1:0", plextvtest.WithUsername(username))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	const service = "plexlink-wine-faults"
	env := w.env("PLEXLINK_SERVER_URL="+srv.URL, "PLEXLINK_LINK_URL="+srv.LinkURL,
		"PLEXLINK_KEYRING_SERVICE="+service)
	html := plextvtest.Fault{Body: gatewayHTML, ContentType: "text/html"}
	var minted string
	approve := func(code string) (err error) { minted, err = srv.Approve(code); return err }

	// Row 3: a non-JSON 200 on a poll is retried; the link succeeds.
	srv.FailNext(plextvtest.RoutePin, 1, html)
	res := w.link(t, env, approve)
	if res.code != 0 || !strings.Contains(res.stdout, "Linked as "+username) {
		t.Fatalf("link with an HTML page on a poll: exit %d, want 0 and linked\n%s\n%s", res.code, res.output(), w.logTail())
	}
	if srv.Count(plextvtest.RoutePin) < 2 {
		t.Fatalf("the fake saw %d polls: the HTML answer was not retried", srv.Count(plextvtest.RoutePin))
	}
	kept := w.credential(t, env, service)
	if kept != hashOf(minted) {
		t.Fatalf("after the link the Credential Manager holds %s, not the token the fake minted", kept)
	}
	if strings.Contains(res.stdout+res.stderr, minted) {
		t.Fatal("plexlink.exe link printed the token")
	}

	// Row 10: the HTML page on 5 polls in a row ends the link; the stored token stays.
	srv.FailNext(plextvtest.RoutePin, 5, html)
	p, err := w.start(env, "wine", w.cli, "link", "--no-browser")
	if err != nil {
		t.Fatal(err)
	}
	res = p.wait(90 * time.Second)
	if res.err != nil || res.code != 1 || !strings.Contains(res.stderr, "5 undecodable answers in a row") {
		t.Fatalf("link with 5 HTML polls in a row: exit %d (%v), want 1 saying \"5 undecodable answers in a row\"\n%s",
			res.code, res.err, res.output())
	}
	t.Logf("plexlink.exe link, 5 HTML polls in a row: exit 1 in %v: %s", res.took.Round(time.Millisecond),
		strings.TrimSpace(lastLine(res.stderr)))
	if got := w.credential(t, env, service); got != kept {
		t.Fatalf("the failed relink changed the stored credential (%s → %s)", kept, got)
	}
	w.cmd(t, env, 0, "unlink")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
