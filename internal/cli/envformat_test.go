//go:build linux

package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// awkward values: quotes of every kind, $, backslashes, spaces, a backtick, a newline.
var awkward = []envVar{
	{"PLEX_TOKEN", `it's "quoted" $HOME $(id) \ \\ ` + "`x`"},
	{"PLEX_URL", "  leading and trailing spaces  "},
	{"PLEXAPI_HEADER_DEVICE_NAME", "two\nlines and a ’typographic’ quote"},
	{"KOMETA_PLEX_TOKEN", ""},
}

// plain values are the ones dotenv carries: no whitespace, quotes, #, $ or backslash.
var plain = []envVar{{"PLEX_TOKEN", "aB3-x_Y9zQ"}, {"PLEX_URL", "http://127.0.0.1:32400/a=b"},
	{"PLEXAPI_HEADER_DEVICE_NAME", "Jörg,%+@~"}, {"KOMETA_PLEX_TOKEN", ""}}

// evalIn runs the printed text in a real shell and reads each variable back.
func evalIn(t *testing.T, shell []string, script string, vs []envVar, environ ...string) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string(nil), shell[1:]...), strings.ReplaceAll(shell[0], "FILE", file))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), environ...), "NAMES="+names(vs))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, script)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func names(vs []envVar) string {
	n := make([]string, len(vs))
	for i, v := range vs {
		n[i] = v.name
	}
	return strings.Join(n, " ")
}

