package cli_test

// In-process tests of every command: cli.Main run as a function, over the account service
// of internal/account/accounttest (the fake plex.tv on loopback, every keychain item in
// memory). They need no keychain, display or built binary, so they run on Linux, macOS and
// Windows alike; e2e_test.go and its siblings run the real binary against a real keychain
// on Linux. A test never prints a token: on failure it prints stderr only, and only the
// stdout of commands whose stdout holds no token.

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/account/accounttest"
	"codeberg.org/plexlink/plexlink/internal/cli"
	"codeberg.org/plexlink/plexlink/internal/settings"
	"codeberg.org/plexlink/plexlink/storage"
)

// inproc is one test's command line: the fixture, the environment the commands see and
// what they were asked to open or start.
type inproc struct {
	t    *testing.T
	fx   *accounttest.Fixture
	vars map[string]string // what Getenv answers
	// environ is the environment `exec` passes on (the test process's own by default).
	environ []string
	stdin   string
	ctx     context.Context

	mu          sync.Mutex
	opened      []string   // URLs link asked the browser to open
	desktop     [][]string // the desktop app's argument lists (demo)
	desktopExit int
}

func newInproc(t *testing.T, opts ...accounttest.Option) *inproc {
	t.Helper()
	p := &inproc{
		t:  t,
		fx: accounttest.New(t, opts...),
		// The keychain service names the link lock: one per test, so parallel tests do not
		// take each other's.
		vars: map[string]string{"PLEXLINK_KEYRING_SERVICE": "plexlink-inproc-" + settings.Sanitize(t.Name())},
		ctx:  context.Background(),
	}
	// Unlink stops a link in progress, as with the service settings.Open builds.
	p.fx.Service.StopLinks = settings.FromEnv(func(k string) string { return p.vars[k] }).PreemptLinks
	return p
}

// linked is newInproc with the fake's account token stored.
func linkedInproc(t *testing.T, opts ...accounttest.Option) *inproc {
	t.Helper()
	return newInproc(t, append(opts, accounttest.Linked())...)
}

type outcome struct {
	code           int
	stdout, stderr string
}

// syncBuffer is a bytes.Buffer that a test may read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (p *inproc) env(stdout, stderr *syncBuffer) cli.Env {
	env := cli.Env{
		Stdin:  strings.NewReader(p.stdin),
		Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string { return p.vars[k] },
		Open:   func(settings.Settings) (*account.Service, error) { return p.fx.Service, nil },
		OpenURL: func(u string) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.opened = append(p.opened, u)
			return nil
		},
		Desktop: func(args []string) int {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.desktop = append(p.desktop, args)
			return p.desktopExit
		},
		Context: p.ctx,
	}
	if p.environ != nil {
		env.Environ = func() []string { return p.environ }
	}
	return env
}

// run runs plexlink with args to the end.
func (p *inproc) run(args ...string) outcome {
	p.t.Helper()
	var out, errb syncBuffer
	code := cli.Main(args, p.env(&out, &errb))
	return outcome{code, out.String(), errb.String()}
}

// start runs plexlink with args in the background; wait returns its outcome, and out is
// its stdout so far.
func (p *inproc) start(args ...string) (out *syncBuffer, wait func() outcome) {
	var errb syncBuffer
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- cli.Main(args, p.env(out, &errb)) }()
	return out, func() outcome {
		p.t.Helper()
		select {
		case code := <-done:
			return outcome{code, out.String(), errb.String()}
		case <-time.After(20 * time.Second):
			p.t.Fatalf("plexlink %v did not finish within 20s; stderr:\n%s", args, errb.String())
			return outcome{}
		}
	}
}

// codeLine is how link shows a code, on a line of its own.
var codeLine = regexp.MustCompile(`(?m)^    ([0-9A-Z]{4,})$`)

