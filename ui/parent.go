package ui

import (
	"codeberg.org/plexlink/plexlink/internal/app"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// startParent starts the goroutines that speak winproto with the tray: one writes events
// in order (a slow pipe never blocks the UI goroutine), one reads commands. When the tray
// goes away (its end of stdin closes) the window quits: a window without its tray could
// not be reached again.
func (c *Controller) startParent(p *app.Parent) {
	c.events = make(chan string, 32)
	go func() {
		for ev := range c.events {
			if err := winproto.Write(p.Events, winproto.Message{Event: ev}); err != nil {
				c.log.Debug("the tray is gone; dropping events", "err", err)
				for range c.events {
				}
				return
			}
		}
	}()
	go func() {
		err := winproto.Read(p.Commands, func(m winproto.Message) {
			switch m.Cmd {
			case winproto.CmdShow:
				c.post(c.show)
			case winproto.CmdLink:
				c.post(func() { c.show(); c.dispatch(evLink{}) })
			case winproto.CmdUnlink:
				c.post(func() { c.show(); c.dispatch(evAskUnlink{}) })
			case winproto.CmdQuit:
				c.post(c.Quit)
			default:
				c.log.Debug("unknown command from the tray", "cmd", m.Cmd)
			}
		}, nil)
		if err != nil {
			c.log.Debug("reading the tray's commands", "err", err)
		}
		c.post(c.Quit)
	}()
}

// emit tells the parent tray what changed; without one it does nothing. UI goroutine only.
func (c *Controller) emit(ev string) {
	if c.events == nil {
		return
	}
	select {
	case c.events <- ev:
	default:
		c.log.Warn("the tray is not reading; event dropped", "event", ev)
	}
}
