//go:build linux

package cli_test

// Hand-off trust, end to end: the built binary against `plexlink fake-server` and a real
// Secret Service. Each test is one of the ways a token could go where it does not belong,
// outlive unlink or die unseen (docs/RELIABILITY.md, "Hand-off").

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// signOutElsewhere does what removing a device on plex.tv does to its token.
func (w *world) signOutElsewhere(tok string) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, w.fake.APIURL+"/users/signout", nil)
	req.Header.Set("X-Plex-Token", tok)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		w.t.Fatalf("sign-out: HTTP %d", resp.StatusCode)
	}
}

func (w *world) toolToken(name string) string {
	w.t.Helper()
	r := w.run("token", "--tool", name)
	if r.Code != 0 {
		w.t.Fatalf("token --tool %s: exit %d: %s", name, r.Code, r.Stderr)
	}
	return strings.TrimSuffix(r.Stdout, "\n")
}

func TestToolTokenSignedOutBehindOurBackIsRenewed(t *testing.T) {
	w, _ := linkedWorld(t)
	first := w.toolToken("kometa")
	w.signOutElsewhere(first)
	r := w.run("token", "--tool", "kometa")
	second := strings.TrimSuffix(r.Stdout, "\n")
	if r.Code != 0 || second == first || w.userStatus(second) != http.StatusOK {
		t.Fatalf("token --tool after a sign-out elsewhere: exit %d, same token %t, valid %d\n%s", r.Code, second == first, w.userStatus(second), r.Stderr)
	}
	if !strings.Contains(r.Stderr, "no longer accepted kometa's token") {
		t.Errorf("the renewal was not said on stderr: %q", r.Stderr)
	}
	if stored, _ := w.sess.SecretToolLookupUser(w.service, "tool:kometa"); stored != second {
		t.Error("the keychain does not hold the renewed token")
	}
	if again := w.run("token", "--tool", "kometa"); again.Stdout != r.Stdout || again.Stderr != "" {
		t.Errorf("the next use did not hand out the renewed token quietly: %q", again.Stderr)
	}
}

func TestAccountTokenRefusedMeansRelinkForEveryTool(t *testing.T) {
	w, acct := linkedWorld(t)
	tool := w.toolToken("kometa")
	w.signOutElsewhere(tool)
	w.signOutElsewhere(acct) // "sign out of all devices"
	for _, args := range [][]string{{"token", "--tool", "kometa"}, {"env", "--tool", "kometa"}, {"exec", "--tool", "kometa", "--", "true"}} {
		if r := w.run(args...); r.Code != 1 || !strings.Contains(r.Stderr, "relink") || r.Stdout != "" {
			t.Errorf("%v with the account token refused: exit %d %q", args, r.Code, r.Stderr)
		}
	}
	if r := w.link(2); r.Code != 0 {
		t.Fatalf("relink: %s", r.Stderr)
	}
	if fresh := w.toolToken("kometa"); fresh == tool || w.userStatus(fresh) != http.StatusOK {
		t.Error("after the relink, kometa did not get a fresh working token")
	}
}

func TestToolsAndUnlinkWithoutConfigFile(t *testing.T) {
	w, _ := linkedWorld(t)
	k, p := w.toolToken("kometa"), w.toolToken("plexapi")
	cfg := ""
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, "XDG_CONFIG_HOME="); ok {
			cfg = v
		}
	}
	if err := os.RemoveAll(filepath.Join(cfg, "plexlink")); err != nil || cfg == "" {
		t.Fatalf("removing the config dir %q: %v", cfg, err)
	}
	if r := w.run("tools"); r.Code != 0 || !strings.Contains(r.Stdout, "kometa") || !strings.Contains(r.Stdout, "plexapi") {
		t.Fatalf("tools without config.json: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if err := os.RemoveAll(filepath.Join(cfg, "plexlink")); err != nil {
		t.Fatal(err)
	}
	if r := w.run("unlink", "--sign-out"); r.Code != 0 || !strings.Contains(r.Stdout, "kometa") {
		t.Fatalf("unlink --sign-out without config.json: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if w.userStatus(k) != http.StatusUnauthorized || w.userStatus(p) != http.StatusUnauthorized {
		t.Error("a tool's token stays valid on plex.tv after unlink --sign-out without config.json")
	}
	for _, user := range []string{"tool:kometa", "tool:plexapi", "tools"} {
		if _, err := w.sess.SecretToolLookupUser(w.service, user); err == nil {
			t.Errorf("keychain item %s survived unlink", user)
		}
	}
}

func TestConcurrentToolTokensMintOne(t *testing.T) {
	w, _ := linkedWorld(t)
	var wg sync.WaitGroup
	out := make([]result, 3)
	for i := range out {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = w.run("token", "--tool", "kometa") }()
	}
	wg.Wait()
	for _, r := range out {
		if r.Code != 0 || r.Stdout != out[0].Stdout {
			t.Fatalf("three concurrent first uses of --tool kometa gave different tokens or failed: %d %q", r.Code, r.Stderr)
		}
	}
	tok := strings.TrimSuffix(out[0].Stdout, "\n")
	if rv := w.run("tools", "revoke", "kometa"); rv.Code != 0 || w.userStatus(tok) != http.StatusUnauthorized {
		t.Fatalf("revoke: exit %d", rv.Code)
	}
	if mint := w.run("token", "--tool", "kometa"); mint.Code != 0 {
		t.Fatal(mint.Stderr)
	}
}

