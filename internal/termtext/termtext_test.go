package termtext

import (
	"encoding/json"
	"testing"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Living Room", "Living Room"},
		{"Grandma's Plex ✓ 📺 Ωmega 日本", "Grandma's Plex ✓ 📺 Ωmega 日本"},
		{"family 👨\u200d👩\u200d👧", "family 👨\u200d👩\u200d👧"}, // ZWJ keeps emoji sequences whole
		{"\x1b]0;pwned\x07title", "]0;pwnedtitle"},           // OSC retitle: ESC and BEL go
		{"\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"a\tb\nc\rd\x00e\x7ff", "abcdef"},
		{"x\u009b2Ky\u0085z\u0080", "x2Kyz"},
		{"left\u202eright\u2066i\u2069\u200e\u200f\u061c", "leftrighti"},
		{"line\u2028para\u2029end", "lineparaend"},
		{"bad\xffutf8\xc2", "bad\uFFFDutf8\uFFFD"},
		{"", ""},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEscapeJSON(t *testing.T) {
	name := "Evil\x1b[2K\u009b31m\u0085\x7f✓"
	b, err := json.Marshal(map[string]string{"name": name})
	if err != nil {
		t.Fatal(err)
	}
	esc := EscapeJSON(b)
	for _, r := range string(esc) {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			t.Fatalf("EscapeJSON left %U in %s", r, esc)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(esc, &back); err != nil || back["name"] != name {
		t.Fatalf("EscapeJSON(%s) = %s decodes to %q, %v; want %q", b, esc, back["name"], err, name)
	}
	if plain := []byte(`{"a":"b"}`); string(EscapeJSON(plain)) != string(plain) {
		t.Error("EscapeJSON changed clean JSON")
	}
}
