// Package shellquote quotes a string so that a shell reads it back unchanged: for
// `plexlink env`'s output and for the scripts the app hands to PowerShell.
package shellquote

import "strings"

// Sh: inside single quotes sh takes everything literally; a quote is closed, escaped, reopened.
func Sh(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Fish: fish single quotes treat only \' and \\ as escapes.
func Fish(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// PowerShell: single-quoted strings are verbatim except ” for a quote (and the typographic
// quotes PowerShell treats the same way).
func PowerShell(s string) string {
	return "'" + strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019",
		"\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b").Replace(s) + "'"
}
