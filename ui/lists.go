package ui

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// Labels of the linked window's sections; the tests find them by these.
const (
	ButtonRefresh    = "Refresh"
	ButtonRevoke     = "Revoke…"
	ButtonRevokeYes  = "Revoke"
	TextServersHead  = "Servers"
	TextToolsHead    = "Tools"
	TextUsersHead    = "Home users"
	TextNoTools      = "No tool has a token of its own yet. A tool gets one with `plexlink exec --tool NAME -- …`."
	TextNotReachable = "not reachable"
)

// sections are the linked page's lists: what Plex Link hands out. Their rows are kept and
// updated in place; a list grows its rows as needed and hides the extra ones.
type sections struct {
	serversBusy          *fyne.Container
	servers, tools, home *rows
	refresh              *keyButton
}

// rows is one list's lines: label rows (and, for tools, a Revoke… button per row) plus a
// line for "and N more", the empty state or the error.
type rows struct {
	box    *fyne.Container
	labels []*widget.Label
	lines  []*fyne.Container
	note   *widget.Label
	revoke func(i int) // tools: the row's Revoke…; nil for the others
	shown  winproto.List
	init   bool
}

func newRows(revoke func(i int)) *rows {
	r := &rows{box: container.NewVBox(), note: para(""), revoke: revoke}
	r.box.Add(r.note)
	return r
}

// set shows texts (one per row) and note; rows are made the first time they are needed.
func (r *rows) set(texts []string, note string) {
	for len(r.labels) < len(texts) {
		i := len(r.labels)
		l := para("")
		line := container.NewStack(l)
		if r.revoke != nil {
			line = container.NewBorder(nil, nil, nil, secondary(ButtonRevoke, func() { r.revoke(i) }), l)
		}
		r.labels, r.lines = append(r.labels, l), append(r.lines, line)
		r.box.Objects = append(r.box.Objects[:len(r.box.Objects)-1], line, r.note)
		r.box.Refresh()
	}
	for i, line := range r.lines {
		if i < len(texts) {
			r.labels[i].SetText(texts[i])
		}
		setVisible(line, i < len(texts))
	}
	r.note.SetText(note)
	setVisible(r.note, note != "")
}

func newSections(v *view) *sections {
	sc := &sections{}
	sc.serversBusy = v.spinnerLine(para("Finding how this computer reaches your servers…"))
	sc.servers, sc.home = newRows(nil), newRows(nil)
	sc.tools = newRows(func(i int) {
		if i < len(v.shown.Tools.Items) {
			it := v.shown.Tools.Items[i]
			v.send(evAskRevoke{toolRef{Tool: it.Name, User: it.UserID, UserName: it.User}})
		}
	})
	sc.refresh = secondary(ButtonRefresh, func() { v.send(evRefreshLists{}) })
	return sc
}

// objects are the sections in page order.
func (sc *sections) objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{
		widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, sc.refresh, subheading(TextServersHead)),
		sc.serversBusy, sc.servers.box,
		widget.NewSeparator(), subheading(TextToolsHead), sc.tools.box,
		widget.NewSeparator(), subheading(TextUsersHead), sc.home.box,
	}
}

// update shows the lists of s; a list that did not change is left alone.
func (sc *sections) update(s Screen) {
	setVisible(sc.serversBusy, s.Servers.Pending)
	if s.Servers.Pending {
		sc.refresh.Disable()
	} else {
		sc.refresh.Enable()
	}
	sc.servers.show(s.Servers)
	sc.tools.show(s.Tools)
	sc.home.show(s.Users)
}

func (r *rows) show(l winproto.List) {
	if r.init && reflect.DeepEqual(l, r.shown) {
		return
	}
	r.init, r.shown = true, l
	r.set(listRows(l))
}

