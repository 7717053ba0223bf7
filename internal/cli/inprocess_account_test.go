package cli_test

// In-process tests of status, token and unlink (see inprocess_test.go).

import (
	"encoding/json"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// statusOut is the documented shape of `plexlink status --json`.
type statusOut struct {
	Linked     bool   `json:"linked"`
	Username   string `json:"username"`
	Valid      *bool  `json:"valid"`
	CheckError string `json:"check_error"`
	Error      string `json:"error"`
	Tools      *int   `json:"tools"`
	Service    string `json:"keyring_service"`
}

func TestInProcessStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		linked  bool
		prepare func(p *inproc)
		args    []string
		code    int
		out     []string
		err     []string
		json    func(t *testing.T, s statusOut)
	}{
		{name: "not linked", args: []string{"status"}, code: 1, out: []string{"Not linked. Run `plexlink link` to link your Plex account."}},
		{name: "not linked json", args: []string{"status", "--json"}, code: 1, json: func(t *testing.T, s statusOut) {
			if s.Linked || s.Valid != nil || s.Service == "" {
				t.Errorf("status --json, not linked: %+v", s)
			}
		}},
		{name: "linked", linked: true, args: []string{"status"}, out: []string{"Linked as " + plextvtest.DefaultUsername, "plex.tv: token valid"}},
		{name: "linked json", linked: true, args: []string{"status", "--json"}, json: func(t *testing.T, s statusOut) {
			if !s.Linked || s.Username != plextvtest.DefaultUsername || s.Valid == nil || !*s.Valid || s.Tools == nil || *s.Tools != 0 {
				t.Errorf("status --json, linked: %+v", s)
			}
		}},
		{name: "offline", linked: true, args: []string{"status", "--offline"}, out: []string{"Linked as ", "plex.tv: not checked (--offline)"}},
		{name: "offline json", linked: true, args: []string{"status", "--json", "--offline"}, json: func(t *testing.T, s statusOut) {
			if !s.Linked || s.Valid != nil {
				t.Errorf("status --json --offline: %+v", s)
			}
		}},
		{name: "rejected", linked: true, prepare: func(p *inproc) { p.fx.Server.Revoke(p.token()) },
			args: []string{"status"}, out: []string{"plex.tv: token rejected — run `plexlink link` to relink"}},
		{name: "rejected json", linked: true, prepare: func(p *inproc) { p.fx.Server.Revoke(p.token()) },
			args: []string{"status", "--json"}, json: func(t *testing.T, s statusOut) {
				if !s.Linked || s.Valid == nil || *s.Valid {
					t.Errorf("status --json, token revoked: %+v", s)
				}
			}},
		{name: "plex.tv down", linked: true, prepare: func(p *inproc) {
			p.fx.Server.FailNext(plextvtest.RouteUser, 100, plextvtest.Fault{Status: 503})
		}, args: []string{"status"}, out: []string{"Linked as ", "plex.tv: could not check ("}},
		{name: "keychain unavailable", linked: true, prepare: func(p *inproc) { p.fx.Store.SetUnavailable(true) },
			args: []string{"status"}, code: 2, err: []string{"plexlink: "}},
		{name: "keychain unavailable json", linked: true, prepare: func(p *inproc) { p.fx.Store.SetUnavailable(true) },
			args: []string{"status", "--json"}, code: 2, json: func(t *testing.T, s statusOut) {
				if s.Linked || s.Error == "" {
					t.Errorf("status --json, no keychain: %+v", s)
				}
			}},
		{name: "tools counted", linked: true, prepare: func(p *inproc) { p.run("token", "--tool", "kometa") },
			args: []string{"status", "--offline"}, out: []string{"Tools with a token of their own: 1 (`plexlink tools`)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newInproc(t)
			if c.linked {
				p.fx.Link(t)
			}
			if c.prepare != nil {
				c.prepare(p)
			}
			users := p.fx.Server.Count(plextvtest.RouteUser)
			r := p.run(c.args...)
			r.expect(t, strings.Join(c.args, " "), c.code, c.out, c.err, true)
			if c.json != nil {
				var s statusOut
				if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
					t.Fatalf("%v: %v", c.args, err)
				}
				c.json(t, s)
			}
			if strings.Contains(strings.Join(c.args, " "), "--offline") && p.fx.Server.Count(plextvtest.RouteUser) != users {
				t.Error("status --offline asked plex.tv")
			}
			p.noToken("status", r.stdout+r.stderr)
		})
	}
}

