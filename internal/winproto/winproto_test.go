package winproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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

// The tray's state and the window's set_autostart carry their values; a state never holds
// more than the snapshot (no token field exists to fill).
func TestStateAndSetAutostart(t *testing.T) {
	var b bytes.Buffer
	st := State{Linked: true, Account: "alice", RelinkNeeded: true, HasAutostart: true, Autostart: true, AutostartErr: "read-only home"}
	if err := Write(&b, StateMessage(st)); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, SetAutostart(false)); err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"cmd":"state","state":{"linked":true,"account":"alice","relink_needed":true,"has_autostart":true,"autostart":true,"autostart_err":"read-only home"}}` + "\n" +
		`{"v":1,"event":"set_autostart","on":false}` + "\n"
	if b.String() != want {
		t.Errorf("wire format\n%s\nwant\n%s", b.String(), want)
	}
	// A state from a newer tray with fields this one does not know still reads.
	b.WriteString(`{"v":1,"cmd":"state","state":{"linked":false,"quota":3}}` + "\n")
	var got []Message
	if err := Read(&b, func(m Message) { got = append(got, m) }, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].State == nil || *got[0].State != st {
		t.Fatalf("read %+v, want the state back", got)
	}
	if got[1].Event != EventSetAutostart || got[1].On == nil || *got[1].On {
		t.Errorf("set_autostart read as %+v", got[1])
	}
	if got[2].State == nil || got[2].State.Linked {
		t.Errorf("a newer state read as %+v", got[2])
	}
}

// Write refuses what a reader would skip as overlong, so a long account name cannot turn a
// state into noise.
func TestWriteRefusesOverlong(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, StateMessage(State{Linked: true, Account: strings.Repeat("a", maxLine)}))
	if err != ErrTooLong || b.Len() != 0 {
		t.Errorf("Write of an overlong state: %v, %d bytes written", err, b.Len())
	}
	// The longest line that is sent still reads.
	m := StateMessage(State{Linked: true})
	short, _ := json.Marshal(Message{V: Version, Cmd: m.Cmd, State: m.State})
	m.State.Account = strings.Repeat("a", maxLine-1-len(short)-len(`,"account":""`))
	if err := Write(&b, m); err != nil {
		t.Fatalf("a line of exactly %d bytes: %v", maxLine-1, err)
	}
	if b.Len() != maxLine {
		t.Fatalf("wrote %d bytes, want %d", b.Len(), maxLine)
	}
	n := 0
	if err := Read(&b, func(Message) { n++ }, nil); err != nil || n != 1 {
		t.Errorf("the longest line read as %d messages (%v)", n, err)
	}
}

// The lists the tray sends: a round trip, and a section too long for a line is cut to fit
// with the rest counted, never refused.
func TestListMessages(t *testing.T) {
	var b bytes.Buffer
	l := List{Kind: ListServers, Pending: true, Items: []Item{{Name: "Living Room", Via: "local", HTTPS: true}, {Name: "Old NAS"}}}
	if err := Write(&b, ListMessage(l)); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, Revoke("beets", "")); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, Revoked("beets", "u1", errors.New("plex.tv did not answer"))); err != nil {
		t.Fatal(err)
	}
	var got []Message
	if err := Read(&b, func(m Message) { got = append(got, m) }, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Cmd != CmdList || got[0].List == nil || !reflect.DeepEqual(*got[0].List, l) {
		t.Fatalf("list round trip: %+v", got)
	}
	if got[1].Event != EventRevokeTool || got[1].Tool != "beets" || got[1].User != "" {
		t.Errorf("revoke: %+v", got[1])
	}
	if got[2].Cmd != CmdRevoked || got[2].User != "u1" || got[2].Err != "plex.tv did not answer" {
		t.Errorf("revoked: %+v", got[2])
	}

	// 500 servers with long names (multi-byte, so cutting must respect runes).
	var many []Item
	for i := range 500 {
		many = append(many, Item{Name: fmt.Sprintf("%03d ", i) + strings.Repeat("é", 200), Owner: strings.Repeat("o", 300), Via: "relay"})
	}
	m := ListMessage(List{Kind: ListServers, Items: many})
	b.Reset()
	if err := Write(&b, m); err != nil {
		t.Fatalf("a capped list does not fit a line: %v", err)
	}
	if b.Len() > maxLine {
		t.Fatalf("line of %d bytes", b.Len())
	}
	n := len(m.List.Items)
	if n < 5 || n+m.List.More != 500 {
		t.Errorf("%d items sent, %d more: want several, and all counted", n, m.List.More)
	}
	for _, it := range m.List.Items {
		if !utf8.ValidString(it.Name) || len(it.Name) > maxField+len("…") || len(it.Owner) > maxField+len("…") {
			t.Fatalf("a text was not cut cleanly: %q", it.Name)
		}
	}
	if !strings.HasPrefix(m.List.Items[n-1].Name, fmt.Sprintf("%03d ", n-1)) {
		t.Error("the first rows are not the ones kept")
	}
	// One line the list would not even need cutting: left alone.
	if m := ListMessage(l); m.List.More != 0 || len(m.List.Items) != 2 {
		t.Errorf("a short list was cut: %+v", m.List)
	}
}