// listRows is what the window shows of l: a line per item and a note (the error, "and N
// more", or the empty state).
func listRows(l winproto.List) (texts []string, note string) {
	text, errHead, empty := serverText, "Could not list the servers: ", "This account has no Plex Media Servers."
	switch l.Kind {
	case winproto.ListTools:
		text, errHead, empty = toolText, "Could not read the tools: ", TextNoTools
	case winproto.ListUsers:
		text, errHead, empty = userText, "Could not read your Plex Home: ", "This account is not in a Plex Home."
	}
	for _, it := range l.Items {
		texts = append(texts, text(it))
	}
	switch {
	case l.Err != "":
		note = errHead + l.Err
	case l.More > 0:
		note = fmt.Sprintf("and %d more", l.More)
	case len(l.Items) == 0 && !l.Pending:
		note = empty
	}
	return texts, note
}

// serverText: "Living Room · you · local, plain http".
func serverText(it winproto.Item) string {
	owner := "you"
	if it.Owner != "" {
		owner = "shared by " + it.Owner
	}
	conn := TextNotReachable
	if it.Via != "" {
		conn = it.Via + ", plain http"
		if it.HTTPS {
			conn = it.Via + ", https"
		}
	}
	return it.Name + "  ·  " + owner + "  ·  " + conn
}

// toolText: "beets · as Kid · made 2 Jan 2026 · last used 3 Jan 15:04".
func toolText(it winproto.Item) string {
	parts := []string{it.Name}
	if it.User != "" {
		parts = append(parts, "as "+it.User)
	}
	if it.Created != 0 {
		parts = append(parts, "made "+time.Unix(it.Created, 0).Local().Format("2 Jan 2006"))
	}
	if it.Used != 0 {
		parts = append(parts, "last used "+time.Unix(it.Used, 0).Local().Format("2 Jan 2006 15:04"))
	} else {
		parts = append(parts, "not used yet")
	}
	return strings.Join(parts, "  ·  ")
}

// userText: "Kid · managed", "alice · protected by a Home PIN".
func userText(it winproto.Item) string {
	parts := []string{it.Name}
	if it.Admin {
		parts = append(parts, "administrator")
	}
	if it.Managed {
		parts = append(parts, "managed")
	}
	if it.Protected {
		parts = append(parts, "protected by a Home PIN")
	}
	return strings.Join(parts, "  ·  ")
}

func subheading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	return l
}

// keyButton is a button that Enter (and Space) activates when it has the keyboard focus
// (Tab); other keys go to the window (Escape closes a dialog).
type keyButton struct{ widget.Button }

func newKeyButton(label string, tapped func()) *keyButton {
	b := &keyButton{}
	b.Text, b.OnTapped = label, tapped
	b.ExtendBaseWidget(b)
	return b
}

func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter, fyne.KeySpace:
		b.Tapped(nil)
	default:
		if c := fyne.CurrentApp().Driver().CanvasForObject(b); c != nil && c.OnTypedKey() != nil {
			c.OnTypedKey()(ev)
		}
	}
}

// confirmDialog asks a yes/no question with keyboard buttons: Tab reaches both, Enter
// activates the focused one; answer gets only the user's answer (not a Hide from update).
type confirmDialog struct {
	d      *dialog.CustomDialog
	msg    *widget.Label
	shown  bool
	answer func(bool)
}

func newConfirmDialog(title, msg, yes string, answer func(bool), win fyne.Window) *confirmDialog {
	// Not wrapped: a wrapping label in a dialog shrinks to its narrowest; msg breaks its lines.
	cd := &confirmDialog{msg: widget.NewLabel(msg), answer: answer}
	cd.d = dialog.NewCustomWithoutButtons(title, cd.msg, win)
	no := newKeyButton(ButtonCancel, func() { cd.reply(false) })
	ok := newKeyButton(yes, func() { cd.reply(true) })
	ok.Importance = widget.DangerImportance
	cd.d.SetButtons([]fyne.CanvasObject{no, ok})
	return cd
}

func (cd *confirmDialog) reply(ok bool) {
	if cd.shown {
		cd.shown = false
		cd.d.Hide()
		cd.answer(ok)
	}
}

// set shows or hides the dialog as the screen says.
func (cd *confirmDialog) set(open bool, msg string) {
	switch {
	case open && !cd.shown:
		cd.shown = true
		if msg != "" {
			cd.msg.SetText(msg)
		}
		cd.d.Show()
	case !open && cd.shown:
		cd.shown = false
		cd.d.Hide()
	}
}
