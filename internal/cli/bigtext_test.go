package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
)

func TestBigTextRendersEveryCodeCharacter(t *testing.T) {
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		if _, ok := glyphs[r]; !ok {
			t.Errorf("no glyph for %q: a real PIN could fail to render", r)
		}
	}
	out := bigText("7RQZ")
	if lines := strings.Split(strings.TrimRight(out, "\n"), "\n"); len(lines) != 5 {
		t.Fatalf("bigText rendered %d rows, want 5:\n%s", len(lines), out)
	}
	if bigText("AB-C") != "" {
		t.Error("a character without a glyph must give no big text (plain code only)")
	}
}

func TestProgressPlainLinesWhenNotATerminal(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false)
	exp := time.Now().Add(15 * time.Minute)
	p.event(auth.Event{State: auth.StatePinReady, Code: "7RQZ", LinkURL: "https://plex.tv/link/?pin=7RQZ", ExpiresAt: exp})
	p.event(auth.Event{State: auth.StateWaiting})
	p.event(auth.Event{State: auth.StateWaiting})
	p.event(auth.Event{State: auth.StateValidating})
	p.stop()
	out := b.String()
	if strings.Contains(out, "\r") || strings.Contains(out, "\033[") {
		t.Fatalf("terminal control codes written to a pipe: %q", out)
	}
	for _, want := range []string{"7RQZ", "https://plex.tv/link/?pin=7RQZ", "Waiting", "checking the token"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, waitingText); n != 1 {
		t.Errorf("waiting line printed %d times, want once (repeated polls must not flood a log):\n%s", n, out)
	}
}
