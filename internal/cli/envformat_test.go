package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/internal/testenv"
)

// awkward values: quotes of every kind, $, backslashes, spaces, a backtick, a newline.
var awkward = []envVar{
	{"PLEX_TOKEN", `it's "quoted" $HOME $(id) \ \\ ` + "`x`"},
	{"PLEX_URL", "  leading and trailing spaces  "},
	{"PLEXAPI_HEADER_DEVICE_NAME", "two\nlines and a ’typographic’ quote"},
	{"KOMETA_PLEX_TOKEN", ""},
}

// evalIn runs the printed text in a real shell and reads each variable back.
func evalIn(t *testing.T, shell []string, script string, vs []envVar) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string(nil), shell[1:]...), strings.ReplaceAll(shell[0], "FILE", file))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "NAMES="+names(vs))
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
		{"dotenv", "sh", []string{`set -a; . FILE; for n in $NAMES; do eval "printf '%s\0' \"\$$n\""; done`, "sh", "-c"},
			[]envVar{{"PLEX_TOKEN", `a "b" $HOME \ c`}, {"PLEX_URL", "http://127.0.0.1:1/x y"}}},
		{"fish", "fish", []string{`source FILE; for n in (string split ' ' $NAMES); printf '%s\0' $$n; end`, "fish", "-N", "-c"}, awkward},
		{"powershell", "pwsh", []string{`. 'FILE'; foreach ($n in $env:NAMES.Split(' ')) { [Console]::Out.Write([Environment]::GetEnvironmentVariable($n) + [char]0) }`, "pwsh", "-NoProfile", "-NonInteractive", "-Command"}, awkward},
	}
	for _, sh := range shells {
		t.Run(sh.format, func(t *testing.T) {
			if _, err := exec.LookPath(sh.tool); err != nil {
				if sh.tool == "pwsh" {
					t.Skip("pwsh is not installed (Debian has no package); the quoting is checked where it is")
				}
				testenv.RequireTool(t, sh.tool, sh.tool)
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
	if _, err := envFormats["dotenv"]([]envVar{{"PLEX_URL", "it's"}}); err == nil || !strings.Contains(err.Error(), "PLEX_URL") {
		t.Errorf("dotenv with a quote: %v, want a refusal naming the variable", err)
	}
}

func TestChildEnvReplacesAndMarks(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "PLEX_TOKEN=old", "PLEXLINK_EXEC=", "HOME=/h"}, []envVar{{"PLEX_TOKEN", "new"}})
	want := []string{"PATH=/bin", "HOME=/h", "PLEX_TOKEN=new", "PLEXLINK_EXEC=1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}
