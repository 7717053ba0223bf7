package tray

import (
	"encoding/json"
	"strings"
	"time"

	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/servers"
	"codeberg.org/plexlink/plexlink/internal/termtext"
	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// What the window lists under the account: the servers (probed), the tools with a token of
// their own and the Plex Home. The tray reads them, as the owner of that state, only while a
// window is open: from its ready on, the servers and the Home once (and again on refresh),
// the tools every ListsEvery (config.json and the keychain's index, no network), so a revoke
// on the command line shows within seconds. With no window nothing is read or timed.

const defaultListsEvery = 2 * time.Second

// lists is the tray's side of the window's lists.
type lists struct {
	on      bool // a window is up: the lists are kept for it
	gen     int  // bumps when on goes off or the account changes: late results are dropped
	timer   *time.Timer
	probing bool // the servers are being probed
	reading bool // the Home is being read
	servers winproto.List
	users   winproto.List
	sent    map[string]string // kind → the list last sent to this window (JSON)
}

// listsStart begins keeping the lists for the window that said it is up.
func (t *Tray) listsStart() {
	if t.ls.on {
		return
	}
	t.ls.on, t.ls.sent = true, map[string]string{}
	t.ls.servers = winproto.List{Kind: winproto.ListServers}
	t.ls.users = winproto.List{Kind: winproto.ListUsers}
	t.readTools()
	t.readNet()
}

// listsStop ends it: the window is closing or gone. Nothing is read until the next one.
func (t *Tray) listsStop() {
	if !t.ls.on {
		return
	}
	t.ls.on = false
	t.listsForget()
}

// listsForget drops what is in flight and stops the timer.
func (t *Tray) listsForget() {
	t.ls.gen++
	t.ls.probing, t.ls.reading = false, false
	if t.ls.timer != nil {
		t.ls.timer.Stop()
		t.ls.timer = nil
	}
}

// listsAccountChanged starts over when the stored account changed under an open window
// (linked, unlinked, relinked as someone else).
func (t *Tray) listsAccountChanged() {
	if !t.ls.on {
		return
	}
	t.listsForget()
	t.ls.servers = winproto.List{Kind: winproto.ListServers}
	t.ls.users = winproto.List{Kind: winproto.ListUsers}
	t.sendList(t.ls.servers)
	t.sendList(t.ls.users)
	t.readTools()
	t.readNet()
}

// readNet probes the servers and reads the Home (network), unless they are being read.
func (t *Tray) readNet() {
	if !t.ls.on || !t.linked {
		return
	}
	gen := t.ls.gen
	if !t.ls.probing {
		t.ls.probing = true
		t.ls.servers.Pending = true
		t.sendList(t.ls.servers)
		t.goPost(func() func() {
			list, err := t.o.Backend.Servers(t.ctx)
			return func() {
				if gen != t.ls.gen {
					return
				}
				t.ls.probing = false
				t.ls.servers = serverList(list, err)
				t.sendList(t.ls.servers)
			}
		})
	}
	if !t.ls.reading {
		t.ls.reading = true
		t.ls.users.Pending = true
		t.sendList(t.ls.users)
		t.goPost(func() func() {
			users, err := t.o.Backend.HomeUsers(t.ctx)
			return func() {
				if gen != t.ls.gen {
					return
				}
				t.ls.reading = false
				l := winproto.List{Kind: winproto.ListUsers, Err: errText(err)}
				for _, u := range users {
					l.Items = append(l.Items, winproto.Item{Name: termtext.Clean(account.HomeUserName(u)),
						Admin: u.Admin, Managed: u.Restricted, Protected: u.Protected})
				}
				t.ls.users = l
				t.sendList(l)
			}
		})
	}
}

// readTools reads the tools (no network), sends them if they changed and reads again after
// ListsEvery while the window is open.
func (t *Tray) readTools() {
	if !t.ls.on {
		return
	}
	gen := t.ls.gen
	t.goPost(func() func() {
		l := toolList(t.o.Backend)
		return func() {
			if gen != t.ls.gen {
				return
			}
			t.sendList(l)
			if t.ls.timer != nil {
				t.ls.timer.Stop()
			}
			t.ls.timer = time.AfterFunc(t.o.ListsEvery, func() {
				select {
				case t.post <- func() {
					if gen == t.ls.gen {
						t.ls.timer = nil
						t.readTools()
					}
				}:
				case <-t.done:
				}
			})
		}
	})
}

// revokeTool signs out and removes a tool's token as `plexlink tools revoke` does, tells the
// window how it went and sends the tools again.
func (t *Tray) revokeTool(tool, user string) {
	t.goPost(func() func() {
		var err error
		if user == "" {
			err = t.o.Backend.RevokeTool(t.ctx, tool)
		} else {
			err = t.o.Backend.RevokeUserTool(t.ctx, user, tool)
		}
		return func() {
			if err != nil {
				t.log.Warn("revoking a tool's token failed", "tool", tool, "err", err)
			} else {
				t.log.Info("tool token revoked", "tool", tool, "home_user", user != "")
			}
			if t.win != nil && !t.winClosing {
				if serr := t.win.Send(winproto.Revoked(tool, user, err)); serr != nil {
					t.log.Debug("the window did not take the revoke's result", "err", serr)
				}
			}
			t.readTools()
		}
	})
}

// sendList sends l to the window when it differs from what the window last got.
func (t *Tray) sendList(l winproto.List) {
	if t.win == nil || t.winClosing || !t.ls.on {
		return
	}
	m := winproto.ListMessage(l)
	b, _ := json.Marshal(m.List)
	if t.ls.sent[l.Kind] == string(b) {
		return
	}
	if err := t.win.Send(m); err != nil {
		t.log.Debug("the window did not take a list", "kind", l.Kind, "err", err)
		return
	}
	t.ls.sent[l.Kind] = string(b)
}

// toolList is the tools with a token of their own: the account's, then the Home users'.
func toolList(b account.Backend) winproto.List {
	l := winproto.List{Kind: winproto.ListTools}
	tools, err := b.Tools()
	if err != nil {
		l.Err = errText(err)
		return l
	}
	for _, ti := range tools {
		l.Items = append(l.Items, toolItem(ti, "", ""))
	}
	uts, err := b.UserTools("")
	if err != nil {
		l.Err = errText(err)
	}
	for _, ut := range uts {
		l.Items = append(l.Items, toolItem(ut.ToolInfo, termtext.Clean(ut.User), ut.UserUUID))
	}
	return l
}

func toolItem(ti account.ToolInfo, user, uuid string) winproto.Item {
	it := winproto.Item{Name: ti.Name, User: user, UserID: uuid}
	if !ti.Created.IsZero() {
		it.Created = ti.Created.Unix()
	}
	if !ti.LastUsed.IsZero() {
		it.Used = ti.LastUsed.Unix()
	}
	return it
}

// serverList is what the window shows of the probed servers: never their tokens.
func serverList(list []servers.Server, err error) winproto.List {
	l := winproto.List{Kind: winproto.ListServers, Err: errText(err)}
	for _, s := range list {
		it := winproto.Item{Name: termtext.Clean(s.Name)}
		if !s.Owned {
			it.Owner = termtext.Clean(s.Owner)
			if it.Owner == "" {
				it.Owner = "someone else"
			}
		}
		if s.URL != "" {
			it.Via, it.HTTPS = via(s), strings.HasPrefix(s.URL, "https://")
		}
		l.Items = append(l.Items, it)
	}
	return l
}

// via is the class of the connection that answered (s.URL): its own uri, or the plain http
// address a connection fell back to.
func via(s servers.Server) string {
	var match *servers.Connection
	for i, c := range s.Connections {
		if !c.OK {
			continue
		}
		if c.URI == s.URL {
			match = &s.Connections[i]
			break
		}
		if match == nil && hostPort(c.URI) == hostPort(s.URL) {
			match = &s.Connections[i]
		}
	}
	switch {
	case match == nil:
		return "remote"
	case match.Relay:
		return "relay"
	case match.Local:
		return "local"
	}
	return "remote"
}

func hostPort(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		return u[i+3:]
	}
	return u
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
