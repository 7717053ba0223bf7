package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"codeberg.org/plexlink/plexlink/internal/shellquote"
)

// envVar is one variable `plexlink env` prints and `plexlink exec` sets.
type envVar struct{ name, value string }

// envFormats are the shapes `plexlink env --format` can print, each quoted so that any
// value (quotes, $, spaces, backslashes) arrives unchanged when the output is evaluated.
var envFormats = map[string]func([]envVar) (string, error){
	"sh": func(vs []envVar) (string, error) {
		return eachLine(vs, func(v envVar) string { return "export " + v.name + "=" + shellquote.Sh(v.value) })
	},
	"fish": func(vs []envVar) (string, error) {
		return eachLine(vs, func(v envVar) string { return "set -gx " + v.name + " " + shellquote.Fish(v.value) })
	},
	"powershell": func(vs []envVar) (string, error) {
		return eachLine(vs, func(v envVar) string { return "$env:" + v.name + " = " + shellquote.PowerShell(v.value) })
	},
	// dotenv files (docker --env-file, compose, python-dotenv) disagree on escapes; a
	// single-quoted value without quotes or line breaks means the same to all of them and
	// to `set -a; . file`.
	"dotenv": func(vs []envVar) (string, error) {
		for _, v := range vs {
			if strings.ContainsAny(v.value, "'\n\r") {
				return "", fmt.Errorf("%s holds a quote or line break, which dotenv files cannot carry portably; use --format sh or json", v.name)
			}
		}
		return eachLine(vs, func(v envVar) string { return v.name + "='" + v.value + "'" })
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

func eachLine(vs []envVar, line func(envVar) string) (string, error) {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(line(v))
		b.WriteByte('\n')
	}
	return b.String(), nil
}
