package cli_test

// In-process tests of servers, env, exec and tools (see inprocess_test.go).

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func TestInProcessServers(t *testing.T) {
	t.Parallel()
	p := linkedInproc(t)
	owned := p.fx.Server.MediaServer(plextvtest.OwnedServerName)
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		r := p.run("servers")
		r.expect(t, "servers", 0, []string{"NAME", "OWNER", "MACHINE ID",
			plextvtest.OwnedServerName, owned.URL, plextvtest.SharedServerName, plextvtest.SharedServerOwner,
			plextvtest.OfflineServerName, "(none of "}, nil, true)
		p.noToken("servers", r.stdout)
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		r := p.run("servers", "--json")
		r.expect(t, "servers --json", 0, nil, nil, true)
		var got []struct {
			Name        string `json:"name"`
			Owned       bool   `json:"owned"`
			Owner       string `json:"owner"`
			URL         string `json:"url"`
			Connections []struct {
				URI string `json:"uri"`
			} `json:"connections"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		byName := map[string]int{}
		for i, s := range got {
			byName[s.Name] = i
		}
		if len(got) != 3 {
			t.Fatalf("servers --json listed %d servers, want 3:\n%s", len(got), r.stdout)
		}
		living, shared, nas := got[byName[plextvtest.OwnedServerName]], got[byName[plextvtest.SharedServerName]], got[byName[plextvtest.OfflineServerName]]
		// The owner of an owned server is the linked account's name, from config.json (the
		// fixture stores only the token, so none here).
		if !living.Owned || living.Owner == plextvtest.SharedServerOwner || living.URL != owned.URL || len(living.Connections) == 0 {
			t.Errorf("owned server: %+v", living)
		}
		if shared.Owned || shared.Owner != plextvtest.SharedServerOwner || shared.URL == "" {
			t.Errorf("shared server: %+v", shared)
		}
		if nas.URL != "" {
			t.Errorf("offline server has a URL: %+v", nas)
		}
		p.noToken("servers --json", r.stdout)
	})
	t.Run("not linked", func(t *testing.T) {
		t.Parallel()
		newInproc(t).run("servers").expect(t, "servers, not linked", 1, nil, []string{"not linked"}, true)
	})
}

func TestInProcessEnv(t *testing.T) {
	t.Parallel()
	p := linkedInproc(t)
	owned := p.fx.Server.MediaServer(plextvtest.OwnedServerName)
	acct := p.token()
	// Each format sets the token variables to the token, the URL variables (with --server)
	// to the server's URL, and unsets the hand-off variables it does not set.
	for _, c := range []struct {
		format     string
		set, unset func(name, value string) string // a line of the output; unset "" → none
	}{
		{"sh", func(n, v string) string { return "export " + n + "=" + v }, func(n, _ string) string { return "unset " + n }},
		{"fish", func(n, v string) string { return "set -gx " + n + " " + v }, func(n, _ string) string { return "set -e " + n }},
		{"powershell", func(n, v string) string { return "$env:" + n + " = " + v },
			func(n, _ string) string { return "Remove-Item Env:" + n + " -ErrorAction SilentlyContinue" }},
		{"dotenv", func(n, v string) string { return n + "=" + v }, nil},
	} {
		t.Run(c.format, func(t *testing.T) {
			t.Parallel()
			r := p.run("env", "--format", c.format)
			r.expect(t, "env --format "+c.format, 0, nil, nil, false)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			has := func(line string) bool {
				for _, l := range lines {
					// The shells quote: compare without quotes (a token has none).
					if strings.NewReplacer("'", "", `"`, "").Replace(l) == line {
						return true
					}
				}
				return false
			}
			for _, n := range []string{"PLEX_TOKEN", "PLEXAPI_AUTH_SERVER_TOKEN", "KOMETA_PLEX_TOKEN"} {
				if !has(c.set(n, acct)) {
					t.Errorf("env --format %s does not set %s to the account token", c.format, n)
				}
			}
			for _, n := range []string{"PLEX_URL", "PLEXAPI_AUTH_SERVER_BASEURL", "KOMETA_PLEX_URL", "PLEXAPI_HEADER_IDENTIFIER"} {
				if c.unset != nil && !has(c.unset(n, "")) {
					t.Errorf("env --format %s does not unset the stale %s", c.format, n)
				}
				if strings.Contains(r.stdout, n+"=") {
					t.Errorf("env --format %s sets %s without --server/--tool", c.format, n)
				}
			}

			s := p.run("env", "--format", c.format, "--server", plextvtest.OwnedServerName)
			s.expect(t, "env --server --format "+c.format, 0, nil, nil, false)
			lines = strings.Split(strings.TrimSuffix(s.stdout, "\n"), "\n")
			if !has(c.set("PLEX_TOKEN", owned.AccessToken)) || !has(c.set("PLEX_URL", owned.URL)) || !has(c.set("KOMETA_PLEX_URL", owned.URL)) {
				t.Errorf("env --server --format %s: not the server's token and URL", c.format)
			}
			if c.unset != nil && !has(c.unset("PLEXAPI_HEADER_IDENTIFIER", "")) {
				t.Errorf("env --server --format %s does not unset the identity variables", c.format)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		r := p.run("env", "--format", "json", "--tool", "kometa", "--server", plextvtest.OwnedServerName)
		r.expect(t, "env --format json --tool --server", 0, nil, nil, false)
		var got map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal("env --format json is not a JSON object")
		}
		if got["PLEX_TOKEN"] != owned.AccessToken || got["PLEX_URL"] != owned.URL || got["PLEXAPI_HEADER_IDENTIFIER"] == "" || got["PLEXAPI_HEADER_PRODUCT"] == "" {
			t.Errorf("env --format json --tool --server: keys %v", keys(got))
		}
		if len(got) != 9 {
			t.Errorf("env --format json: %d variables (%v), want the 9 of the hand-off table", len(got), keys(got))
		}
	})
	t.Run("default format is sh", func(t *testing.T) {
		t.Parallel()
		r := p.run("env")
		r.expect(t, "env", 0, nil, nil, false)
		if !strings.HasPrefix(r.stdout, "export PLEX_TOKEN=") {
			t.Error("env without --format is not sh")
		}
	})
	t.Run("bad format", func(t *testing.T) {
		t.Parallel()
		p.run("env", "--format", "csh").expect(t, "env --format csh", 2, nil, []string{`env: unknown --format "csh"`, "Usage:"}, true)
	})
	t.Run("offline server", func(t *testing.T) {
		t.Parallel()
		r := p.run("env", "--server", plextvtest.OfflineServerName)
		r.expect(t, "env --server "+plextvtest.OfflineServerName, 1, nil, []string{"connections answered from this computer"}, true)
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// execChild is `plexlink exec`'s arguments to run this test binary as the child.
func execChild(t *testing.T, flags ...string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return append(append(append([]string{"exec"}, flags...), "--"), exe)
}

// childEnv runs `plexlink exec` with the child in "env" mode and returns what it saw.
func (p *inproc) childEnv(t *testing.T, flags ...string) (map[string]string, outcome) {
	t.Helper()
	r := p.run(execChild(t, flags...)...)
	var got map[string]string
	if r.code == 0 {
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("exec %v: the child's output is not its environment", flags)
		}
	}
	return got, r
}

func TestInProcessExec(t *testing.T) {
	t.Parallel()
	base := func(p *inproc, mode string, extra ...string) {
		p.environ = append(append(os.Environ(), childMode+"="+mode, "UNRELATED=kept",
			"PLEX_URL=http://stale.invalid", "KOMETA_PLEX_URL=http://stale.invalid", "PLEXAPI_HEADER_IDENTIFIER=stale"), extra...)
	}
	t.Run("account token, stale variables removed", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		base(p, "env")
		got, r := p.childEnv(t)
		r.expect(t, "exec", 0, nil, nil, false)
		if got["PLEX_TOKEN"] != p.token() || got["KOMETA_PLEX_TOKEN"] != p.token() || got["PLEXLINK_EXEC"] != "1" || got["UNRELATED"] != "kept" {
			t.Errorf("exec: the child did not get the token, the marker and the rest of the environment (keys %v)", keys(got))
		}
		for _, n := range []string{"PLEX_URL", "KOMETA_PLEX_URL", "PLEXAPI_HEADER_IDENTIFIER"} {
			if _, ok := got[n]; ok {
				t.Errorf("exec: the stale %s reached the child", n)
			}
		}
	})
	t.Run("server and tool", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		base(p, "env")
		owned := p.fx.Server.MediaServer(plextvtest.OwnedServerName)
		got, r := p.childEnv(t, "--server", plextvtest.OwnedServerName, "--tool", "kometa")
		r.expect(t, "exec --server --tool", 0, nil, nil, false)
		if got["PLEX_TOKEN"] != owned.AccessToken || got["PLEX_URL"] != owned.URL || got["PLEXAPI_AUTH_SERVER_BASEURL"] != owned.URL {
			t.Errorf("exec --server: not the server's token and URL")
		}
		id, err := p.fx.Service.ToolIdentity("kometa")
		if err != nil {
			t.Fatal(err)
		}
		if got["PLEXAPI_HEADER_IDENTIFIER"] != id.ClientID || got["PLEXAPI_HEADER_PRODUCT"] != id.Product {
			t.Errorf("exec --tool: the child does not have the tool's identity")
		}
	})
	t.Run("exit status passed through", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		base(p, "env", "PLEXLINK_TEST_CHILD_EXIT=7")
		r := p.run(execChild(t)...)
		r.expect(t, "exec, child exits 7", 7, nil, nil, false)
	})
	t.Run("stdin passed through", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		base(p, "stdin")
		p.stdin = "typed by the user\n"
		p.run(execChild(t)...).expect(t, "exec, child reads stdin", 0, []string{"typed by the user\n"}, nil, true)
	})
	t.Run("missing command", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		p.run("exec", "--", "plexlink-test-no-such-command").expect(t, "exec of a missing command", 127, nil, []string{"exec: ", "plexlink-test-no-such-command"}, true)
	})
	t.Run("nesting refused", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		base(p, "env")
		p.vars["PLEXLINK_EXEC"] = "1"
		r := p.run(execChild(t)...)
		r.expect(t, "exec inside exec", 2, nil, []string{"already inside `plexlink exec`", "--force"}, true)
		if r.stdout != "" {
			t.Error("a refused exec ran its command")
		}
		_, forced := p.childEnv(t, "--force")
		forced.expect(t, "exec --force inside exec", 0, nil, nil, false)
	})
	t.Run("no command", func(t *testing.T) {
		t.Parallel()
		linkedInproc(t).run("exec").expect(t, "exec", 2, nil, []string{"exec: no command given", "Usage:"}, true)
	})
	t.Run("not linked", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		base(p, "env")
		r := p.run(execChild(t)...)
		r.expect(t, "exec, not linked", 1, nil, []string{"not linked"}, true)
		if r.stdout != "" {
			t.Error("exec ran its command without a token")
		}
	})
}

