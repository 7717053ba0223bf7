package auth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth"
)

func TestTokenIsRedactedEverywhere(t *testing.T) {
	const secret = "Zq9sEcReTtOkEn42xYz7"
	tok := auth.Token(secret)
	res := auth.Result{Token: tok, Account: auth.Account{Username: "demo"}}
	pin := &auth.Pin{ID: 1, Code: "ABCD", AuthToken: tok}
	ev := auth.Event{State: auth.StateLinked}

	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T%v"} {
		out = append(out, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, res), fmt.Sprintf(verb, &res), fmt.Sprintf(verb, pin))
	}
	out = append(out, fmt.Sprint(tok, res, []auth.Token{tok}, map[string]auth.Token{"k": tok}, ev), fmt.Sprintln(pin))
	for _, v := range []any{tok, res, pin, map[string]any{"t": tok}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	text, _ := tok.MarshalText()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "tok", tok, "res", res)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "tok", tok, "pin", pin)
	out = append(out, string(text), logs.String())

	for _, s := range out {
		if strings.Contains(s, secret) || strings.Contains(s, fmt.Sprintf("%x", secret)) || strings.Contains(s, "Zq9") {
			t.Fatalf("secret leaked in an output of %d bytes (%s)", len(s), fingerprint(s))
		}
	}
	if fmt.Sprint(tok) != "[redacted]" || !strings.Contains(out[0], "[redacted]") {
		t.Fatalf("want [redacted], got %q", fmt.Sprint(tok))
	}
	if tok.Reveal() != secret {
		t.Fatalf("Reveal: %s", fingerprint(tok.Reveal()))
	}
}
