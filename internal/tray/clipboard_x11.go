//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/BurntSushi/xgb"
	"github.com/BurntSushi/xgb/xproto"
)

func init() { xgb.Logger = log.New(io.Discard, "", 0) } // it would print connection chatter

// NewClipboard is the X11 CLIPBOARD owned by this process (also XWayland, whose compositor
// bridges it to Wayland clients). The connection to the display is opened per copy and
// closed once the token is off the clipboard, so an idle tray holds none.
func NewClipboard() Clipboard { return &x11Clipboard{display: os.Getenv("DISPLAY")} }

// The targets offered. x-kde-passwordManagerHint=secret tells clipboard managers (Klipper,
// and the ones that follow KDE's convention) not to keep the copy in their history.
var x11TargetNames = []string{"TARGETS", "TIMESTAMP", "UTF8_STRING", "STRING", "TEXT",
	"text/plain", "text/plain;charset=utf-8", "x-kde-passwordManagerHint"}

type x11Clipboard struct {
	display string

	mu        sync.Mutex
	conn      *xgb.Conn
	win       xproto.Window
	atoms     map[string]xproto.Atom
	stamps    chan xproto.Timestamp
	data      []byte // what we offer; nil when we do not own the clipboard
	ownedAt   xproto.Timestamp
	gen       int
	timer     *time.Timer
	eventDone chan struct{}
}

func (c *x11Clipboard) Unavailable() string {
	if c.display == "" {
		return "no X11 display (DISPLAY is not set)"
	}
	return ""
}

