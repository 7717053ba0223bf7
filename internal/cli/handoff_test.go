//go:build linux

package cli_test

// The tools hand-off commands (servers, token --server/--tool, env, exec, tools) run as
// the real binary against `plexlink fake-server` and its fake media servers on loopback.

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

func linkedWorld(t *testing.T) (*world, string) {
	t.Helper()
	w := newWorld(t)
	if r := w.link(1); r.Code != 0 {
		t.Fatalf("link: exit %d: %s", r.Code, r.Stderr)
	}
	tok, _ := w.keychain()
	return w, tok
}

// identityStatus asks a fake media server who it is, with tok.
func identityStatus(t *testing.T, base, tok string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/identity", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Plex-Token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type serverOut struct {
	Name        string `json:"name"`
	MachineID   string `json:"machine_id"`
	Owned       bool   `json:"owned"`
	Owner       string `json:"owner"`
	URL         string `json:"url"`
	Connections []struct {
		URI   string `json:"uri"`
		Local bool   `json:"local"`
		Relay bool   `json:"relay"`
		OK    bool   `json:"ok"`
	} `json:"connections"`
}

func TestServersAndServerTokens(t *testing.T) {
	w, acct := linkedWorld(t)
	start := time.Now()
	r := w.run("servers", "--json")
	if r.Code != 0 {
		t.Fatalf("servers --json: exit %d: %s", r.Code, r.Stderr)
	}
	// Old NAS has a candidate that accepts and never answers: one probe timeout (3 s), not more.
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("servers took %s with one silent candidate", d)
	}
	// The documented shape, exactly: a field added or renamed here breaks scripts.
	var shape []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &shape); err != nil || len(shape) == 0 {
		t.Fatalf("servers --json: %v", err)
	}
	keys := func(m map[string]any) string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return strings.Join(k, ",")
	}
	if got := keys(shape[0]); got != "connections,machine_id,name,owned,owner,url" {
		t.Errorf("server keys %s", got)
	}
	if got := keys(shape[0]["connections"].([]any)[0].(map[string]any)); got != "local,ok,relay,uri" {
		t.Errorf("connection keys %s", got)
	}
	var list []serverOut
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil {
		t.Fatalf("servers --json is not a JSON array: %v\n%s", err, r.Stdout)
	}
	if len(list) != 3 || list[0].Name != plextvtest.OwnedServerName || list[1].Owner != plextvtest.SharedServerOwner || list[1].Owned {
		t.Fatalf("servers --json = %s", r.Stdout)
	}
	if list[2].URL != "" || len(list[2].Connections) == 0 {
		t.Errorf("%s has only closed ports but got url %q", list[2].Name, list[2].URL)
	}
	text := w.run("servers")
	if text.Code != 0 || !strings.Contains(text.Stdout, plextvtest.SharedServerName) || !strings.Contains(text.Stdout, list[0].URL) {
		t.Fatalf("servers: exit %d\n%s%s", text.Code, text.Stdout, text.Stderr)
	}

	var tokens []string
	for _, s := range list[:2] {
		byName := w.run("token", "--server", s.Name)
		byID := w.run("token", "--server", s.MachineID)
		if byName.Code != 0 || byName.Stdout != byID.Stdout || byName.Stderr != "" {
			t.Fatalf("token --server %q: exit %d (by id %d) %s", s.Name, byName.Code, byID.Code, byName.Stderr)
		}
		tok := strings.TrimSuffix(byName.Stdout, "\n")
		if tok == acct || identityStatus(t, s.URL, tok) != http.StatusOK {
			t.Errorf("%s: its token is the account token or is refused at the url servers printed", s.Name)
		}
		tokens = append(tokens, tok)
	}
	if tokens[0] == tokens[1] {
		t.Error("two servers handed out the same token")
	}
	for _, tok := range append(tokens, acct) {
		if strings.Contains(r.Stdout+r.Stderr+text.Stdout+text.Stderr, tok) {
			t.Fatal("servers printed a token")
		}
	}

	unknown := w.run("token", "--server", "Nope")
	if unknown.Code != 1 || unknown.Stdout != "" || !strings.Contains(unknown.Stderr, plextvtest.OwnedServerName) {
		t.Errorf("token --server Nope: exit %d, stdout %q, stderr %q; want exit 1 and the list of names", unknown.Code, unknown.Stdout, unknown.Stderr)
	}
	down := w.run("servers", "--server-url", "http://127.0.0.1:1/api/v2")
	if down.Code != 1 || !strings.Contains(down.Stderr, "listing your servers") {
		t.Errorf("servers with plex.tv unreachable: exit %d, %q", down.Code, down.Stderr)
	}
	if r := w.run("unlink"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	if r := w.run("servers"); r.Code != 1 || !strings.Contains(r.Stderr, "not linked") {
		t.Errorf("servers while not linked: exit %d, %q", r.Code, r.Stderr)
	}
}

