package winproto

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestRoundTripAndTolerance(t *testing.T) {
	var b bytes.Buffer
	for _, m := range []Message{{Event: EventReady}, {Cmd: CmdLink}, {Event: EventLinked}} {
		if err := Write(&b, m); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(b.String(), `{"v":1,"event":"ready"}`+"\n") {
		t.Errorf("wire format %q", b.String())
	}
	// What a receiver must skip: noise from a library, a newer version, both or neither
	// name set, an overlong line.
	b.WriteString("Gtk-WARNING: something\n")
	b.WriteString(`{"v":2,"event":"linked","extra":{"x":1}}` + "\n")
	b.WriteString(`{"v":1,"event":"linked","cmd":"show"}` + "\n")
	b.WriteString(`{"v":1}` + "\n")
	b.WriteString(`{"v":1,"cmd":"quit","future":"field"}` + "\n")
	var got []string
	var skipped int
	err := Read(&b, func(m Message) { got = append(got, m.Event+m.Cmd) }, func(string) { skipped++ })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ready", "link", "linked", "quit"}; !slices.Equal(got, want) {
		t.Errorf("read %q, want %q", got, want)
	}
	if skipped != 4 {
		t.Errorf("skipped %d lines, want 4", skipped)
	}
}

// An overlong line (10 KiB of a library's output) is skipped; later messages still arrive.
func TestOverlongLineIsSkipped(t *testing.T) {
	long := strings.Repeat("x", 10<<10)
	r := strings.NewReader(`{"v":1,"event":"ready"}` + "\n" + long + "\n" + `{"v":1,"event":"linked"}` + "\r\n" + `{"v":1,"cmd":"quit"}`)
	var got, skipped []string
	err := Read(r, func(m Message) { got = append(got, m.Event+m.Cmd) }, func(l string) { skipped = append(skipped, l) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"ready", "linked", "quit"}) {
		t.Errorf("read %q, want ready, linked, quit: an overlong line must not stop the reader", got)
	}
	if len(skipped) != 1 || skipped[0] != long[:maxLine] {
		t.Errorf("skip got %d lines (first %d bytes), want the overlong one cut to %d bytes", len(skipped), len(at(skipped, 0)), maxLine)
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}
