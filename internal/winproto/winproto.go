// Package winproto is the line protocol between the tray process and the window process it
// starts (`plexlink window`): one JSON object per line on the child's stdin (tray → window
// commands) and stdout (window → tray events). Pipes are the one channel that works on
// Linux, macOS, Windows and under Wine 8 (which has no AF_UNIX sockets).
//
// Every message carries "v": Version. A receiver ignores lines that are not JSON, messages
// of another version and names it does not know, so either side may be newer. Messages
// never carry a secret: the window reads the token from the keychain itself.
package winproto

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// Version is the protocol version both sides speak.
const Version = 1

// Events, window → tray.
const (
	EventReady        = "ready"             // the window is up (sent once, after it is shown)
	EventLinked       = "linked"            // a new token was validated and stored
	EventUnlinked     = "unlinked"          // the token was removed
	EventTokenChanged = "token_changed"     // the stored token changed otherwise (re-read the keychain)
	EventRelinkNeeded = "relink_needed"     // plex.tv rejected the stored token (401/422)
	EventAutostart    = "autostart_changed" // "Start at login" was switched in the window
	EventClosing      = "closing"           // the window is quitting: later commands go to a new one
	EventCopyToken    = "copy_token"        // Copy token was pressed: the tray copies it as a secret (it outlives the window)
)

// Commands, tray → window.
const (
	CmdShow   = "show"   // bring the window to the front
	CmdLink   = "link"   // show it and start linking (or relinking)
	CmdUnlink = "unlink" // show it and ask to confirm an unlink
	CmdQuit   = "quit"   // the tray quits: stop the engine (bounded) and exit
)

// Message is one line. Exactly one of Event and Cmd is set.
type Message struct {
	V     int    `json:"v"`
	Event string `json:"event,omitempty"`
	Cmd   string `json:"cmd,omitempty"`
}

// maxLine bounds a line; longer ones are not of this protocol and are skipped.
const maxLine = 4096

// Write sends m as one line, with V set to Version.
func Write(w io.Writer, m Message) error {
	m.V = Version
	b, err := json.Marshal(m)
	if err != nil {
		return err
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