func TestToolTokens(t *testing.T) {
	w, acct := linkedWorld(t)
	first := w.run("token", "--tool", "kometa")
	if first.Code != 0 || first.Stderr != "" {
		t.Fatalf("token --tool kometa: exit %d: %s", first.Code, first.Stderr)
	}
	tok := strings.TrimSuffix(first.Stdout, "\n")
	stored, err := w.sess.SecretToolLookupUser(w.service, "tool:kometa")
	if err != nil || stored != tok || tok == acct || w.userStatus(tok) != http.StatusOK {
		t.Fatalf("the tool token is not the keychain's tool:kometa item, or is the account token, or is refused (%v)", err)
	}
	if again := w.run("token", "--tool", "kometa"); again.Stdout != first.Stdout {
		t.Fatal("a second token --tool kometa gave another token")
	}
	var tools []struct {
		Name     string `json:"name"`
		ClientID string `json:"client_id"`
	}
	lst := w.run("tools", "--json")
	if err := json.Unmarshal([]byte(lst.Stdout), &tools); err != nil || lst.Code != 0 || len(tools) != 1 || tools[0].Name != "kometa" {
		t.Fatalf("tools --json: exit %d %v: %s", lst.Code, err, lst.Stdout)
	}
	var env map[string]string
	e := w.run("env", "--tool", "kometa", "--format", "json")
	if err := json.Unmarshal([]byte(e.Stdout), &env); err != nil || e.Code != 0 {
		t.Fatalf("env --tool kometa --format json: exit %d %v", e.Code, err)
	}
	if env["PLEX_TOKEN"] != tok || env["PLEXAPI_HEADER_PRODUCT"] != "kometa" || !strings.Contains(lst.Stdout, env["PLEXAPI_HEADER_IDENTIFIER"]) || env["PLEXAPI_HEADER_IDENTIFIER"] == "" {
		t.Errorf("env --tool: identifier %q product %q, token matches %t", env["PLEXAPI_HEADER_IDENTIFIER"], env["PLEXAPI_HEADER_PRODUCT"], env["PLEX_TOKEN"] == tok)
	}
	if strings.Contains(lst.Stdout, tok) {
		t.Fatal("tools printed a token")
	}
	if st := w.run("status", "--json"); !strings.Contains(st.Stdout, `"tools":1`) {
		t.Errorf("status --json: %s", st.Stdout)
	}
	if bad := w.run("token", "--tool", "Not OK"); bad.Code != 2 {
		t.Errorf("token --tool 'Not OK': exit %d, want 2", bad.Code)
	}

	other := strings.TrimSuffix(w.run("token", "--tool", "plexapi").Stdout, "\n")
	if rv := w.run("tools", "revoke", "kometa"); rv.Code != 0 {
		t.Fatalf("tools revoke kometa: exit %d %s", rv.Code, rv.Stderr)
	}
	if w.userStatus(tok) != http.StatusUnauthorized || w.userStatus(acct) != http.StatusOK || w.userStatus(other) != http.StatusOK {
		t.Error("revoking kometa must kill its token and only its token")
	}
	if _, err := w.sess.SecretToolLookupUser(w.service, "tool:kometa"); err == nil {
		t.Error("the revoked token is still in the keychain")
	}
	if rv := w.run("tools", "revoke", "kometa"); rv.Code != 1 {
		t.Errorf("revoking again: exit %d, want 1", rv.Code)
	}
	if un := w.run("unlink", "--sign-out"); un.Code != 0 || !strings.Contains(un.Stdout, "plexapi") {
		t.Fatalf("unlink --sign-out: exit %d\n%s%s", un.Code, un.Stdout, un.Stderr)
	}
	if _, err := w.sess.SecretToolLookupUser(w.service, "tool:plexapi"); err == nil || w.userStatus(other) != http.StatusUnauthorized {
		t.Error("unlink --sign-out left the plexapi tool token stored or valid")
	}
}

