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
)

// Commands, tray → window.
const (
	CmdShow   = "show"   // bring the window to the front
	CmdLink   = "link"   // show it and start linking (or relinking)
	CmdUnlink = "unlink" // show it and ask to confirm an unlink
	CmdQuit   = "quit"   // the tray quits: stop the engine (bounded) and exit
	CmdState  = "state"  // what the tray knows now (State); sent when it changes and to a new window
)

// Message is one line. Exactly one of Event and Cmd is set; State goes with CmdState, On
// with EventSetAutostart.
type Message struct {
	V     int    `json:"v"`
	Event string `json:"event,omitempty"`
	Cmd   string `json:"cmd,omitempty"`
	State *State `json:"state,omitempty"`
	On    *bool  `json:"on,omitempty"`
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
