package reliability

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// outcome is one row of the reliability table, as observed.
type outcome struct {
	N        int
	Surface  string // CLI or GUI
	Fault    string
	Command  string
	Expected string
	Observed string
	Token    string // what became of the previously stored token
	Pass     bool
}

var (
	recMu    sync.Mutex
	recorded []outcome
)

func record(o outcome) {
	recMu.Lock()
	defer recMu.Unlock()
	recorded = append(recorded, o)
}

// row is one fault of the matrix for `plexlink link`.
type row struct {
	fault   string
	args    []string // after `link`
	expect  string   // "linked", or what the one-line failure message must say
	approve bool     // approve every code the CLI prints
	private bool     // breaks the keychain: needs a session of its own
	inject  func(w *world)
	// custom replaces the standard run (start, approve, wait) and returns its result.
	custom func(t *testing.T, w *world) result
	check  func(t *testing.T, w *world, r result) // extra assertions
}

const expiredBody = `{"errors":[{"code":1020,"message":"Code not found or expired","status":404}]}`

func fail(route string, n int, f plextvtest.Fault) func(*world) {
	return func(w *world) { w.fake.FailNext(route, n, f) }
}

// htmlPage is what a captive portal or a CDN error page answers in plex.tv's place.
var htmlPage = plextvtest.Fault{Body: "<html><body>Gateway</body></html>", ContentType: "text/html"}

var cliRows = []row{
	{fault: "503 ×3 on polls", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 3, plextvtest.Fault{Status: 503})},
	{fault: "429 with Retry-After: 1 on a poll", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{Status: 429, RetryAfter: "1"})},
	{fault: "non-JSON 200 on a poll (HTML page)", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, htmlPage)},
	{fault: "JSON with wrong field types on a poll", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{WrongTypes: true})},
	{fault: `"id":"abc" on a poll`, approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{Body: `{"id":"abc","code":"ABCD","expiresIn":900}`})},
	{fault: `"authToken":5 on a poll`, approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{Body: `{"id":7,"code":"ABCD","expiresIn":900,"authToken":5}`})},
	{fault: "truncated JSON on a poll", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{Body: `{"id":7,"code":"AB`})},
	{fault: "2 MiB body on a poll", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{BodySize: 2 << 20})},
	{fault: "20 MiB body on a poll", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{BodySize: 20 << 20})},
	{fault: "HTML page on 5 polls in a row", approve: true, expect: "5 undecodable answers in a row",
		inject: fail(plextvtest.RoutePin, 5, htmlPage),
		check: func(t *testing.T, w *world, r result) {
			if !strings.Contains(r.Stderr, "text/html") || !strings.Contains(r.Stderr, "HTTP 200") {
				t.Errorf("the error does not say what was sent: %q", r.Stderr)
			}
		}},
	{fault: "HTML page on GET /user during validation", approve: true, expect: "linked",
		inject: fail(plextvtest.RouteUser, 1, htmlPage)},
	{fault: "HTML page on GET /user 5 times in a row", approve: true, expect: "5 undecodable answers in a row",
		inject: fail(plextvtest.RouteUser, 5, htmlPage)},
	{fault: "HTML page ×2 on PIN creation", approve: true, expect: "linked",
		inject: fail(plextvtest.RouteCreatePin, 2, htmlPage)},
	{fault: "connection reset mid-response (poll)", approve: true, expect: "linked",
		inject: func(w *world) { w.midReset.Store(1) }},
	{fault: "poll hangs past the 15 s request timeout", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{Hang: true})},
	{fault: "500 ×2 on PIN creation", approve: true, expect: "linked",
		inject: fail(plextvtest.RouteCreatePin, 2, plextvtest.Fault{Status: 500})},
	{fault: "503 ×2 on GET /user during validation", approve: true, expect: "linked",
		inject: fail(plextvtest.RouteUser, 2, plextvtest.Fault{Status: 503})},
	{fault: "404/1020 on a poll (code expired: renewed by itself)", approve: true, expect: "linked",
		inject: fail(plextvtest.RoutePin, 1, plextvtest.Fault{Status: 404, Body: expiredBody}),
		check: func(t *testing.T, w *world, r result) {
			if n := w.fake.Count(plextvtest.RouteCreatePin); n < 2 {
				t.Errorf("the engine did not renew the code (%d PINs created)", n)
			}
		}},
	{fault: "plex.tv down for the whole run (nothing listening)", expect: "connection refused",
		inject: func(w *world) { w.env = append(w.env, "PLEXLINK_SERVER_URL="+deadLoopbackURL(w.t)) }},
	// A name the resolver refuses before asking anyone ("!" is not a DNS character): the
	// failure path is the same, and no test sends a packet off this machine, not even to the
	// configured DNS server.
	{fault: "DNS failure (https://plex!.invalid: no resolver is asked)", expect: "no such host",
		inject: func(w *world) { w.env = append(w.env, "PLEXLINK_SERVER_URL=https://plex!.invalid/api/v2") }},
	{fault: "keychain locked at save time, in a terminal (unlock, press Enter)", private: true, expect: "linked",
		custom: lockedAtSaveInTerminal},
	{fault: "keychain locked at save time, in a script", private: true, expect: "the token was not stored",
		custom: lockedAtSaveInScript,
		check: func(t *testing.T, w *world, r result) {
			if !strings.Contains(r.Stderr, "plex.tv approved "+plextvtest.DefaultUsername+", but the token could not be saved") {
				t.Errorf("the user was not told plex.tv linked but the save failed: %q", r.Stderr)
			}
		}},
	{fault: "keychain gone at start (no Secret Service)", private: true, expect: "keychain unavailable",
		custom: keychainGone,
		check: func(t *testing.T, w *world, r result) {
			if n := w.fake.Count(plextvtest.RouteCreatePin); n != 0 {
				t.Errorf("link asked plex.tv for a code (%d) although nothing could be stored", n)
			}
		}},
}