func TestInProcessTools(t *testing.T) {
	t.Parallel()
	p := linkedInproc(t)
	p.run("tools").expect(t, "tools, none", 0, []string{"No tool has a token of its own yet; `plexlink token --tool NAME` makes one."}, nil, true)
	p.run("tools", "--json").expect(t, "tools --json, none", 0, []string{"[]\n"}, nil, true)

	p.run("token", "--tool", "kometa").expect(t, "token --tool kometa", 0, nil, nil, false)
	tok := p.toolToken("kometa")
	r := p.run("tools")
	r.expect(t, "tools", 0, []string{"TOOL", "CLIENT ID", "CREATED", "kometa"}, nil, true)
	p.noToken("tools", r.stdout)
	js := p.run("tools", "--json")
	js.expect(t, "tools --json", 0, nil, nil, true)
	var got []map[string]string
	if err := json.Unmarshal([]byte(js.stdout), &got); err != nil || len(got) != 1 || got[0]["name"] != "kometa" || got[0]["client_id"] == "" || got[0]["created"] == "" {
		t.Errorf("tools --json = %s (%v)", js.stdout, err)
	}
	p.noToken("tools --json", js.stdout)

	p.run("tools", "revoke", "kometa").expect(t, "tools revoke kometa", 0, []string{"Revoked kometa's token: signed out on plex.tv and removed from the keychain."}, nil, true)
	if p.toolToken("kometa") != "" || p.fx.Server.TokenValid(tok) {
		t.Error("tools revoke left the tool's token stored or valid")
	}
	if p.token() == "" || !p.fx.Server.TokenValid(p.token()) {
		t.Error("tools revoke touched the account token")
	}
	p.run("tools", "revoke", "kometa").expect(t, "tools revoke kometa, again", 1, nil, []string{"kometa has no token of its own"}, true)
	p.run("tools", "revoke").expect(t, "tools revoke", 2, nil, []string{"give exactly one tool name", "Usage:"}, true)
	p.run("tools", "revoke", "Bad Name").expect(t, "tools revoke 'Bad Name'", 2, nil, []string{"tools revoke: ", "Usage:"}, true)
	p.run("tools", "extra").expect(t, "tools extra", 2, nil, []string{"plexlink: "}, true)
}
