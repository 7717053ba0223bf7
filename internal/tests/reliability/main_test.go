package reliability

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

func TestMain(m *testing.M) { os.Exit(session.Main(m)) }

// world is one test's surroundings: a keychain session (shared, or private when the test
// breaks the keychain), a fresh keyring service and config dir, a fake xdg-open and the
// fake plex.tv running in this process, so faults can be injected while the real binary runs.
type world struct {
	t       *testing.T
	sess    *session.Session
	fake    *plextvtest.Fake
	base    string // http://127.0.0.1:P
	api     string
	link    string
	browser *session.FakeBrowser
	service string
	home    string // XDG_CONFIG_HOME of the app
	env     []string

	// midReset makes the next n GET /pins/{id} answer a 200 head and part of a body, then
	// reset the connection: the one fault the fake itself cannot produce.
	midReset atomic.Int32

	mu     sync.Mutex
	minted []string // every token the fake issued to the app
}

func newWorld(t *testing.T, sess *session.Session, opts ...plextvtest.Option) *world {
	t.Helper()
	w := &world{t: t, sess: sess, fake: plextvtest.New(opts...), browser: session.NewFakeBrowser(t)}
	srv := httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(func() {
		w.fake.Close() // releases hung requests, so Close does not wait for them
		srv.Close()
	})
	w.base = srv.URL
	w.api, w.link = srv.URL+"/api/v2", srv.URL+"/link"
	w.service = "plexlink-rel-" + regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-")
	w.home = filepath.Join(t.TempDir(), "config")
	w.env = sess.EnvWith(
		w.browser.PathEnv(),
		"PLEXLINK_SERVER_URL="+w.api,
		"PLEXLINK_LINK_URL="+w.link,
		"PLEXLINK_KEYRING_SERVICE="+w.service,
		"PLEXLINK_LOG=debug",
		"XDG_CONFIG_HOME="+w.home,
		"LANG=C.UTF-8",
		"DISPLAY=",
		"WAYLAND_DISPLAY=",
	)
	t.Cleanup(func() { _ = exec.Command("secret-tool", "clear", "service", w.service).Run() })
	return w
}

func (w *world) serve(rw http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v2/pins/") && w.midReset.Add(-1) >= 0 {
		resetMidResponse(rw)
		return
	}
	w.fake.ServeHTTP(rw, r)
}

// resetMidResponse sends a 200 head promising 4 KiB and 10 bytes of it, then a TCP reset.
func resetMidResponse(rw http.ResponseWriter) {
	conn, buf, err := rw.(http.Hijacker).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"id\":1234")
	_ = buf.Flush()
	time.Sleep(50 * time.Millisecond) // let the client read the head before the reset
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// approve mints a token for code as plex.tv/link would, and remembers it.
func (w *world) approve(code string) error {
	tok, err := w.fake.Approve(code)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.minted = append(w.minted, tok)
	w.mu.Unlock()
	return nil
}

func (w *world) mintedTokens() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.minted...)
}

// keychain returns what secret-tool sees for the service ("" and false when nothing).
func (w *world) keychain() (string, bool) {
	w.t.Helper()
	tok, found, err := w.sess.Keychain(w.service)
	if err != nil {
		w.t.Fatal(err)
	}
	return tok, found
}

// storeOld puts a previous link's token in the keychain.
func (w *world) storeOld(tok string) {
	w.t.Helper()
	if err := w.sess.SecretToolStore(w.service, "token", tok); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) command(args ...string) *exec.Cmd {
	cmd := exec.Command(session.Binary(w.t), args...)
	cmd.Env = w.env
	return cmd
}

// run runs the binary to completion.
func (w *world) run(args ...string) result {
	w.t.Helper()
	p := w.start(args...)
	return p.Wait(w.t, 60*time.Second)
}

type result = session.Result

func (w *world) start(args ...string) *session.Proc {
	w.t.Helper()
	return session.Start(w.t, w.command(args...))
}

var openLine = regexp.MustCompile(`Open (\S+) and approve`)

// codes lists the link codes the CLI printed so far, oldest first.
func codes(p *session.Proc) []string {
	var codes []string
	for _, m := range openLine.FindAllStringSubmatch(p.Stdout(), -1) {
		if i := strings.Index(m[1], "?pin="); i >= 0 {
			codes = append(codes, m[1][i+len("?pin="):])
		}
	}
	return codes
}

// waitCode waits until the CLI has printed its nth code and returns it.
func waitCode(t *testing.T, p *session.Proc, n int, timeout time.Duration) (string, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && !p.Exited() {
		if c := codes(p); len(c) >= n {
			return c[n-1], true
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := codes(p); len(c) >= n {
		return c[n-1], true
	}
	return "", false
}

// approveAll approves every code the CLI prints until it exits.
func (w *world) approveAll(p *session.Proc) {
	go func() {
		seen := 0
		for !p.Exited() {
			if c := codes(p); len(c) > seen {
				seen = len(c)
				_ = w.approve(c[seen-1])
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}

// privateSession starts a keychain session of the test's own, for tests that lock, stop or
// scan it.
func privateSession(t *testing.T) *session.Session {
	t.Helper()
	session.Shared(t) // skips (fails in CI) like the shared session when daemons are missing
	s, err := session.StartSession()
	session.Require(t, err)
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// deadLoopbackURL is an API base on a loopback port nobody listens on.
func deadLoopbackURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/api/v2"
}
