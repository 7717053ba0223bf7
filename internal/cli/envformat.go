package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"codeberg.org/plexlink/plexlink/internal/shellquote"
)

// envVar is one variable `plexlink env` prints and `plexlink exec` sets.
type envVar struct{ name, value string }

// The hand-off table (README, docs/PLEX-TV-TOOLS.md): every variable env and exec own. One
// that a hand-off does not set is removed (exec) or unset (env's shell formats), so nothing
// survives from an earlier hand-off: no other server's URL next to this token.
var (
	tokenVars    = []string{"PLEX_TOKEN", "PLEXAPI_AUTH_SERVER_TOKEN", "KOMETA_PLEX_TOKEN"}
	urlVars      = []string{"PLEX_URL", "PLEXAPI_AUTH_SERVER_BASEURL", "KOMETA_PLEX_URL"}
	identityVars = []string{"PLEXAPI_HEADER_IDENTIFIER", "PLEXAPI_HEADER_PRODUCT", "PLEXAPI_HEADER_DEVICE_NAME"}
	handoffVars  = slices.Concat(tokenVars, urlVars, identityVars)
)

// setAll appends names[i]=values[i].
func setAll(vs []envVar, names []string, values ...string) []envVar {
	for i, n := range names {
		vs = append(vs, envVar{n, values[i]})
	}
	return vs
}

// unsetNames are the hand-off variables vs does not set, in table order.
func unsetNames(vs []envVar) []string {
	var out []string
	for _, n := range handoffVars {
		if !slices.ContainsFunc(vs, func(v envVar) bool { return v.name == n }) {
			out = append(out, n)
		}
	}
	return out
}

// envFormats are the shapes `plexlink env --format` can print. The shell formats quote so
// that any value (quotes, $, spaces, backslashes) arrives unchanged when the output is
// evaluated, and unset the hand-off variables they do not set.
var envFormats = map[string]func([]envVar) (string, error){
	"sh": shellFormat(
		func(v envVar) string { return "export " + v.name + "=" + shellquote.Sh(v.value) },
		func(name string) string { return "unset " + name }),
	"fish": shellFormat(
		func(v envVar) string { return "set -gx " + v.name + " " + shellquote.Fish(v.value) },
		func(name string) string { return "set -e " + name }),
	"powershell": shellFormat(
		func(v envVar) string { return "$env:" + v.name + " = " + shellquote.PowerShell(v.value) },
		func(name string) string { return "Remove-Item Env:" + name + " -ErrorAction SilentlyContinue" }),
	// dotenv files are read by docker --env-file (the value verbatim, quotes included),
	// compose (quotes, escapes, $ expansion, " #" comments, trimmed) and python-dotenv (the
	// same but ${…} only): an unquoted value is the same to all three only without
	// whitespace, quotes, #, $ and backslashes, so any other value is refused.
	"dotenv": func(vs []envVar) (string, error) {
		for _, v := range vs {
			if i := strings.IndexFunc(v.value, dotenvUnsafe); i >= 0 {
				return "", fmt.Errorf("%s holds %q, which dotenv files (docker --env-file, compose, python-dotenv) do not read alike; use --format sh or json", v.name, v.value[i:i+1])
			}
		}
		return lines(vs, nil, func(v envVar) string { return v.name + "=" + v.value }, nil), nil
	},
	"json": func(vs []envVar) (string, error) {
		m := make(map[string]string, len(vs))
		for _, v := range vs {
			m[v.name] = v.value
		}
		b, err := json.Marshal(m)
		return string(b) + "\n", err
	},
}

func dotenvUnsafe(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`'"`+"`"+`#$\`, r)
}

func shellFormat(set func(envVar) string, unset func(string) string) func([]envVar) (string, error) {
	return func(vs []envVar) (string, error) { return lines(vs, unsetNames(vs), set, unset), nil }
}

func lines(vs []envVar, unset []string, set func(envVar) string, unsetLine func(string) string) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(set(v))
		b.WriteByte('\n')
	}
	for _, n := range unset {
		b.WriteString(unsetLine(n))
		b.WriteByte('\n')
	}
	return b.String()
}