func TestInProcessToken(t *testing.T) {
	t.Parallel()
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		r := p.run("token")
		r.expect(t, "token", 0, nil, nil, false)
		if r.stdout != p.token()+"\n" {
			t.Error("token did not print exactly the stored token and a newline")
		}
		if p.fx.Server.Count(plextvtest.RouteUser) != 0 {
			t.Error("plain token asked plex.tv")
		}
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		for _, name := range []string{plextvtest.OwnedServerName, plextvtest.SharedServerName} {
			r := p.run("token", "--server", name)
			r.expect(t, "token --server "+name, 0, nil, nil, false)
			if r.stdout != p.fx.Server.MediaServer(name).AccessToken+"\n" {
				t.Errorf("token --server %q did not print that server's own token", name)
			}
		}
		r := p.run("token", "--server", "Nowhere")
		r.expect(t, "token --server Nowhere", 1, nil, []string{`no server "Nowhere"; your servers: `, plextvtest.OwnedServerName}, false)
		if r.stdout != "" {
			t.Error("token --server with an unknown server printed something")
		}
	})
	t.Run("tool", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		first := p.run("token", "--tool", "kometa")
		first.expect(t, "token --tool kometa", 0, nil, nil, false)
		tok := strings.TrimSuffix(first.stdout, "\n")
		if tok == "" || tok == p.token() || !p.fx.Server.TokenValid(tok) || p.toolToken("kometa") != tok {
			t.Fatal("token --tool kometa: not a stored token of its own that plex.tv accepts")
		}
		again := p.run("token", "--tool", "kometa")
		again.expect(t, "token --tool kometa, again", 0, nil, nil, false)
		if again.stdout != first.stdout {
			t.Error("token --tool kometa minted a second token")
		}
		p.run("token", "--tool", "Bad Name").expect(t, "token --tool 'Bad Name'", 2, nil, []string{"--tool ", "tool names are"}, true)
	})
	t.Run("server and tool", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		r := p.run("token", "--tool", "kometa", "--server", plextvtest.OwnedServerName)
		r.expect(t, "token --tool kometa --server", 0, nil, nil, false)
		if r.stdout != p.fx.Server.MediaServer(plextvtest.OwnedServerName).AccessToken+"\n" {
			t.Error("token --tool --server did not print the server's token")
		}
	})
	t.Run("not linked", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		for _, args := range [][]string{{"token"}, {"token", "--tool", "kometa"}, {"token", "--server", plextvtest.OwnedServerName}} {
			r := p.run(args...)
			r.expect(t, strings.Join(args, " "), 1, nil, []string{"not linked; run `plexlink link` first"}, true)
			if r.stdout != "" {
				t.Errorf("%v, not linked, printed on stdout", args)
			}
		}
	})
	t.Run("rejected", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		p.fx.Server.Revoke(p.token())
		p.run("token", "--server", plextvtest.OwnedServerName).expect(t, "token --server with a revoked token", 1, nil,
			[]string{"plex.tv rejected the token; run `plexlink link` to relink"}, true)
	})
	t.Run("keychain unavailable", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		p.fx.Store.SetUnavailable(true)
		r := p.run("token")
		r.expect(t, "token without a keychain", 2, nil, []string{"plexlink: "}, true)
	})
}

func TestInProcessUnlink(t *testing.T) {
	t.Parallel()
	t.Run("not linked", func(t *testing.T) {
		t.Parallel()
		newInproc(t).run("unlink").expect(t, "unlink", 0, []string{"Not linked; nothing to remove."}, nil, true)
	})
	t.Run("local", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		tok := p.token()
		p.run("unlink").expect(t, "unlink", 0, []string{"Unlinked: the token was removed from the keychain."}, nil, true)
		if p.token() != "" {
			t.Error("unlink left the token in the keychain")
		}
		if !p.fx.Server.TokenValid(tok) {
			t.Error("unlink without --sign-out signed the token out")
		}
	})
	t.Run("sign-out", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		acct := p.token()
		p.run("token", "--tool", "kometa").expect(t, "token --tool kometa", 0, nil, nil, false)
		tool := p.toolToken("kometa")
		p.run("unlink", "--sign-out").expect(t, "unlink --sign-out", 0, []string{
			"Removed the tokens of 1 tool(s): kometa.", "Signed out on plex.tv.", "Unlinked: "}, nil, true)
		if p.token() != "" || p.toolToken("kometa") != "" {
			t.Error("unlink --sign-out left a token in the keychain")
		}
		if p.fx.Server.TokenValid(acct) || p.fx.Server.TokenValid(tool) {
			t.Error("unlink --sign-out left a token valid on plex.tv")
		}
	})
	t.Run("sign-out with plex.tv down", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		acct := p.token()
		p.fx.Server.FailNext(plextvtest.RouteSignOut, 100, plextvtest.Fault{Status: 503})
		p.run("unlink", "--sign-out").expect(t, "unlink --sign-out, plex.tv down", 0, []string{"Unlinked: "},
			[]string{"could not sign out on plex.tv", "stays valid until you remove the device"}, true)
		if p.token() != "" || !p.fx.Server.TokenValid(acct) {
			t.Error("unlink --sign-out with plex.tv down: want the token removed here and still valid there")
		}
	})
	t.Run("keychain unavailable", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		p.fx.Store.SetUnavailable(true)
		p.run("unlink").expect(t, "unlink without a keychain", 2, nil, []string{"plexlink: "}, true)
	})
}
