// Package termtext makes text that someone else chose (a server's or its owner's name from
// plex.tv, a user name, a PIN code) safe to print on a terminal: such text must not move
// the cursor, retitle the window, recolour or erase what is already there.
package termtext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Clean returns s without the characters a terminal acts on instead of printing: C0 controls
// (tab and newline included: they break columns and lines), DEL, C1 controls (U+0080–U+009F,
// which some terminals read as ESC sequences), the line and paragraph separators and the
// bidirectional embedding, override and isolate controls (which reorder what follows on the
// line). Invalid UTF-8 becomes U+FFFD. Every other printable character, letters of every
// script and emoji included, is kept.
func Clean(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if !dropped(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if dropped(r) {
			return false
		}
	}
	return true
}

func dropped(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
		return true // bidirectional controls
	}
	return false
}

// EscapeJSON rewrites DEL and the C1 controls in JSON text as \u escapes, which
// encoding/json leaves raw (it escapes only C0, <, >, & and U+2028/2029). In valid JSON
// those characters can only be inside strings, so the result decodes to the same values
// and is safe to print on a terminal.
func EscapeJSON(b []byte) []byte {
	if !strings.ContainsFunc(string(b), isC1orDEL) {
		return b
	}
	var out strings.Builder
	out.Grow(len(b) + 16)
	for _, r := range string(b) {
		if isC1orDEL(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return []byte(out.String())
}

func isC1orDEL(r rune) bool { return r >= 0x7f && r <= 0x9f }
