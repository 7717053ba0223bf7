//go:build linux

package cli_test

// The README's command-line examples are what new users paste first: every shell line in
// that section is run here, as written, against `plexlink fake-server`, so an example that
// stops working fails the suite instead of a user.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// notOffline are README lines that start the desktop app or run until stopped; each says
// where it is tested instead. Any other line must run to exit 0 against the fake.
var notOffline = map[string]string{
	"plexlink --background": "starts the tray app: internal/tests/e2e runs the real binary under Xvfb",
	"plexlink demo":         "starts the desktop app with its own fake: internal/tests/e2e TestDemoOffline",
}

// thirdParty are README lines that start a tool this project did not write. Where the tool is
// missing, its first request is made by a stand-in reading the same variables, and the log
// says so; want is what the line must print either way.
var thirdParty = []struct {
	marker, why, installed, standIn, want string
}{
	{
		marker:    "from plexapi.server import PlexServer",
		why:       "python-plexapi is not installed (pip install plexapi)",
		installed: `python3 -c 'import plexapi'`,
		// What PlexServer() does first: GET {baseurl}/ with the token, XML back, friendlyName.
		standIn: `python3 -c 'import os, urllib.request as r, xml.etree.ElementTree as E; ` +
			`q = r.Request(os.environ["PLEXAPI_AUTH_SERVER_BASEURL"] + "/", headers={"X-Plex-Token": os.environ["PLEXAPI_AUTH_SERVER_TOKEN"], ` +
			`"X-Plex-Client-Identifier": os.environ["PLEXAPI_HEADER_IDENTIFIER"], "X-Plex-Product": os.environ["PLEXAPI_HEADER_PRODUCT"]}); ` +
			`print(E.fromstring(r.urlopen(q).read()).get("friendlyName"))'`,
		want: plextvtest.OwnedServerName,
	},
	{
		marker:    "python3 kometa.py",
		why:       "Kometa is not in the working directory",
		installed: `test -f kometa.py`,
		standIn:   `sh -c 'curl -sf -H "X-Plex-Token: $KOMETA_PLEX_TOKEN" "$KOMETA_PLEX_URL/identity"'`,
		want:      "machineIdentifier",
	},
}

// untilKilled are lines that serve until stopped: they must print their start line.
var untilKilled = map[string]bool{"plexlink fake-server": true}