// TestFaultMatrix runs every row against the real binary, in parallel (each row has its own
// fake plex.tv and keyring service), plus the GUI rows and the hand-off rows, then writes
// the tables.
func TestFaultMatrix(t *testing.T) {
	session.Shared(t)
	t.Run("rows", func(t *testing.T) {
		for i, r := range cliRows {
			t.Run(fmt.Sprintf("cli-%02d", i+1), func(t *testing.T) {
				t.Parallel()
				runRow(t, i+1, r)
			})
		}
		t.Run("gui", func(t *testing.T) {
			t.Parallel()
			guiRows(t, len(cliRows)+1)
		})
		for i, r := range handoffRows {
			t.Run(fmt.Sprintf("handoff-%02d", i+1), func(t *testing.T) {
				t.Parallel()
				runHandoff(t, i+1, r)
			})
		}
	})
	writeTable(t)
}

func randomToken(t *testing.T) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("old%x", b)[:20]
}

func runRow(t *testing.T, n int, r row) {
	sess := session.Shared(t)
	if r.private {
		sess = privateSession(t)
	}
	w := newWorld(t, sess)
	old := randomToken(t)
	w.storeOld(old)
	if r.inject != nil {
		r.inject(w)
	}
	start := time.Now()
	var res result
	if r.custom != nil {
		res = r.custom(t, w)
	} else {
		p := w.start(append([]string{"link"}, r.args...)...)
		if r.approve {
			w.approveAll(p)
		}
		res = p.Wait(t, 60*time.Second)
	}
	took := time.Since(start)

	o := outcome{N: n, Surface: "CLI", Fault: r.fault, Command: "plexlink link " + strings.Join(r.args, " "), Expected: r.expect}
	o.Command = strings.TrimSpace(o.Command)
	if r.expect == "linked" {
		o.Expected = "exit 0, linked"
	} else {
		o.Expected = fmt.Sprintf("exit 1, one line saying %q", r.expect)
	}
	now, found := w.keychain()
	var problems []string
	if r.expect == "linked" {
		o.Observed = fmt.Sprintf("exit %d: %s", res.Code, lastLine(res.Stdout))
		if res.Code != 0 || !strings.Contains(res.Stdout, "Linked as ") {
			problems = append(problems, "did not link")
		}
		switch {
		case found && contains(w.mintedTokens(), now):
			o.Token = "replaced by the new, validated token"
		case found && now == old:
			o.Token = "kept (NOT replaced)"
			problems = append(problems, "the new token was not stored")
		default:
			o.Token = "LOST: " + session.Fingerprint(now)
			problems = append(problems, "the keychain holds "+session.Fingerprint(now))
		}
	} else {
		msg := lastLine(res.Stderr)
		o.Observed = fmt.Sprintf("exit %d: %s", res.Code, normalize(msg))
		if res.Code != 1 || !strings.HasPrefix(msg, "plexlink: ") || !strings.Contains(msg, r.expect) {
			problems = append(problems, "not a clear one-line failure")
		}
		if found && now == old {
			o.Token = "kept"
		} else {
			o.Token = "LOST: " + session.Fingerprint(now)
			problems = append(problems, "the old token is gone: "+session.Fingerprint(now))
		}
	}
	for _, u := range w.browser.Opened() {
		if !strings.HasPrefix(u, w.link+"/?pin=") {
			problems = append(problems, fmt.Sprintf("opened %q, not the link page", u))
		}
	}
	if took > 45*time.Second {
		problems = append(problems, fmt.Sprintf("took %v", took.Round(time.Second)))
	}
	if r.check != nil {
		r.check(t, w, res)
	}
	if len(problems) > 0 {
		t.Errorf("%s: %s\nstdout:\n%s\nstderr:\n%s", r.fault, strings.Join(problems, "; "), res.Stdout, res.Stderr)
	}
	o.Pass = !t.Failed()
	t.Logf("%s: %s (%v)", r.fault, o.Observed, took.Round(10*time.Millisecond))
	record(o)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

var (
	portRE  = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	pinIDRE = regexp.MustCompile(`/pins/\d+`)
	dnsRE   = regexp.MustCompile(`on [0-9.:\[\]a-f]+:53`)
)

// normalize drops what changes from run to run (ports, PIN ids, resolver address).
func normalize(s string) string {
	s = portRE.ReplaceAllString(s, "127.0.0.1:PORT")
	s = pinIDRE.ReplaceAllString(s, "/pins/ID")
	s = dnsRE.ReplaceAllString(s, "on RESOLVER:53")
	return strings.ReplaceAll(s, "|", `\|`)
}

const docHeader = `# Reliability matrix

Generated by ` + "`TestFaultMatrix`" + ` in ` + "`internal/tests/reliability`" + ` from an actual run; do not edit by hand.
` + "`make reliability-doc`" + ` (or ` + "`PLEXLINK_UPDATE_DOCS=1 go test ./internal/tests/reliability/ -run TestFaultMatrix`" + `)
rewrites it; every run writes the same tables to ` + "`test-artifacts/RELIABILITY.md`" + `, and the test fails
when a row or its result here differs from the run. Two tables: linking under faults, and
handing Plex to other tools ([Hand-off](#hand-off)).

## Linking under faults

Each row runs the real ` + "`plexlink`" + ` binary against the fake plex.tv (in the test process, with the
fault injected) and a real gnome-keyring on a private D-Bus session. A token from an earlier link
is stored first; "previous token" says what became of it (compared with ` + "`secret-tool lookup`" + `,
never printed). GUI rows drive the tray app under Xvfb through its tray menu; their
observation is the app's log line or the tray's status line.

| # | surface | fault | command | expected | observed | previous token | result |
|---|---|---|---|---|---|---|---|
`

const handoffHeader = `
## Hand-off

One row per numbered reproduction of issue #20 ("Hand-off you can trust"), each asserting the
rule README's "Handing Plex to other tools" states. A row links the real ` + "`plexlink`" + ` binary to the
fake plex.tv (in the test process) with a real gnome-keyring, then runs the reproduction against
the fake's media servers, all on loopback: Living Room (owned), Grandma's Plex (shared), Old NAS
(offline) and, where the row needs them, the hostile ones: an impostor claiming Living Room's
machine id, a server whose name and owner carry terminal escapes and whose connection URI has a
path and a query, and Studio, with an https connection (a self-signed certificate the binary
trusts through ` + "`SSL_CERT_FILE`" + `) and a plain http one. "account token" says what became of the
token the link stored (compared with ` + "`secret-tool lookup`" + ` and the fake's list of valid tokens,
never printed); row 11 stores an earlier link's token instead of linking. Row 14 is the window
protocol, run in the test process through ` + "`winproto.Read`" + `.

| # | surface | reproduction | command | expected | observed | account token | result |
|---|---|---|---|---|---|---|---|
`

func writeTable(t *testing.T) {
	recMu.Lock()
	rows := append([]outcome(nil), recorded...)
	recMu.Unlock()
	handoffMu.Lock()
	handoffs := append([]outcome(nil), handoffRecorded...)
	handoffMu.Unlock()
	if len(rows) != len(cliRows)+len(guiFaults) || len(handoffs) != len(handoffRows) {
		t.Logf("only %d of %d rows and %d of %d hand-off rows ran (filtered or skipped); the doc is not written",
			len(rows), len(cliRows)+len(guiFaults), len(handoffs), len(handoffRows))
		return
	}
	var b strings.Builder
	b.WriteString(docHeader)
	writeRows(&b, rows)
	b.WriteString(handoffHeader)
	writeRows(&b, handoffs)
	table := b.String()
	root, err := session.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	art, err := display.ArtifactsDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(art, "RELIABILITY.md"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(root, "docs", "RELIABILITY.md")
	if os.Getenv("PLEXLINK_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(doc, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", doc)
		return
	}
	committed, err := os.ReadFile(doc)
	if err != nil {
		t.Fatalf("%v; run `make reliability-doc`", err)
	}
	want, got := resultCells(table), resultCells(string(committed))
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("docs/RELIABILITY.md disagrees with this run; run `make reliability-doc`.\nthis run:\n%s\nthe doc:\n%s",
			strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// writeRows writes the table rows, in order.
func writeRows(b *strings.Builder, rows []outcome) {
	sort.Slice(rows, func(i, j int) bool { return rows[i].N < rows[j].N })
	for _, o := range rows {
		res := "pass"
		if !o.Pass {
			res = "FAIL"
		}
		fmt.Fprintf(b, "| %d | %s | %s | `%s` | %s | %s | %s | %s |\n",
			o.N, o.Surface, o.Fault, o.Command, o.Expected, o.Observed, o.Token, res)
	}
}

// resultCells is "# | surface | fault | result" of every table row: the cells that must
// match between the doc and a run (messages may differ in wording details).
func resultCells(doc string) []string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "| # ") {
			continue
		}
		cells := splitRow(l)
		if len(cells) < 8 {
			continue
		}
		out = append(out, strings.Join([]string{cells[0], cells[1], cells[2], cells[len(cells)-1]}, " | "))
	}
	return out
}

// splitRow splits a markdown table row on unescaped pipes.
func splitRow(l string) []string {
	l = strings.TrimSpace(l)
	l = strings.TrimPrefix(strings.TrimSuffix(l, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(l); i++ {
		if l[i] == '\\' && i+1 < len(l) && l[i+1] == '|' {
			cur.WriteString(`\|`)
			i++
			continue
		}
		if l[i] == '|' {
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(l[i])
	}
	return append(cells, strings.TrimSpace(cur.String()))
}
