// Package winproto is the line protocol between the tray process and the window process it
// starts (`plexlink window`): one JSON object per line on the child's stdin (tray → window
// commands) and stdout (window → tray events). Pipes are the one channel that works on
// Linux, macOS, Windows and under Wine 8 (which has no AF_UNIX sockets).
//
// Every message carries "v": Version. A receiver ignores lines that are not JSON, messages
// of another version and names it does not know, so either side may be newer. Messages
// never carry a secret: the window reads the token from the keychain itself.
//
// The tray owns token health, notifications and start at login: it tells the window what
// it knows with CmdState, and the window asks it with EventCheckDue and EventSetAutostart.
package winproto

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// Version is the protocol version both sides speak.
const Version = 1

// Events, window → tray.
const (
	EventReady        = "ready"         // the window is up (sent once, after it is shown)
	EventLinked       = "linked"        // a new token was validated and stored
	EventUnlinked     = "unlinked"      // the token was removed
	EventClosing      = "closing"       // the window is quitting: later commands go to a new one
	EventCopyToken    = "copy_token"    // Copy token was pressed: the tray copies it as a secret (it outlives the window)
	EventCheckDue     = "check_due"     // the window came to the front: check the token if a check is due
	EventSetAutostart = "set_autostart" // "Start at login" was switched in the window to On
	EventRefresh      = "refresh"       // Refresh in the window: probe the servers and read the Home again
	EventRevokeTool   = "revoke_tool"   // Revoke… was confirmed for Tool (of the Home user User, a uuid, when set)
)

// Commands, tray → window.
const (
	CmdShow    = "show"    // bring the window to the front
	CmdLink    = "link"    // show it and start linking (or relinking)
	CmdUnlink  = "unlink"  // show it and ask to confirm an unlink
	CmdQuit    = "quit"    // the tray quits: stop the engine (bounded) and exit
	CmdState   = "state"   // what the tray knows now (State); sent when it changes and to a new window
	CmdList    = "list"    // one section the window shows (List); sent while a window is open, when it changes
	CmdRevoked = "revoked" // a revoke_tool ended: Tool, User as asked; Err says why it failed ("" done)
)

// Message is one line. Exactly one of Event and Cmd is set; State goes with CmdState, On
// with EventSetAutostart, List with CmdList, Tool and User with EventRevokeTool and
// CmdRevoked (Err too).
type Message struct {
	V     int    `json:"v"`
	Event string `json:"event,omitempty"`
	Cmd   string `json:"cmd,omitempty"`
	State *State `json:"state,omitempty"`
	On    *bool  `json:"on,omitempty"`
	List  *List  `json:"list,omitempty"`
	Tool  string `json:"tool,omitempty"`
	User  string `json:"user,omitempty"`
	Err   string `json:"err,omitempty"`
}

// The sections a List is about.
const (
	ListServers = "servers" // the account's media servers and how this computer reaches them
	ListTools   = "tools"   // the tools with a token of their own (the account's and Home users')
	ListUsers   = "users"   // the Plex Home's members
)

// List is one section of what Plex Link hands out, as the tray last read it: a compact
// snapshot, capped to fit a line (ListMessage); More counts the items left out. Never a
// token: names, owners, dates and flags.
type List struct {
	Kind    string `json:"kind"`
	Pending bool   `json:"pending,omitempty"` // being read again (the servers' probe); Items are the last known
	Err     string `json:"err,omitempty"`     // why it could not be read
	Items   []Item `json:"items,omitempty"`
	More    int    `json:"more,omitempty"` // items that did not fit the line
}

// Item is one row of a List; the fields used depend on the List's Kind.
type Item struct {
	Name string `json:"name"`
	// servers
	Owner string `json:"owner,omitempty"` // who shares it with the account; "" the account's own
	Via   string `json:"via,omitempty"`   // the connection that answers: local, remote or relay; "" none
	HTTPS bool   `json:"https,omitempty"` // that connection is https
	// tools
	User    string `json:"user,omitempty"`    // a Home user's tool: the user's name
	UserID  string `json:"user_id,omitempty"` // and uuid (what revoke_tool names)
	Created int64  `json:"created,omitempty"` // Unix seconds
	Used    int64  `json:"used,omitempty"`    // last handed out, Unix seconds
	// users
	Admin     bool `json:"admin,omitempty"`
	Managed   bool `json:"managed,omitempty"`
	Protected bool `json:"protected,omitempty"` // a Home PIN guards switching to them
}

