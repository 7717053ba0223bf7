package ui

import (
	"strings"

	"codeberg.org/plexlink/plexlink/internal/app"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// startParent starts the goroutines that speak winproto with the tray process: one writes
// messages in order (a slow pipe never blocks the UI goroutine), one reads commands. When
// the tray goes away (its end of stdin closes) the window quits: a window without its tray
// could not be reached again.
func (c *Controller) startParent(p *app.Parent) {
	out := make(chan winproto.Message, 32)
	c.sink = func(m winproto.Message) {
		select {
		case out <- m:
		default:
			c.log.Warn("the tray is not reading; message dropped", "event", m.Event)
		}
	}
	go func() {
		for m := range out {
			if err := winproto.Write(p.Events, m); err != nil {
				c.log.Debug("the tray is gone; dropping events", "err", err)
				for range out {
				}
				return
			}
		}
	}()
	go func() {
		if err := winproto.Read(p.Commands, c.command, nil); err != nil {
			c.log.Debug("reading the tray's commands", "err", err)
		}
		c.post(c.Quit)
	}()
}

// command carries out what the tray asks; any goroutine.
func (c *Controller) command(m winproto.Message) {
	switch m.Cmd {
	case winproto.CmdShow:
		c.post(c.show)
	case winproto.CmdLink:
		c.post(func() { c.show(); c.dispatch(evLink{}) })
	case winproto.CmdUnlink:
		c.post(func() { c.show(); c.dispatch(evAskUnlink{}) })
	case winproto.CmdState:
		if m.State != nil {
			c.send(evState{*m.State})
		}
	case winproto.CmdList:
		if m.List != nil {
			rows, note := listRows(*m.List)
			c.log.Debug("list", "kind", m.List.Kind, "pending", m.List.Pending, "rows", strings.Join(rows, " | "), "note", note)
			c.send(evList{*m.List})
		}
	case winproto.CmdRevoked:
		c.send(evRevoked{m.Tool, m.User, m.Err})
	case winproto.CmdQuit:
		c.post(c.Quit)
	default:
		c.log.Debug("unknown command from the tray", "cmd", m.Cmd)
	}
}

// emit tells the tray what happened. UI goroutine only.
func (c *Controller) emit(ev string) { c.tell(winproto.Message{Event: ev}) }

// tell sends m to the tray, the parent process or the in-process one. UI goroutine only.
func (c *Controller) tell(m winproto.Message) {
	if c.sink != nil {
		c.sink(m)
	}
}
