package auth

import (
	"fmt"
	"io"
	"log/slog"
)

const redacted = "[redacted]"

// Token is a plex.tv auth token. Every way Go has of printing or serialising a value
// (fmt verbs, JSON, text, slog) yields "[redacted]", so a token that ends up in a log
// line, an error or a config struct by accident does not leak. Reveal is the only way
// to get the secret, which makes every real use easy to find in review.
type Token string

// Reveal returns the secret. Use it only to put the token on the wire or in the keychain.
func (t Token) Reveal() string { return string(t) }

// IsZero reports whether there is no token at all.
func (t Token) IsZero() bool { return t == "" }

func (t Token) String() string   { return redacted }
func (t Token) GoString() string { return redacted }

// Format covers every verb (%s %v %q %x %d …), including Token fields of structs printed with %+v.
func (t Token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

func (t Token) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (t Token) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (t Token) LogValue() slog.Value         { return slog.StringValue(redacted) }