// A hand-off from an earlier `eval "$(plexlink env --server …)"` is in the environment: exec
// and env without --server must not leave that server's URL (or another tool's identity)
// next to the token they hand over.
func TestExecAndEnvDropStaleVariables(t *testing.T) {
	w, _ := linkedWorld(t)
	stale := []string{"PLEX_URL=http://127.0.0.1:9/grandma", "PLEXAPI_AUTH_SERVER_BASEURL=http://127.0.0.1:9/grandma",
		"KOMETA_PLEX_URL=http://127.0.0.1:9/grandma", "PLEXAPI_HEADER_IDENTIFIER=stale-id", "PLEXAPI_HEADER_PRODUCT=stale",
		"PLEXAPI_HEADER_DEVICE_NAME=stale", "PLEX_TOKEN=stale", "PLEXAPI_AUTH_SERVER_TOKEN=stale", "KOMETA_PLEX_TOKEN=stale"}
	show := `for n in PLEX_URL PLEXAPI_AUTH_SERVER_BASEURL KOMETA_PLEX_URL PLEXAPI_HEADER_IDENTIFIER PLEXAPI_HEADER_PRODUCT PLEXAPI_HEADER_DEVICE_NAME PLEX_TOKEN; do
	eval "v=\${$n-unset}"; case $v in unset) echo "$n unset";; *stale*) echo "$n stale";; *) echo "$n fresh";; esac
done`
	want := map[string]string{ // with --tool kometa: its identity, no URL
		"":       "PLEX_URL unset\nPLEXAPI_AUTH_SERVER_BASEURL unset\nKOMETA_PLEX_URL unset\nPLEXAPI_HEADER_IDENTIFIER unset\nPLEXAPI_HEADER_PRODUCT unset\nPLEXAPI_HEADER_DEVICE_NAME unset\nPLEX_TOKEN fresh\n",
		"kometa": "PLEX_URL unset\nPLEXAPI_AUTH_SERVER_BASEURL unset\nKOMETA_PLEX_URL unset\nPLEXAPI_HEADER_IDENTIFIER fresh\nPLEXAPI_HEADER_PRODUCT fresh\nPLEXAPI_HEADER_DEVICE_NAME fresh\nPLEX_TOKEN fresh\n",
	}
	for _, tool := range []string{"", "kometa"} {
		var flags []string
		if tool != "" {
			flags = []string{"--tool", tool}
		}
		ex := w.command(append(append([]string{"exec"}, flags...), "--", "sh", "-c", show)...)
		ex.Env = append(append([]string(nil), w.env...), stale...)
		out, err := ex.Output()
		if err != nil || string(out) != want[tool] {
			t.Errorf("exec %v with stale variables: %v\n%s\nwant\n%s", flags, err, out, want[tool])
		}
		ev := exec.Command("sh", append([]string{"-c", `eval "$("$0" env "$@")" || exit 9; ` + show, session.Binary(t)}, flags...)...)
		ev.Env = append(append([]string(nil), w.env...), stale...)
		out, err = ev.Output()
		if err != nil || string(out) != want[tool] {
			t.Errorf("eval of env %v with stale variables: %v\n%s\nwant\n%s", flags, err, out, want[tool])
		}
	}
}

func TestExec(t *testing.T) {
	session.RequireTool(t, "curl", "curl")
	w, _ := linkedWorld(t)
	check := `test "$PLEXLINK_EXEC" = 1 || exit 11
case "$(tr '\0' ' ' </proc/$$/cmdline) $(tr '\0' ' ' </proc/$PPID/cmdline)" in *"$PLEX_TOKEN"*) exit 12;; esac
test "$PLEX_URL" = "$PLEXAPI_AUTH_SERVER_BASEURL" -a "$PLEX_TOKEN" = "$KOMETA_PLEX_TOKEN" || exit 13
curl -sf -o /dev/null -H "Accept: application/json" -H "X-Plex-Token: $PLEX_TOKEN" "$PLEX_URL/identity" || exit 14
echo through`
	r := w.run("exec", "--server", plextvtest.SharedServerName, "--", "sh", "-c", check)
	if r.Code != 0 || r.Stdout != "through\n" {
		t.Fatalf("exec --server: exit %d (11 no marker, 12 token in argv, 13 vars differ, 14 url/token refused)\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := w.run("exec", "--", "sh", "-c", "exit 7"); r.Code != 7 {
		t.Errorf("child exit 7 → plexlink exit %d", r.Code)
	}
	if r := w.run("exec", "--", "sh", "-c", "kill -TERM $$"); r.Code != 128+int(syscall.SIGTERM) {
		t.Errorf("child killed by SIGTERM → exit %d, want 143", r.Code)
	}
	if r := w.run("exec", "--", "no-such-command-plexlink"); r.Code != 127 {
		t.Errorf("missing command → exit %d, want 127", r.Code)
	}
	nested := w.command("exec", "--", "true")
	nested.Env = append(nested.Env, "PLEXLINK_EXEC=1")
	if err := nested.Run(); err == nil || nested.ProcessState.ExitCode() != 2 {
		t.Errorf("exec inside exec: exit %d, want 2", nested.ProcessState.ExitCode())
	}
	forced := w.command("exec", "--force", "--", "true")
	forced.Env = append(forced.Env, "PLEXLINK_EXEC=1")
	if err := forced.Run(); err != nil {
		t.Errorf("exec --force inside exec: %v", err)
	}

	// SIGINT sent to plexlink alone reaches the child, and the child's answer is plexlink's.
	cmd := w.command("exec", "--", "sh", "-c", `trap 'echo got-INT; exit 3' INT; echo ready; while :; do sleep 0.05; done`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // not in a terminal's foreground, even when the tests are
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("child did not start: %q", sc.Text())
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	sc.Scan()
	got := sc.Text()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("plexlink exec did not end after SIGINT")
	}
	if got != "got-INT" || cmd.ProcessState.ExitCode() != 3 {
		t.Errorf("after SIGINT: child printed %q, plexlink exit %d; want got-INT and 3", got, cmd.ProcessState.ExitCode())
	}

	if r := w.run("unlink"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	if r := w.run("exec", "--", "touch", marker); r.Code != 1 || !strings.Contains(r.Stderr, "not linked") {
		t.Errorf("exec while not linked: exit %d %q", r.Code, r.Stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("exec started the command although not linked")
	}
}