// readmeCommands returns the shell lines of the "## Command line" section's sh blocks (its
// ### subsections too: the hand-off examples and Home users),
// continuation lines joined, comment-only and blank lines dropped.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	root, err := session.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	inSection, inBlock, pending := false, false, ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			inSection = line == "## Command line"
		case !inSection:
		case strings.HasPrefix(line, "```"):
			inBlock = !inBlock && (line == "```sh" || line == "```shell" || line == "```bash")
		case inBlock:
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			if strings.HasSuffix(trimmed, `\`) {
				pending += strings.TrimSuffix(trimmed, `\`) + " "
				continue
			}
			cmds = append(cmds, pending+trimmed)
			pending = ""
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found only %d shell lines in README's Command line section: did the section move?", len(cmds))
	}
	if !slices.ContainsFunc(cmds, func(c string) bool { return strings.Contains(c, "--user") }) {
		t.Fatal("no --user line in README's Command line section: did the Home users section move out of it?")
	}
	return cmds
}

// commandOf is the line without its trailing comment, for the lookup tables.
func commandOf(line string) string {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// approvalCode finds a code to approve in what a link command printed or opened: the short
// code's ?pin= or the strong code's &code=.
var approvalCode = regexp.MustCompile(`[?&#](?:pin|code)=([A-Za-z0-9]+)`)

func TestReadmeExamplesRunAgainstTheFake(t *testing.T) {
	w := newWorld(t)
	bin := t.TempDir()
	if err := os.Symlink(session.Binary(t), filepath.Join(bin, "plexlink")); err != nil {
		t.Fatal(err)
	}
	session.RequireTool(t, "curl", "curl")
	env := append(append([]string(nil), w.env...), "PATH="+bin+string(os.PathListSeparator)+pathOf(w.env))

	for _, line := range readmeCommands(t) {
		cmd := commandOf(line)
		if why, ok := notOffline[cmd]; ok {
			t.Logf("not run here: %s (%s)", cmd, why)
			continue
		}
		// The README shows the real plex.tv; the test sends the same request to the fake.
		script := strings.ReplaceAll(line, auth.DefaultBaseURL, w.fake.APIURL)
		want := ""
		for _, tp := range thirdParty {
			if !strings.Contains(script, tp.marker) {
				continue
			}
			want = tp.want
			if exec.Command("sh", "-c", tp.installed).Run() != nil {
				before, _, _ := strings.Cut(script, " -- ")
				script = before + " -- " + tp.standIn
				t.Logf("%s: %s; its first request is made by a stand-in: %s", cmd, tp.why, tp.standIn)
			}
		}
		t.Run(cmd, func(t *testing.T) {
			out, code := runReadmeLine(t, w, env, script, untilKilled[cmd])
			if code != 0 {
				t.Fatalf("README line %q: exit %d\n%s", line, code, out)
			}
			if want != "" && !strings.Contains(out, want) {
				t.Fatalf("README line %q printed no %q:\n%s", line, want, out)
			}
			if strings.Contains(script, "curl") && strings.Contains(script, "/user") && !strings.Contains(out, `"username":"`+plextvtest.DefaultUsername+`"`) {
				t.Fatalf("README's curl example did not reach GET /user with the stored token:\n%s", out)
			}
			if strings.Contains(script, "/identity") && !strings.Contains(out, "machineIdentifier") {
				t.Fatalf("README line %q did not reach the server's /identity with its token:\n%s", line, out)
			}
			if !strings.HasPrefix(cmd, "plexlink token") && !strings.HasPrefix(cmd, "plexlink env") && !strings.Contains(script, "$(plexlink token)") {
				if tok, ok := w.keychain(); ok && tok != "" && strings.Contains(out, tok) {
					t.Fatalf("README line %q printed the token", line)
				}
			}
		})
	}
}

func pathOf(env []string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			return v
		}
	}
	return os.Getenv("PATH")
}

// runReadmeLine runs one line in sh, approving any code it prints or opens in the browser as
// the user would, and returns its combined output and exit code. A serving line passes
// once it has printed a JSON start line; it is then stopped.
func runReadmeLine(t *testing.T, w *world, env []string, script string, serves bool) (string, int) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = env
	// Its own process group, so stopping the line stops what sh started too (a serving
	// plexlink would otherwise hold the output pipe open).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	stop := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var mu sync.Mutex
	var out bytes.Buffer
	cmd.Stdout = lockedWriter{&mu, &out}
	cmd.Stderr = lockedWriter{&mu, &out}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		done <- code
	}()
	approved := map[string]bool{}
	opened := len(w.browser.Opened())
	deadline := time.After(45 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case code := <-done:
			return out.String(), code
		case <-deadline:
			stop()
			<-done
			t.Fatalf("README line %q did not finish in 45s:\n%s", script, out.String())
		case <-tick.C:
		}
		mu.Lock()
		text := out.String()
		mu.Unlock()
		if serves {
			first, _, complete := strings.Cut(text, "\n")
			var v map[string]any
			if complete && json.Unmarshal([]byte(first), &v) == nil && v["api_url"] != nil {
				stop()
				<-done
				return text, 0
			}
			continue
		}
		sources := append([]string{text}, w.browser.Opened()[opened:]...)
		for _, s := range sources {
			for _, m := range approvalCode.FindAllStringSubmatch(s, -1) {
				if code, _ := url.QueryUnescape(m[1]); !approved[code] {
					approved[code] = true
					if err := w.fake.Approve(code); err != nil {
						t.Logf("approving %s: %v", code, err)
					}
				}
			}
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