func TestRelinkAsAnotherAccountDropsItsTools(t *testing.T) {
	w, _ := linkedWorld(t)
	tool := w.toolToken("kometa")
	cmd := w.command("link")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.ApproveWith(w.pinFrom(w.waitOpened(2)), w.fake.OtherAccountToken); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("link as another account: %v\n%s%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "Linked as other") || !strings.Contains(errb.String(), "another account") || !strings.Contains(errb.String(), "kometa") {
		t.Errorf("the relink did not say the previous account's tools were dropped:\n%s%s", out.String(), errb.String())
	}
	if w.userStatus(tool) != http.StatusUnauthorized {
		t.Error("the previous account's tool token was not signed out")
	}
	if r := w.run("tools"); strings.Contains(r.Stdout, "kometa") {
		t.Errorf("tools still lists the previous account's tool:\n%s", r.Stdout)
	}
	if fresh := w.toolToken("kometa"); fresh == tool {
		t.Error("the previous account's tool token was handed out after the relink")
	}
}

func TestUnlinkStopsAPendingLink(t *testing.T) {
	w, _ := linkedWorld(t)
	cmd := w.command("link", "--no-browser")
	stdout, _ := cmd.StdoutPipe()
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	code := ""
	sc := bufio.NewScanner(stdout)
	for code == "" && sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 1 && len(f[0]) == 4 {
			code = f[0]
		}
	}
	go func() {
		_ = sc.Err()
		for sc.Scan() {
		}
	}()
	if code == "" {
		t.Fatal("link printed no code")
	}
	if r := w.run("unlink"); r.Code != 0 {
		t.Fatalf("unlink while a link is pending: exit %d %s", r.Code, r.Stderr)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the pending link was still running after unlink returned")
	}
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(errb.String(), "unlink") {
		t.Errorf("the stopped link: exit %d %q", cmd.ProcessState.ExitCode(), errb.String())
	}
	// The user approves the code afterwards: nothing may land.
	_ = w.fake.Approve(code)
	time.Sleep(1500 * time.Millisecond)
	if _, found := w.keychain(); found {
		t.Fatal("a link started before unlink landed after it: the computer is linked again")
	}
	if r := w.run("status", "--offline"); r.Code != 1 {
		t.Errorf("status after unlink: exit %d", r.Code)
	}
}

func TestAccountTokenIsNotSentToAnotherHost(t *testing.T) {
	w, _ := linkedWorld(t)
	w.toolToken("kometa")
	proxy, hits := session.RecordingProxy(t)
	other := "https://plex.example.invalid/api/v2"
	for _, args := range [][]string{
		{"status"}, {"servers"}, {"token", "--tool", "kometa"}, {"env", "--server", "Living Room"},
		{"tools", "revoke", "kometa"}, {"unlink", "--sign-out"},
	} {
		cmd := w.command(append([]string{"--server-url", other}, args...)...)
		cmd.Env = append(cmd.Env, "HTTPS_PROXY="+proxy, "HTTP_PROXY="+proxy)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err == nil || cmd.ProcessState.ExitCode() != 1 || !strings.Contains(errb.String(), "PLEXLINK_KEYRING_SERVICE=") {
			t.Errorf("%v against %s: exit %d, want 1 and how to link that host\n%s%s", args, other, cmd.ProcessState.ExitCode(), out.String(), errb.String())
		}
	}
	if n := hits(); n != 0 {
		t.Errorf("%d connections were attempted to the other host", n)
	}
	if _, found := w.keychain(); !found {
		t.Error("a refused command removed the token")
	}
}
