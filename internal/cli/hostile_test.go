//go:build linux

package cli_test

// `plexlink fake-server --hostile`: servers shared by someone who wants the account's tokens
// or its terminal. The hostile https server's certificate is trusted through SSL_CERT_FILE,
// so its https connection answers the real binary as a plex.direct one would.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/termtext"
)

// requestsTo asks the fake media server at u's host what it was asked.
func requestsTo(t *testing.T, u string) []plextvtest.Request {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + p.Host + plextvtest.RequestsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reqs []plextvtest.Request
	if err := json.NewDecoder(resp.Body).Decode(&reqs); err != nil {
		t.Fatal(err)
	}
	return reqs
}

// terminalSafe reports the first character of s a terminal would act on (0 if none),
// the final newline of each line aside.
func terminalSafe(s string) rune {
	for _, r := range s {
		if r != '\n' && (r < 0x20 || r >= 0x7f && r <= 0x9f) {
			return r
		}
	}
	return 0
}

func TestHostileServers(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "hostile-ca.pem")
	w := newWorld(t, "--hostile", "--hostile-ca", ca)
	w.env = append(w.env, "SSL_CERT_FILE="+ca)
	if r := w.link(1); r.Code != 0 {
		t.Fatalf("link: exit %d: %s", r.Code, r.Stderr)
	}
	acct, _ := w.keychain()

	js := w.run("servers", "--json")
	if js.Code != 0 {
		t.Fatalf("servers --json: exit %d: %s", js.Code, js.Stderr)
	}
	if r := terminalSafe(js.Stdout); r != 0 {
		t.Errorf("servers --json printed %U raw", r)
	}
	var list []serverOut
	if err := json.Unmarshal([]byte(js.Stdout), &list); err != nil {
		t.Fatalf("servers --json: %v", err)
	}
	byName := map[string]serverOut{}
	for _, s := range list {
		byName[s.Name] = s
	}
	living, evil, studio, imp := byName[plextvtest.OwnedServerName], byName[plextvtest.HostileServerName], byName[plextvtest.DualServerName], byName[plextvtest.ImpostorServerName]
	if len(list) != 6 || list[0].Name != plextvtest.ImpostorServerName || imp.MachineID != living.MachineID {
		t.Fatalf("servers --json: want the impostor first, with Living Room's machine id: %s", js.Stdout)
	}
	if evil.Owner != plextvtest.HostileOwner {
		t.Errorf("servers --json does not round-trip the names: owner %q", evil.Owner)
	}
	if u, err := url.Parse(evil.URL); err != nil || u.Path != "" || u.RawQuery != "" || evil.URL == "" {
		t.Errorf("the server whose uri has a path: url %q, want scheme://host:port", evil.URL)
	}
	if !strings.HasPrefix(studio.URL, "https://") {
		t.Errorf("Studio: url %q, want its https connection", studio.URL)
	}

	text := w.run("servers")
	if text.Code != 0 {
		t.Fatalf("servers: exit %d\n%s", text.Code, text.Stderr)
	}
	if !strings.Contains(text.Stdout, termtext.Clean(plextvtest.HostileServerName)) {
		t.Errorf("servers does not show the hostile name cleaned:\n%q", text.Stdout)
	}
	if r := terminalSafe(text.Stdout + text.Stderr); r != 0 {
		t.Errorf("servers printed %U raw: %q", r, text.Stdout)
	}

	// Asked by id, your own server wins the id; by name, the name decides. Either way the
	// URL is the picked server's: its token works there.
	tok := strings.TrimSuffix(w.run("token", "--server", plextvtest.OwnedServerName).Stdout, "\n")
	if byID := w.run("token", "--server", living.MachineID); byID.Stdout != tok+"\n" || tok == "" {
		t.Errorf("token --server <Living Room's machine id> is not Living Room's token (exit %d)", byID.Code)
	}
	for _, q := range []string{plextvtest.OwnedServerName, living.MachineID} {
		var env map[string]string
		r := w.run("env", "--server", q, "--format", "json")
		if err := json.Unmarshal([]byte(r.Stdout), &env); err != nil || r.Code != 0 {
			t.Fatalf("env --server %q: exit %d %v %s", q, r.Code, err, r.Stderr)
		}
		if env["PLEX_TOKEN"] != tok || env["PLEX_URL"] == imp.URL || identityStatus(t, env["PLEX_URL"], tok) != http.StatusOK {
			t.Errorf("env --server %q: PLEX_URL %q does not take Living Room's token (the impostor is at %q)", q, env["PLEX_URL"], imp.URL)
		}
	}

	var env map[string]string
	r := w.run("env", "--server", plextvtest.HostileServerName, "--format", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &env); err != nil || r.Code != 0 {
		t.Fatalf("env --server <hostile>: exit %d %v %s", r.Code, err, r.Stderr)
	}
	if u, err := url.Parse(env["PLEX_URL"]); err != nil || u.Path != "" || u.RawQuery != "" || env["PLEX_URL"] != evil.URL {
		t.Errorf("PLEX_URL %q, want %q (no path, no query)", env["PLEX_URL"], evil.URL)
	}
	for _, req := range requestsTo(t, evil.URL) {
		if req.URI != "/identity" {
			t.Errorf("the server whose uri has a path was asked %q, want exactly /identity", req.URI)
		}
	}

	r = w.run("env", "--server", plextvtest.DualServerName, "--format", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &env); err != nil || r.Code != 0 || env["PLEX_URL"] != studio.URL {
		t.Fatalf("env --server Studio: exit %d %v, PLEX_URL %q want %q", r.Code, err, env["PLEX_URL"], studio.URL)
	}
	plain := studio.Connections[1].URI
	if !strings.HasPrefix(plain, "http://") {
		t.Fatalf("Studio's second connection %q is not its plain http one", plain)
	}
	reqs := requestsTo(t, plain)
	if len(reqs) == 0 {
		t.Fatal("Studio saw no request at all")
	}
	for _, req := range reqs {
		if req.Token && !req.TLS {
			t.Errorf("Studio got a token over plain http (%s) while its https connection answers", req.URI)
		}
	}

	for _, secret := range []string{acct, tok} {
		if strings.Contains(js.Stdout+js.Stderr+text.Stdout+text.Stderr, secret) {
			t.Fatal("servers printed a token")
		}
	}
}