func TestEnvFormatsRoundTripInRealShells(t *testing.T) {
	shells := []struct {
		format string
		tool   string
		argv   []string // argv[0] is the script; FILE is replaced by the output's path
		values []envVar
	}{
		{"sh", "sh", []string{`. FILE; for n in $NAMES; do eval "printf '%s\0' \"\$$n\""; done`, "sh", "-c"}, awkward},
		{"dotenv", "sh", []string{`set -a; . FILE; for n in $NAMES; do eval "printf '%s\0' \"\$$n\""; done`, "sh", "-c"}, plain},
		{"dotenv", "python3", []string{`import os; from dotenv import dotenv_values; v = dotenv_values("FILE"); [print(v[n], end="\0") for n in os.environ["NAMES"].split()]`, "python3", "-c"}, plain},
		{"fish", "fish", []string{`source FILE; for n in (string split ' ' $NAMES); printf '%s\0' $$n; end`, "fish", "-N", "-c"}, awkward},
		{"powershell", "pwsh", []string{`. 'FILE'; foreach ($n in $env:NAMES.Split(' ')) { [Console]::Out.Write([Environment]::GetEnvironmentVariable($n) + [char]0) }`, "pwsh", "-NoProfile", "-NonInteractive", "-Command"}, awkward},
	}
	for _, sh := range shells {
		t.Run(sh.format+"-"+sh.tool, func(t *testing.T) {
			if sh.tool == "python3" && exec.Command("python3", "-c", "import dotenv").Run() != nil {
				t.Skip("python-dotenv is not installed")
			}
			if _, err := exec.LookPath(sh.tool); err != nil {
				if sh.tool == "pwsh" {
					t.Skip("pwsh is not installed (Debian has no package); the quoting is checked where it is")
				}
				session.RequireTool(t, sh.tool, sh.tool)
			}
			text, err := envFormats[sh.format](sh.values)
			if err != nil {
				t.Fatal(err)
			}
			vals := sh.values
			if sh.tool == "pwsh" {
				vals = vals[:3] // PowerShell removes a variable set to ""
			}
			got := evalIn(t, sh.argv, text, vals)
			for i, v := range vals {
				if i >= len(got) || got[i] != v.value {
					t.Errorf("%s: %s came back as %q, want %q\n%s", sh.format, v.name, at(got, i), v.value, text)
				}
			}
		})
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<missing>"
}

func TestEnvFormatJSONAndDotenvLimits(t *testing.T) {
	text, err := envFormats["json"](awkward)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	for _, v := range awkward {
		if m[v.name] != v.value {
			t.Errorf("json: %s = %q, want %q", v.name, m[v.name], v.value)
		}
	}
}

func TestEnvFormatDotenvIsUnquotedAndRefusesWhatReadersDisagreeOn(t *testing.T) {
	text, err := envFormats["dotenv"]([]envVar{{"PLEX_TOKEN", "aB3-x_Y9zQ"}, {"PLEX_URL", "http://127.0.0.1:32400"}})
	if want := "PLEX_TOKEN=aB3-x_Y9zQ\nPLEX_URL=http://127.0.0.1:32400\n"; err != nil || text != want {
		t.Errorf("dotenv = %q, %v; want %q (unquoted: docker --env-file keeps quotes in the value)", text, err, want)
	}
	for _, bad := range []string{"it's", `a"b`, "a`b", "a b", " a", "a\t", "a#b", "$HOME", "${HOME}", `a\b`, "two\nlines", "a\rb"} {
		_, err := envFormats["dotenv"]([]envVar{{"PLEX_TOKEN", "ok"}, {"PLEXAPI_HEADER_DEVICE_NAME", bad}})
		if err == nil || !strings.Contains(err.Error(), "PLEXAPI_HEADER_DEVICE_NAME") || !strings.Contains(err.Error(), "--format sh or json") {
			t.Errorf("dotenv with %q: %v, want a refusal naming the variable and suggesting sh or json", bad, err)
		}
	}
}

// What env does not set, it unsets: after `eval "$(plexlink env --server A)"` and then
// `eval "$(plexlink env)"`, no URL of A is left next to the new token.
func TestEnvFormatsUnsetStaleVariablesInRealShells(t *testing.T) {
	set := []envVar{{"PLEX_TOKEN", "new"}, {"PLEXAPI_AUTH_SERVER_TOKEN", "new"}, {"KOMETA_PLEX_TOKEN", "new"}}
	for _, sh := range []struct {
		format, tool string
		argv         []string
	}{
		{"sh", "sh", []string{`. FILE; for n in $NAMES; do eval "printf '%s\0' \"\${$n-<unset>}\""; done`, "sh", "-c"}},
		{"fish", "fish", []string{`source FILE; for n in (string split ' ' $NAMES); if set -q $n; printf '%s\0' $$n; else; printf '<unset>\0'; end; end`, "fish", "-N", "-c"}},
	} {
		t.Run(sh.format, func(t *testing.T) {
			session.RequireTool(t, sh.tool, sh.tool)
			text, err := envFormats[sh.format](set)
			if err != nil {
				t.Fatal(err)
			}
			all := make([]envVar, len(handoffVars))
			stale := []string{}
			for i, n := range handoffVars {
				all[i] = envVar{n, "<unset>"}
				stale = append(stale, n+"=stale")
			}
			copy(all, set)
			got := evalIn(t, sh.argv, text, all, stale...)
			for i, v := range all {
				if at(got, i) != v.value {
					t.Errorf("%s after eval: %s = %q, want %q\n%s", sh.format, v.name, at(got, i), v.value, text)
				}
			}
		})
	}
}

func TestChildEnvReplacesAndMarks(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "PLEX_TOKEN=old", "PLEXLINK_EXEC=", "HOME=/h"}, []envVar{{"PLEX_TOKEN", "new"}})
	want := []string{"PATH=/bin", "HOME=/h", "PLEX_TOKEN=new", "PLEXLINK_EXEC=1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}

// exec owns the whole hand-off table: a variable it does not set does not reach the child.
func TestChildEnvDropsStaleHandoffVariables(t *testing.T) {
	base := []string{"PATH=/bin"}
	for _, n := range handoffVars {
		base = append(base, n+"=stale")
	}
	got := childEnv(append(base, "PLEXAPI_HEADER_PLATFORM=kept"), setAll(nil, tokenVars, "t", "t", "t"))
	want := []string{"PATH=/bin", "PLEXAPI_HEADER_PLATFORM=kept", "PLEX_TOKEN=t", "PLEXAPI_AUTH_SERVER_TOKEN=t", "KOMETA_PLEX_TOKEN=t", "PLEXLINK_EXEC=1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}