// waitCode waits until link's stdout shows its nth code (from 1) and returns it.
func waitCode(t *testing.T, out *syncBuffer, nth int) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := codeLine.FindAllStringSubmatch(out.String(), -1); len(m) >= nth {
			return m[nth-1][1]
		}
	}
	t.Fatalf("link showed no code #%d in 10s; stdout:\n%s", nth, out.String())
	return ""
}

// approvedLink runs `plexlink link args…` and approves its first code with approve (the
// fake's Approve or ApproveAsOther); it returns the code and the outcome.
func (p *inproc) approvedLink(approve func(code string) (string, error), args ...string) (string, outcome) {
	p.t.Helper()
	out, wait := p.start(append([]string{"link"}, args...)...)
	code := waitCode(p.t, out, 1)
	if _, err := approve(code); err != nil {
		p.t.Fatal(err)
	}
	return code, wait()
}

// token is the account token in the keychain, "" for none.
func (p *inproc) token() string { return p.fx.Token(p.t) }

// toolToken is the token stored for a tool, "" for none.
func (p *inproc) toolToken(tool string) string {
	tok, _ := p.fx.ToolStore(tool).Load()
	return tok
}

// expect checks an outcome's exit code and that its stdout and stderr contain the given
// texts (stderr empty when errWant is nil). showOut: stdout holds no token and may be
// printed on failure.
func (o outcome) expect(t *testing.T, what string, code int, outWant []string, errWant []string, showOut bool) {
	t.Helper()
	shown := "(stdout not shown: it may hold a token)"
	if showOut {
		shown = "stdout:\n" + o.stdout
	}
	fail := func(why string) { t.Errorf("plexlink %s: %s\n%s\nstderr:\n%s", what, why, shown, o.stderr) }
	if o.code != code {
		fail("exit " + strconv.Itoa(o.code) + ", want " + strconv.Itoa(code))
	}
	for _, w := range outWant {
		if !strings.Contains(o.stdout, w) {
			fail("stdout lacks " + strconv.Quote(w))
		}
	}
	if errWant == nil && o.stderr != "" {
		fail("stderr is not empty")
	}
	for _, w := range errWant {
		if !strings.Contains(o.stderr, w) {
			fail("stderr lacks " + strconv.Quote(w))
		}
	}
}

// noToken fails when s holds any token the fake ever issued or a media server's own.
func (p *inproc) noToken(what, s string) {
	p.t.Helper()
	toks := p.fx.Server.IssuedTokens()
	for _, m := range p.fx.Server.MediaServers() {
		toks = append(toks, m.AccessToken)
	}
	for _, tok := range toks {
		if tok != "" && strings.Contains(s, tok) {
			p.t.Errorf("%s printed a token", what)
			return
		}
	}
}