func (c *x11Clipboard) CopySecret(text string, clearAfter time.Duration) error {
	if why := c.Unavailable(); why != "" {
		return errors.New(why)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connectLocked(); err != nil {
		return err
	}
	ts, err := c.serverTimeLocked()
	if err != nil {
		c.closeLocked()
		return err
	}
	clip := c.atoms["CLIPBOARD"]
	if err := xproto.SetSelectionOwnerChecked(c.conn, c.win, clip, ts).Check(); err != nil {
		c.closeLocked()
		return fmt.Errorf("clipboard: %v", err)
	}
	owner, err := xproto.GetSelectionOwner(c.conn, clip).Reply()
	if err != nil || owner.Owner != c.win {
		c.closeLocked()
		return errors.New("clipboard: the X server did not give us the clipboard")
	}
	c.wipeLocked()
	c.data, c.ownedAt = []byte(text), ts
	c.gen++
	gen := c.gen
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(clearAfter, func() { c.clear(gen) })
	return nil
}

// Close clears the clipboard if it still holds our copy, and disconnects.
func (c *x11Clipboard) Close() {
	c.mu.Lock()
	c.releaseLocked()
	c.closeLocked()
	done := c.eventDone
	c.mu.Unlock()
	if done == nil {
		return
	}
	// xgb's own shutdown can wait forever for a reply its reader has stopped reading
	// (Conn.Close races its noop with the reader's exit): the clipboard is released and the
	// connection told to close either way, and quitting must not hang on the library.
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

func (c *x11Clipboard) clear(gen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.releaseLocked()
	c.closeLocked()
}

// releaseLocked gives the clipboard up if we still own it. The request carries the time we
// took it, so if someone copied since (a later owner) the server ignores it: what the user
// copied meanwhile is left alone.
func (c *x11Clipboard) releaseLocked() {
	if c.conn == nil || c.data == nil {
		return
	}
	_ = xproto.SetSelectionOwnerChecked(c.conn, xproto.AtomNone, c.atoms["CLIPBOARD"], c.ownedAt).Check()
	c.wipeLocked()
}

func (c *x11Clipboard) wipeLocked() {
	for i := range c.data {
		c.data[i] = 0
	}
	c.data = nil
}

func (c *x11Clipboard) closeLocked() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.wipeLocked()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

func (c *x11Clipboard) connectLocked() error {
	if c.conn != nil {
		return nil
	}
	conn, err := xgb.NewConnDisplay(c.display)
	if err != nil {
		return fmt.Errorf("clipboard: connecting to X display %s: %v", c.display, err)
	}
	setup := xproto.Setup(conn)
	screen := setup.DefaultScreen(conn)
	win, err := xproto.NewWindowId(conn)
	if err != nil {
		conn.Close()
		return fmt.Errorf("clipboard: %v", err)
	}
	if err := xproto.CreateWindowChecked(conn, 0, win, screen.Root, 0, 0, 1, 1, 0,
		xproto.WindowClassInputOnly, screen.RootVisual,
		xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check(); err != nil {
		conn.Close()
		return fmt.Errorf("clipboard: %v", err)
	}
	atoms := map[string]xproto.Atom{}
	for _, name := range append([]string{"CLIPBOARD", "ATOM", "INTEGER", "PLEXLINK_TIME"}, x11TargetNames...) {
		r, err := xproto.InternAtom(conn, false, uint16(len(name)), name).Reply()
		if err != nil {
			conn.Close()
			return fmt.Errorf("clipboard: interning %s: %v", name, err)
		}
		atoms[name] = r.Atom
	}
	c.conn, c.win, c.atoms = conn, win, atoms
	c.stamps = make(chan xproto.Timestamp, 4)
	c.eventDone = make(chan struct{})
	go c.events(conn, c.stamps, c.eventDone)
	return nil
}

// serverTimeLocked gets a real server timestamp (ICCCM: never CurrentTime for ownership)
// from the PropertyNotify of a zero-length append to our own window.
func (c *x11Clipboard) serverTimeLocked() (xproto.Timestamp, error) {
	a := c.atoms["PLEXLINK_TIME"]
	xproto.ChangeProperty(c.conn, xproto.PropModeAppend, c.win, a, xproto.AtomString, 8, 0, nil)
	select {
	case ts := <-c.stamps:
		return ts, nil
	case <-time.After(3 * time.Second):
		return 0, errors.New("clipboard: the X server did not answer")
	}
}

// events serves clipboard requests until the connection closes.
func (c *x11Clipboard) events(conn *xgb.Conn, stamps chan xproto.Timestamp, done chan struct{}) {
	defer close(done)
	for {
		ev, err := conn.WaitForEvent()
		if ev == nil && err == nil {
			return // closed
		}
		switch e := ev.(type) {
		case xproto.PropertyNotifyEvent:
			select {
			case stamps <- e.Time:
			default:
			}
		case xproto.SelectionRequestEvent:
			c.answer(conn, e)
		case xproto.SelectionClearEvent:
			// Someone else copied: our copy is gone and must not be cleared later.
			c.mu.Lock()
			if c.conn == conn {
				c.wipeLocked()
				c.gen++
				if c.timer != nil {
					c.timer.Stop()
					c.timer = nil
				}
				go c.closeIfIdle(conn)
			}
			c.mu.Unlock()
		}
	}
}

func (c *x11Clipboard) closeIfIdle(conn *xgb.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == conn && c.data == nil {
		c.closeLocked()
	}
}

func (c *x11Clipboard) answer(conn *xgb.Conn, e xproto.SelectionRequestEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != conn {
		return // closed: no request may be sent on it
	}
	prop := e.Property
	if prop == xproto.AtomNone {
		prop = e.Target // an obsolete client (ICCCM 2.2)
	}
	ok := false
	if c.data != nil && e.Selection == c.atoms["CLIPBOARD"] {
		ok = true
		switch e.Target {
		case c.atoms["TARGETS"]:
			buf := make([]byte, 0, 4*len(x11TargetNames))
			for _, n := range x11TargetNames {
				a := uint32(c.atoms[n])
				buf = append(buf, byte(a), byte(a>>8), byte(a>>16), byte(a>>24))
			}
			xproto.ChangeProperty(conn, xproto.PropModeReplace, e.Requestor, prop, c.atoms["ATOM"], 32, uint32(len(x11TargetNames)), buf)
		case c.atoms["TIMESTAMP"]:
			t := uint32(c.ownedAt)
			xproto.ChangeProperty(conn, xproto.PropModeReplace, e.Requestor, prop, c.atoms["INTEGER"], 32, 1,
				[]byte{byte(t), byte(t >> 8), byte(t >> 16), byte(t >> 24)})
		case c.atoms["x-kde-passwordManagerHint"]:
			xproto.ChangeProperty(conn, xproto.PropModeReplace, e.Requestor, prop, e.Target, 8, 6, []byte("secret"))
		case c.atoms["UTF8_STRING"], c.atoms["STRING"], c.atoms["TEXT"], c.atoms["text/plain"], c.atoms["text/plain;charset=utf-8"]:
			typ := e.Target
			if typ == c.atoms["TEXT"] {
				typ = c.atoms["UTF8_STRING"]
			}
			xproto.ChangeProperty(conn, xproto.PropModeReplace, e.Requestor, prop, typ, 8, uint32(len(c.data)), c.data)
		default:
			ok = false
		}
	}
	if !ok {
		prop = xproto.AtomNone
	}
	notify := xproto.SelectionNotifyEvent{Time: e.Time, Requestor: e.Requestor, Selection: e.Selection, Target: e.Target, Property: prop}
	xproto.SendEvent(conn, false, e.Requestor, 0, string(notify.Bytes()))
}
