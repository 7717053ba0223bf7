package display

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// CloseWindow asks window id (decimal, as xdotool prints it) to close the way a window
// manager's close button does: a WM_DELETE_WINDOW client message. Without a window manager
// nothing else works: `xdotool windowclose` destroys the window behind the toolkit's back (a
// Fyne app keeps running without it) and alt+F4 means nothing. xdotool has no command for
// this, so it speaks the few X11 requests needed itself.
func (x *Display) CloseWindow(id string) error {
	win, err := strconv.ParseUint(id, 10, 32)
	if err != nil {
		return fmt.Errorf("display: window id %q: %w", id, err)
	}
	conn, err := net.DialTimeout("unix", "/tmp/.X11-unix/X"+strings.TrimPrefix(x.Name, ":"), 5*time.Second)
	if err != nil {
		return fmt.Errorf("display: connecting to X display %s: %w", x.Name, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	c := &xconn{rw: conn}
	if err := c.setup(); err != nil {
		return err
	}
	protocols, err := c.internAtom("WM_PROTOCOLS")
	if err != nil {
		return err
	}
	deleteWindow, err := c.internAtom("WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	// SendEvent(propagate=false, destination=win, mask=0 → the window's creator), ClientMessage.
	req := make([]byte, 44)
	req[0] = 25
	binary.LittleEndian.PutUint16(req[2:], 11)
	binary.LittleEndian.PutUint32(req[4:], uint32(win))
	ev := req[12:]
	ev[0], ev[1] = 33, 32 // ClientMessage, format 32
	binary.LittleEndian.PutUint32(ev[4:], uint32(win))
	binary.LittleEndian.PutUint32(ev[8:], protocols)
	binary.LittleEndian.PutUint32(ev[12:], deleteWindow) // data[0]; data[1] = CurrentTime
	if _, err := conn.Write(req); err != nil {
		return fmt.Errorf("display: X SendEvent: %w", err)
	}
	// GetInputFocus is a round trip: its reply means the server has handled the SendEvent
	// (an error for a bad window would arrive first).
	if _, err := c.request([]byte{43, 0, 1, 0}); err != nil {
		return fmt.Errorf("display: closing window %s: %w", id, err)
	}
	return nil
}

// xconn is just enough of the X11 protocol (little-endian client) for CloseWindow.
type xconn struct{ rw io.ReadWriter }

func (c *xconn) setup() error {
	// 'l' = little-endian, protocol 11.0, no authorization (Xvfb started without -auth).
	if _, err := c.rw.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		return fmt.Errorf("display: X setup: %w", err)
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(c.rw, head); err != nil {
		return fmt.Errorf("display: X setup reply: %w", err)
	}
	rest := make([]byte, 4*int(binary.LittleEndian.Uint16(head[6:])))
	if _, err := io.ReadFull(c.rw, rest); err != nil {
		return fmt.Errorf("display: X setup reply: %w", err)
	}
	if head[0] != 1 {
		reason := rest
		if n := int(head[1]); head[0] == 0 && n <= len(rest) {
			reason = rest[:n]
		}
		return fmt.Errorf("display: X server refused the connection (status %d): %s", head[0], reason)
	}
	return nil
}

func (c *xconn) internAtom(name string) (uint32, error) {
	pad := (4 - len(name)%4) % 4
	req := make([]byte, 8+len(name)+pad)
	req[0] = 16 // InternAtom, only-if-exists = false
	binary.LittleEndian.PutUint16(req[2:], uint16(len(req)/4))
	binary.LittleEndian.PutUint16(req[4:], uint16(len(name)))
	copy(req[8:], name)
	reply, err := c.request(req)
	if err != nil {
		return 0, fmt.Errorf("display: InternAtom %s: %w", name, err)
	}
	return binary.LittleEndian.Uint32(reply[8:]), nil
}

// request sends req and returns the first reply, skipping events; an X error fails it.
func (c *xconn) request(req []byte) ([]byte, error) {
	if _, err := c.rw.Write(req); err != nil {
		return nil, err
	}
	for {
		msg := make([]byte, 32)
		if _, err := io.ReadFull(c.rw, msg); err != nil {
			return nil, err
		}
		switch msg[0] {
		case 0:
			return nil, fmt.Errorf("X error code %d (bad value 0x%x, request %d)", msg[1], binary.LittleEndian.Uint32(msg[4:]), msg[10])
		case 1:
			extra := make([]byte, 4*int(binary.LittleEndian.Uint32(msg[4:])))
			if _, err := io.ReadFull(c.rw, extra); err != nil {
				return nil, err
			}
			return append(msg, extra...), nil
		}
	}
}