func TestInProcessLink(t *testing.T) {
	t.Parallel()
	t.Run("browser", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		code, r := p.approvedLink(p.fx.Server.Approve)
		r.expect(t, "link", 0, []string{"Your Plex link code:", "Open " + p.fx.Server.LinkURL, "Linked as " + plextvtest.DefaultUsername}, nil, true)
		p.mu.Lock()
		opened := append([]string(nil), p.opened...)
		p.mu.Unlock()
		if want := p.fx.Server.LinkURL + "/?pin=" + url.QueryEscape(code); len(opened) != 1 || opened[0] != want {
			t.Errorf("opened %q, want [%q]", opened, want)
		}
		if tok := p.token(); tok == "" || !p.fx.Server.TokenValid(tok) {
			t.Error("link stored no token plex.tv accepts")
		}
		p.noToken("link", r.stdout+r.stderr)
	})
	t.Run("no-browser", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		_, r := p.approvedLink(p.fx.Server.Approve, "--no-browser")
		r.expect(t, "link --no-browser", 0, []string{"Linked as "}, nil, true)
		if len(p.opened) != 0 {
			t.Errorf("--no-browser opened %q", p.opened)
		}
		if p.token() == "" {
			t.Error("link --no-browser stored nothing")
		}
	})
	t.Run("approved as another account", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		_, r := p.approvedLink(p.fx.Server.ApproveAsOther, "--no-browser")
		r.expect(t, "link approved as other", 0, []string{"Linked as "}, nil, true)
		if strings.Contains(r.stdout, "Linked as "+plextvtest.DefaultUsername+"\n") {
			t.Error("link names the main account, not the one that approved")
		}
	})
	t.Run("cancelled keeps the old token", func(t *testing.T) {
		t.Parallel()
		p := linkedInproc(t)
		old := p.token()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p.ctx = ctx
		out, wait := p.start("link", "--no-browser")
		waitCode(t, out, 1)
		cancel() // a Ctrl-C
		wait().expect(t, "link, cancelled", 130, nil, []string{"Cancelled; the stored token (if any) is unchanged."}, true)
		if p.token() != old {
			t.Error("a cancelled link changed the stored token")
		}
	})
	t.Run("stopped by unlink", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		out, wait := p.start("link", "--no-browser")
		code := waitCode(t, out, 1)
		p.run("unlink").expect(t, "unlink during link", 0, []string{"Not linked; nothing to remove."}, nil, true)
		wait().expect(t, "link, stopped by unlink", 1, nil, []string{"linking stopped", "nothing was stored"}, true)
		if _, err := p.fx.Server.Approve(code); err == nil && p.token() != "" {
			t.Error("a link stopped by unlink stored a token")
		}
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		// The fake's clock jumps an hour at every look: each code has expired by its first poll.
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Hour)
			return now
		}
		p := newInproc(t, accounttest.WithFake(plextvtest.WithClock(clock)))
		r := p.run("link", "--no-browser")
		r.expect(t, "link, every code expired", 1, []string{"The previous code expired. Your new Plex link code:"},
			[]string{"The code expired before it was approved. Run `plexlink link` again."}, true)
		if p.token() != "" {
			t.Error("an expired link stored a token")
		}
	})
	t.Run("rate-limited", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		p.fx.Server.FailNext(plextvtest.RouteCreatePin, 1, plextvtest.Fault{Status: 429, RetryAfter: "3600"})
		r := p.run("link", "--no-browser")
		r.expect(t, "link, rate-limited", 1, nil, []string{"Linking failed", "rate-limiting"}, true)
		if codeLine.MatchString(r.stdout) {
			t.Error("a rate-limited link showed a code")
		}
	})
	t.Run("keychain unavailable", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		p.fx.Store.SetUnavailable(true)
		r := p.run("link", "--no-browser")
		r.expect(t, "link without a keychain", 1, nil, []string{"cannot link:"}, true)
		if p.fx.Server.Count(plextvtest.RouteCreatePin) != 0 {
			t.Error("link asked plex.tv for a code with no keychain to store into")
		}
	})
	t.Run("not saved", func(t *testing.T) {
		t.Parallel()
		p := newInproc(t)
		p.fx.Service.Tokens = saveFails{p.fx.Store}
		// Stdin is not a terminal: no "press Enter" prompt, the way out instead.
		_, r := p.approvedLink(p.fx.Server.Approve, "--no-browser")
		r.expect(t, "link, keychain refuses the token", 1, nil, []string{"could not be saved", "fix the keychain and run `plexlink link` again"}, true)
		if strings.Contains(r.stderr, "press Enter") {
			t.Error("link prompted on a stdin that is not a terminal")
		}
	})
	t.Run("arguments", func(t *testing.T) {
		t.Parallel()
		newInproc(t).run("link", "now").expect(t, "link now", 2, nil, []string{`unexpected argument "now"`, "Usage:"}, true)
	})
}

// saveFails is a keychain item that can be read but refuses to store.
type saveFails struct{ *storage.MemoryStore }

func (saveFails) Save(string) error {
	return &storageError{}
}

type storageError struct{}

func (*storageError) Error() string        { return "keychain locked (test)" }
func (*storageError) Is(target error) bool { return target == storage.ErrKeychainUnavailable }
