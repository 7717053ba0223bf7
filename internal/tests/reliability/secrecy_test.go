package reliability

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// scanForTokens fails t for every place a token appears: the given texts and every file
// under dirs (gnome-keyring's own files included: they must hold it encrypted). Only
// where is printed, never the token.
func scanForTokens(t *testing.T, tokens []string, texts map[string]string, dirs ...string) {
	t.Helper()
	var secrets [][]byte
	for _, tok := range tokens {
		if len(tok) >= 8 {
			secrets = append(secrets, []byte(tok))
		}
	}
	if len(secrets) == 0 {
		t.Fatal("secrecy scan: no tokens to look for")
	}
	var hits []string
	check := func(where string, data []byte) {
		for i, s := range secrets {
			if bytes.Contains(data, s) {
				hits = append(hits, where+" (token #"+string(rune('1'+i))+")")
			}
		}
	}
	for name, text := range texts {
		check(name, []byte(text))
	}
	files := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			check(p, data)
			return nil
		})
		if err != nil {
			t.Errorf("secrecy scan of %s: %v", dir, err)
		}
	}
	sort.Strings(hits)
	if len(hits) > 0 {
		t.Errorf("a token appears in plain text in %d place(s):\n  %s", len(hits), strings.Join(hits, "\n  "))
	}
	t.Logf("secrecy scan: %d tokens, %d outputs, %d files: %d hits", len(secrets), len(texts), files, len(hits))
}

// TestSecrecyCLI links, relinks, checks and unlinks with debug logging and finds the
// tokens nowhere but in `plexlink token`'s stdout and the keychain.
func TestSecrecyCLI(t *testing.T) {
	sess := privateSession(t)
	w := newWorld(t, sess)
	tmp := filepath.Join(sess.Home, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	w.env = append(w.env, "XDG_CONFIG_HOME="+filepath.Join(sess.Home, ".config"), "TMPDIR="+tmp)
	texts := map[string]string{}
	keep := func(name string, r result) {
		texts[name+" stdout"], texts[name+" stderr"] = r.Stdout, r.Stderr
	}
	for i, name := range []string{"link", "relink"} {
		p := w.start("link")
		w.approveAll(p)
		r := p.Wait(t, 30*time.Second)
		if r.Code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", name, r.Code, r.Stdout, r.Stderr)
		}
		keep(name, r)
		if n := len(w.mintedTokens()); n != i+1 {
			t.Fatalf("%d tokens minted after %s", n, name)
		}
	}
	stopServers, err := w.fake.ServeMediaServers()
	if err != nil {
		t.Fatal(err)
	}
	defer stopServers()
	// The hand-off commands print tokens only on stdout of token and env; exec only passes them on.
	for _, args := range [][]string{{"servers"}, {"servers", "--json"}, {"tools"}, {"tools", "--json"},
		{"exec", "--server", plextvtest.OwnedServerName, "--tool", "kometa", "--", "true"}, {"status", "--json"}} {
		r := w.run(args...)
		if r.Code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.Code, r.Stderr)
		}
		keep(strings.Join(args, " "), r)
	}
	for _, args := range [][]string{{"token", "--tool", "kometa"}, {"token", "--server", plextvtest.SharedServerName},
		{"env", "--server", plextvtest.OwnedServerName, "--tool", "plexapi"}} {
		r := w.run(args...)
		if r.Code != 0 || r.Stdout == "" {
			t.Fatalf("%v: exit %d: %s", args, r.Code, r.Stderr)
		}
		texts[strings.Join(args, " ")+" stderr"] = r.Stderr
	}
	if r := w.run("tools", "revoke", "kometa"); r.Code != 0 {
		t.Fatalf("tools revoke: %s", r.Stderr)
	} else {
		keep("tools revoke", r)
	}
	// A poll that fails with a body echoing the token, and retries, still log nothing secret.
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"status", "--offline"}, {"unlink", "--sign-out"}, {"status"}} {
		r := w.run(args...)
		keep(strings.Join(args, " "), r)
	}
	tok := w.run("token")
	texts["token stderr"] = tok.Stderr // its stdout is the one place the token may appear (here: none, unlinked)
	texts["token stdout after unlink"] = tok.Stdout
	scanForTokens(t, w.fake.IssuedTokens(), texts, sess.Home, w.home)
}

// TestRedirectDoesNotCarryToken: plex.tv (or a proxy) answering GET /user with a redirect to
// another host must not make the client send the token there.
func TestRedirectDoesNotCarryToken(t *testing.T) {
	var stolen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Plex-Token") != "" {
			stolen.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":1,"uuid":"u","username":"evil"}`))
	}))
	defer other.Close()
	for _, status := range []int{301, 302, 307, 308} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, status)
		}))
		c := &auth.Client{BaseURL: redirector.URL + "/api/v2", Identity: auth.Identity{ClientID: "rel-test", Product: "Plex Link"}}
		_, err := c.User(context.Background(), auth.Token("secret-token-value-1234"))
		redirector.Close()
		if err == nil {
			t.Errorf("HTTP %d: User followed the redirect and succeeded", status)
		}
		if err != nil && strings.Contains(err.Error(), "secret-token-value-1234") {
			t.Errorf("HTTP %d: the error names the token", status)
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("the other host received the token %d time(s)", n)
	}
}

// TestErrorsNeverCarryHeaders: error answers that echo the request (headers and token) in
// every form plex.tv or a proxy might produce never put the token or header values into
// the error text.
func TestErrorsNeverCarryHeaders(t *testing.T) {
	const tok = "headerEchoToken12345"
	bodies := map[string]func(r *http.Request) (int, string){
		"json error echoing the token": func(r *http.Request) (int, string) {
			return 401, `{"errors":[{"code":1001,"message":"token ` + r.Header.Get("X-Plex-Token") + ` is invalid","status":401}]}`
		},
		"html page dumping headers": func(r *http.Request) (int, string) {
			var b strings.Builder
			_ = r.Header.Write(&b)
			return 502, "<html><pre>" + b.String() + "</pre></html>"
		},
		"429 dumping headers": func(r *http.Request) (int, string) {
			var b strings.Builder
			_ = r.Header.Write(&b)
			return 429, b.String()
		},
		"json 500 with headers in the message": func(r *http.Request) (int, string) {
			return 500, `{"errors":[{"code":1,"message":"X-Plex-Token: ` + r.Header.Get("X-Plex-Token") + `"}]}`
		},
	}
	for name, body := range bodies {
		t.Run(strings.ReplaceAll(name, " ", "-"), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				status, b := body(r)
				w.WriteHeader(status)
				_, _ = w.Write([]byte(b))
			}))
			defer srv.Close()
			c := &auth.Client{BaseURL: srv.URL + "/api/v2", Identity: auth.Identity{ClientID: "rel-client-id-77", Product: "Plex Link"}}
			for _, call := range []func() error{
				func() error { _, err := c.User(context.Background(), tok); return err },
				func() error { return c.SignOut(context.Background(), tok) },
			} {
				err := call()
				if err == nil {
					t.Fatal("no error")
				}
				if strings.Contains(err.Error(), tok) {
					t.Errorf("the error text carries the token (%d chars of error)", len(err.Error()))
				}
			}
		})
	}
}