// maxField bounds each text of an Item in a ListMessage, so several rows always fit a line.
const maxField = 120

// ListMessage is the tray's CmdList with l, cut to fit one line: every text to maxField
// bytes (at a rune boundary) and, when the rows still do not fit, the last ones left out
// and counted in More.
func ListMessage(l List) Message {
	items := make([]Item, len(l.Items))
	for i, it := range l.Items {
		it.Name, it.Owner, it.User, it.UserID = cut(it.Name), cut(it.Owner), cut(it.User), cut(it.UserID)
		items[i] = it
	}
	l.Err = cut(l.Err)
	fits := func(n int) bool {
		c := l
		c.Items, c.More = items[:n], l.More+len(items)-n
		b, err := json.Marshal(Message{V: Version, Cmd: CmdList, List: &c})
		return err == nil && len(b) <= maxLine-1
	}
	// The largest n that fits (fits(0) always does: the texts are cut).
	lo, hi := 0, len(items)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	l.More += len(items) - lo
	l.Items = items[:lo]
	return Message{Cmd: CmdList, List: &l}
}

// cut shortens s to maxField bytes without splitting a rune.
func cut(s string) string {
	if len(s) <= maxField {
		return s
	}
	i := maxField
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// Revoke is the window's request to revoke tool's token (of the Home user with uuid user,
// or the account's when user is "").
func Revoke(tool, user string) Message {
	return Message{Event: EventRevokeTool, Tool: tool, User: user}
}

// Revoked is the tray's answer to a Revoke; err nil: done.
func Revoked(tool, user string, err error) Message {
	m := Message{Cmd: CmdRevoked, Tool: tool, User: user}
	if err != nil {
		m.Err = cut(err.Error())
	}
	return m
}

// State is the tray's snapshot for the window: what the keychain holds (who, not the
// token), the last token check's verdict and start at login. Never a secret.
type State struct {
	Linked       bool   `json:"linked"`
	Account      string `json:"account,omitempty"`       // the linked account's display name
	RelinkNeeded bool   `json:"relink_needed,omitempty"` // plex.tv rejected the stored token (401/422)
	HasAutostart bool   `json:"has_autostart,omitempty"` // start at login can be set here
	Autostart    bool   `json:"autostart,omitempty"`     // start at login is on
	AutostartErr string `json:"autostart_err,omitempty"` // why the last change of start at login failed
}

// SetAutostart is the window's request to switch start at login.
func SetAutostart(on bool) Message { return Message{Event: EventSetAutostart, On: &on} }

// StateMessage is the tray's CmdState with s.
func StateMessage(s State) Message { return Message{Cmd: CmdState, State: &s} }

// ErrTooLong is returned by Write for a message longer than a line may be.
var ErrTooLong = errors.New("winproto: message longer than 4 KiB")

// maxLine bounds a line; longer ones are not of this protocol and are skipped.
const maxLine = 4096

// Write sends m as one line, with V set to Version. A message that would not fit a line
// (4 KiB with its newline) is not sent: ErrTooLong.
func Write(w io.Writer, m Message) error {
	m.V = Version
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(b) > maxLine-1 {
		return ErrTooLong
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Read calls f for every well-formed message of this version until r ends, and returns the
// read error (nil at EOF). Other lines (a library printing to stdout, a newer version) are
// passed to skip when it is not nil; a line longer than maxLine is skipped up to its
// newline (skip gets its first maxLine bytes) and reading goes on after it.
func Read(r io.Reader, f func(Message), skip func(line string)) error {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			var m Message
			if jerr := json.Unmarshal(line, &m); jerr != nil || m.V != Version || (m.Event == "") == (m.Cmd == "") {
				if skip != nil {
					skip(string(line))
				}
			} else {
				f(m)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line without its line ending, cut to maxLine bytes: the rest of
// an overlong line is read and dropped.
func readLine(br *bufio.Reader) ([]byte, error) {
	chunk, err := br.ReadSlice('\n')
	line := append([]byte(nil), chunk...)
	for err == bufio.ErrBufferFull {
		_, err = br.ReadSlice('\n')
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line[:min(len(line), maxLine)], err
}
