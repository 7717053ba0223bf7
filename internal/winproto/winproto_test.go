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

func TestOverlongLineEnds(t *testing.T) {
	r := strings.NewReader(`{"v":1,"event":"ready"}` + "\n" + strings.Repeat("x", 10000) + "\n" + `{"v":1,"event":"linked"}` + "\n")
	var got []string
	if err := Read(r, func(m Message) { got = append(got, m.Event) }, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"ready"}) {
		t.Errorf("read %q: an overlong line must end the stream (it is not this protocol)", got)
	}
}
