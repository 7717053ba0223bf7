//go:build linux

package cli_test

// Plex Home users through every command (issue #22), as the real binary against
// `plexlink fake-server`: users, token/servers/env/exec/tools --user, the PIN rules,
// unlink. Tokens are compared, never printed (session.Fingerprint in messages).

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

type homeUserOut struct {
	Name       string `json:"name"`
	UUID       string `json:"uuid"`
	Admin      bool   `json:"admin"`
	Restricted bool   `json:"restricted"`
	Protected  bool   `json:"protected"`
}

// runWith runs the binary with extra environment variables.
func (w *world) runWith(extra []string, args ...string) result {
	w.t.Helper()
	saved := w.env
	w.env = append(append([]string(nil), saved...), extra...)
	defer func() { w.env = saved }()
	return w.run(args...)
}

// plexGet asks the fake plex.tv for path with tok and decodes the JSON answer into v.
func (w *world) plexGet(path, tok string, v any) int {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.fake.APIURL+path, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Plex-Client-Identifier", "e2e-checker")
	req.Header.Set("X-Plex-Token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			w.t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

// whoseToken is the uuid of the account tok belongs to ("" when plex.tv refuses it).
func (w *world) whoseToken(tok string) string {
	var u struct {
		UUID string `json:"uuid"`
	}
	w.plexGet("/user", tok, &u)
	return u.UUID
}

// accessTokenFor is the access token plex.tv gives tok's account for the server named name.
func (w *world) accessTokenFor(tok, name string) string {
	var res []struct {
		Name        string `json:"name"`
		AccessToken string `json:"accessToken"`
	}
	w.plexGet("/resources?includeHttps=1&includeRelay=1", tok, &res)
	for _, r := range res {
		if r.Name == name {
			return r.AccessToken
		}
	}
	return ""
}

func bare(s string) string { return strings.TrimSuffix(s, "\n") }

func TestHomeUsersThroughCommands(t *testing.T) {
	w, acct := linkedWorld(t)
	var protectedPIN string
	for _, u := range w.fake.HomeUsers {
		if u.PIN != nil {
			protectedPIN = *u.PIN
		}
	}
	if len(w.fake.HomeUsers) != 2 || protectedPIN == "" {
		t.Fatalf("fake-server's start line names %d Home users (%+v), want a managed one and one with a PIN", len(w.fake.HomeUsers), w.fake.HomeUsers)
	}

	// users: the admin and both members, never a token.
	r := w.run("users", "--json")
	var users []homeUserOut
	if err := json.Unmarshal([]byte(r.Stdout), &users); err != nil || r.Code != 0 || len(users) != 3 {
		t.Fatalf("users --json: exit %d %v\n%s%s", r.Code, err, r.Stdout, r.Stderr)
	}
	byName := map[string]homeUserOut{}
	for _, u := range users {
		byName[u.Name] = u
	}
	kid, alice := byName[plextvtest.ManagedUserTitle], byName[plextvtest.ProtectedUserName]
	if !users[0].Admin || !kid.Restricted || kid.Protected || !alice.Protected || alice.Admin || kid.UUID == "" || alice.UUID == "" {
		t.Fatalf("users --json = %s", r.Stdout)
	}
	for _, u := range w.fake.HomeUsers {
		if _, ok := byName[u.Name]; !ok {
			t.Errorf("users does not list %s", u.Name)
		}
	}
	text := w.run("users")
	if text.Code != 0 || !strings.Contains(text.Stdout, plextvtest.ProtectedUserName) || !strings.Contains(text.Stdout, kid.UUID) {
		t.Fatalf("users: exit %d\n%s%s", text.Code, text.Stdout, text.Stderr)
	}
	if strings.Contains(r.Stdout+text.Stdout, acct) {
		t.Fatal("users printed the account token")
	}
	// Shell completion offers the Home's names for --user.
	comp := w.run("__complete", "token", "--user", "")
	if !strings.Contains(comp.Stdout, plextvtest.ManagedUserTitle+"\tmanaged") || !strings.Contains(comp.Stdout, plextvtest.ProtectedUserName+"\tmember, PIN") {
		t.Errorf("completing --user: %q", comp.Stdout)
	}

	// token --user: each member's own token, kept as user:UUID; the admin's is the account's.
	k := w.run("token", "--user", strings.ToLower(plextvtest.ManagedUserTitle))
	kidTok := bare(k.Stdout)
	if k.Code != 0 || w.whoseToken(kidTok) != kid.UUID || kidTok == acct {
		t.Fatalf("token --user Kid: exit %d %s; token %s is not Kid's", k.Code, k.Stderr, session.Fingerprint(kidTok))
	}
	if stored, err := w.sess.SecretToolLookupUser(w.service, "user:"+kid.UUID); err != nil || stored != kidTok {
		t.Fatalf("Kid's token is not the keychain item user:%s (%v)", kid.UUID, err)
	}
	if again := w.run("token", "--user", kid.UUID); bare(again.Stdout) != kidTok {
		t.Error("token --user by uuid gave another token than by name")
	}
	if self := w.run("token", "--user", users[0].Name); self.Code != 0 || bare(self.Stdout) != acct {
		t.Errorf("token --user <the account itself>: exit %d; want the account token", self.Code)
	}
	if none := w.run("token", "--user", "nobody"); none.Code != 1 || !strings.Contains(none.Stderr, "plexlink users") {
		t.Errorf("token --user nobody: exit %d %q", none.Code, none.Stderr)
	}

	// The protected member: no PIN and no terminal → 1; a wrong PIN → 1, nothing changed.
	noPIN := w.run("token", "--user", plextvtest.ProtectedUserName)
	if noPIN.Code != 1 || noPIN.Stdout != "" || !strings.Contains(noPIN.Stderr, "PLEXLINK_HOME_PIN") {
		t.Fatalf("token --user alice without a PIN: exit %d, stdout %s, stderr %q", noPIN.Code, session.Fingerprint(noPIN.Stdout), noPIN.Stderr)
	}
	wrong := w.runWith([]string{"PLEXLINK_HOME_PIN=0000"}, "token", "--user", plextvtest.ProtectedUserName)
	if wrong.Code != 1 || wrong.Stdout != "" || !strings.Contains(wrong.Stderr, "wrong Plex Home PIN") || strings.Contains(wrong.Stderr, "0000") {
		t.Fatalf("token --user alice with a wrong PIN: exit %d, stderr %q", wrong.Code, wrong.Stderr)
	}
	if now, _ := w.keychain(); now != acct || w.userStatus(acct) != http.StatusOK {
		t.Fatal("a wrong PIN changed or killed the account token")
	}
	if _, err := w.sess.SecretToolLookupUser(w.service, "user:"+alice.UUID); err == nil {
		t.Fatal("a wrong PIN stored a token for alice")
	}
	a := w.runWith([]string{"PLEXLINK_HOME_PIN=" + protectedPIN}, "token", "--user", plextvtest.ProtectedUserName)
	aliceTok := bare(a.Stdout)
	if a.Code != 0 || w.whoseToken(aliceTok) != alice.UUID {
		t.Fatalf("token --user alice with her PIN: exit %d %s", a.Code, a.Stderr)
	}

	// servers --user: what the member sees (Living Room, shared in the Home).
	sv := w.run("servers", "--user", plextvtest.ManagedUserTitle, "--json")
	var list []serverOut
	if err := json.Unmarshal([]byte(sv.Stdout), &list); err != nil || sv.Code != 0 || len(list) != 1 || list[0].Name != plextvtest.OwnedServerName || list[0].Owned {
		t.Fatalf("servers --user Kid --json: exit %d %v\n%s%s", sv.Code, err, sv.Stdout, sv.Stderr)
	}

	// exec --user Kid --server "Living Room": the child gets Kid's access token to Living
	// Room and a URL that opens it; not the PIN variable.
	dir := t.TempDir()
	ex := w.runWith([]string{"PLEXLINK_HOME_PIN=" + protectedPIN}, "exec", "--user", plextvtest.ManagedUserTitle, "--server", plextvtest.OwnedServerName, "--",
		"sh", "-c", `printf %s "$PLEX_TOKEN" > "$1/token"; printf %s "$PLEX_URL" > "$1/url"; printf %s "${PLEXLINK_HOME_PIN-unset}" > "$1/pin"`, "sh", dir)
	if ex.Code != 0 {
		t.Fatalf("exec --user Kid --server: exit %d %s", ex.Code, ex.Stderr)
	}
	read := func(name string) string { b, _ := os.ReadFile(filepath.Join(dir, name)); return string(b) }
	childTok, childURL := read("token"), read("url")
	owners := bare(w.run("token", "--server", plextvtest.OwnedServerName).Stdout)
	if want := w.accessTokenFor(kidTok, plextvtest.OwnedServerName); want == "" || childTok != want || childTok == owners || childTok == kidTok {
		t.Fatalf("exec --user Kid handed %s, want Kid's access token to Living Room %s (not the owner's or Kid's plex.tv token)",
			session.Fingerprint(childTok), session.Fingerprint(want))
	}
	if childURL == "" || identityStatus(t, childURL, childTok) != http.StatusOK {
		t.Fatalf("the URL handed to the child (%s) does not open Living Room with Kid's token", childURL)
	}
	if read("pin") != "unset" {
		t.Error("exec passed PLEXLINK_HOME_PIN on to the command")
	}

	// token --user --tool: the tool's token of that member, under the tool's identity.
	kt := w.run("token", "--user", plextvtest.ManagedUserTitle, "--tool", "kometa")
	kidKometa := bare(kt.Stdout)
	if kt.Code != 0 || w.whoseToken(kidKometa) != kid.UUID || kidKometa == kidTok {
		t.Fatalf("token --user Kid --tool kometa: exit %d %s", kt.Code, kt.Stderr)
	}
	if stored, err := w.sess.SecretToolLookupUser(w.service, "tool:kometa@"+kid.UUID); err != nil || stored != kidKometa {
		t.Fatalf("Kid's kometa token is not the keychain item tool:kometa@%s (%v)", kid.UUID, err)
	}
	var tools []struct {
		Name, User string
	}
	tl := w.run("tools", "--json")
	if err := json.Unmarshal([]byte(tl.Stdout), &tools); err != nil || len(tools) != 1 || tools[0].Name != "kometa" || tools[0].User != plextvtest.ManagedUserTitle {
		t.Fatalf("tools --json: %v %s", err, tl.Stdout)
	}
	if rv := w.run("tools", "revoke", "--user", plextvtest.ManagedUserTitle, "kometa"); rv.Code != 0 || w.userStatus(kidKometa) != http.StatusUnauthorized || w.userStatus(kidTok) != http.StatusOK {
		t.Fatalf("tools revoke --user Kid kometa: exit %d %s; it must kill that token only", rv.Code, rv.Stderr)
	}

	// unlink --sign-out: every member's token goes too.
	un := w.run("unlink", "--sign-out")
	if un.Code != 0 || !strings.Contains(un.Stdout, "Plex Home user") {
		t.Fatalf("unlink --sign-out: exit %d\n%s%s", un.Code, un.Stdout, un.Stderr)
	}
	for _, tok := range []string{kidTok, aliceTok} {
		if w.userStatus(tok) != http.StatusUnauthorized {
			t.Error("a Home user's token stays valid after unlink --sign-out")
		}
	}
	for _, item := range []string{"user:" + kid.UUID, "user:" + alice.UUID} {
		if _, err := w.sess.SecretToolLookupUser(w.service, item); err == nil {
			t.Errorf("%s is still in the keychain after unlink", item)
		}
	}
	for _, out := range []result{r, text, sv, tl, un, noPIN, wrong} {
		for _, tok := range []string{acct, kidTok, aliceTok, kidKometa} {
			if strings.Contains(out.Stdout+out.Stderr, tok) {
				t.Fatal("a command printed a token where it should not")
			}
		}
	}
}
