package traydriver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	itemIface = "org.kde.StatusNotifierItem"
	menuIface = "com.canonical.dbusmenu"
)

// MenuItem is one entry of a dbusmenu layout, with the properties tests look at.
type MenuItem struct {
	ID          int32
	Label       string // mnemonics removed ("_Quit" → "Quit", "a__b" → "a_b")
	Type        string // "" (standard) or "separator"
	Enabled     bool   // dbusmenu default: true
	Visible     bool   // dbusmenu default: true
	ToggleState int32  // 1 checked, 0 unchecked, -1 indeterminate / none
	Children    []MenuItem
}

// Tray is a client of one StatusNotifierItem and its dbusmenu, as a tray host would be.
type Tray struct {
	Item     TrayItem
	MenuPath dbus.ObjectPath

	conn    *dbus.Conn
	signals chan *dbus.Signal
}

// OpenTray connects to the bus, reads the item's Menu property and subscribes to the menu's
// change signals.
func OpenTray(busAddress string, item TrayItem) (*Tray, error) {
	conn, err := dbus.Connect(busAddress)
	if err != nil {
		return nil, fmt.Errorf("session: tray client: connecting to %s: %w", busAddress, err)
	}
	t := &Tray{Item: item, conn: conn, signals: make(chan *dbus.Signal, 256)}
	v, err := conn.Object(item.Service, item.Path).GetProperty(itemIface + ".Menu")
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("session: reading %s.Menu of %s: %w", itemIface, item, err)
	}
	path, ok := v.Value().(dbus.ObjectPath)
	if !ok || !path.IsValid() {
		conn.Close()
		return nil, fmt.Errorf("session: %s.Menu of %s is %v (%T), want an object path", itemIface, item, v.Value(), v.Value())
	}
	t.MenuPath = path
	conn.Signal(t.signals)
	for _, m := range []struct {
		path   dbus.ObjectPath
		iface  string
		member string
	}{
		{path, menuIface, "LayoutUpdated"},
		{path, menuIface, "ItemsPropertiesUpdated"},
		{item.Path, "org.freedesktop.DBus.Properties", "PropertiesChanged"},
		{item.Path, itemIface, "NewIcon"},
	} {
		if err := conn.AddMatchSignal(dbus.WithMatchSender(item.Service), dbus.WithMatchObjectPath(m.path),
			dbus.WithMatchInterface(m.iface), dbus.WithMatchMember(m.member)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("session: subscribing to %s.%s: %w", m.iface, m.member, err)
		}
	}
	return t, nil
}

// Close closes the client's connection.
func (t *Tray) Close() error { return t.conn.Close() }

func (t *Tray) menu() dbus.BusObject { return t.conn.Object(t.Item.Service, t.MenuPath) }

// Layout calls GetLayout(0, -1, []) and returns the root's children.
func (t *Tray) Layout() ([]MenuItem, error) {
	var rev uint32
	var root layoutNode
	if err := t.menu().Call(menuIface+".GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &root); err != nil {
		return nil, fmt.Errorf("session: GetLayout on %s%s: %w", t.Item.Service, t.MenuPath, err)
	}
	return convertLayout(root).Children, nil
}

// layoutNode is dbusmenu's (ia{sv}av) layout structure.
type layoutNode struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

func convertLayout(n layoutNode) MenuItem {
	it := MenuItem{ID: n.ID, Enabled: true, Visible: true, ToggleState: -1}
	if v, ok := n.Props["label"].Value().(string); ok {
		it.Label = NormalizeLabel(v)
	}
	if v, ok := n.Props["type"].Value().(string); ok {
		it.Type = v
	}
	if v, ok := n.Props["enabled"].Value().(bool); ok {
		it.Enabled = v
	}
	if v, ok := n.Props["visible"].Value().(bool); ok {
		it.Visible = v
	}
	switch v := n.Props["toggle-state"].Value().(type) {
	case int32:
		it.ToggleState = v
	case int64:
		it.ToggleState = int32(v)
	}
	for _, c := range n.Children {
		var child layoutNode
		if err := dbus.Store([]any{c.Value()}, &child); err == nil {
			it.Children = append(it.Children, convertLayout(child))
		}
	}
	return it
}

// NormalizeLabel removes dbusmenu mnemonic markers: "_" before the access key, "__" for a
// literal underscore.
func NormalizeLabel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i+1 < len(s) && s[i+1] == '_' {
				b.WriteByte('_')
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Flatten lists items depth-first.
func Flatten(items []MenuItem) []MenuItem {
	var out []MenuItem
	for _, it := range items {
		out = append(out, it)
		out = append(out, Flatten(it.Children)...)
	}
	return out
}

// Labels lists the visible, non-separator labels in order, marking disabled ones, for
// assertions and failure messages: ["Not linked (disabled)", "Link Plex account…", …].
func Labels(items []MenuItem) []string {
	var out []string
	for _, it := range Flatten(items) {
		if !it.Visible || it.Type == "separator" {
			continue
		}
		l := it.Label
		if !it.Enabled {
			l += " (disabled)"
		}
		if it.ToggleState == 1 {
			l += " (checked)"
		}
		out = append(out, l)
	}
	return out
}

// Find returns the one visible item labelled label (after NormalizeLabel).
func Find(items []MenuItem, label string) (MenuItem, error) {
	var found []MenuItem
	for _, it := range Flatten(items) {
		if it.Visible && it.Type != "separator" && it.Label == NormalizeLabel(label) {
			found = append(found, it)
		}
	}
	if len(found) != 1 {
		return MenuItem{}, fmt.Errorf("want exactly one visible tray menu item %q, found %d in %q", label, len(found), Labels(items))
	}
	return found[0], nil
}

// Click sends the "clicked" event for id, as a tray host does when the user picks the item.
func (t *Tray) Click(id int32) error {
	err := t.menu().Call(menuIface+".Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
	if err != nil {
		return fmt.Errorf("session: dbusmenu Event(%d, clicked): %w", id, err)
	}
	return nil
}

// ClickLabel finds the visible, enabled item labelled label and clicks it.
func (t *Tray) ClickLabel(label string) error {
	items, err := t.Layout()
	if err != nil {
		return err
	}
	it, err := Find(items, label)
	if err != nil {
		return err
	}
	if !it.Enabled {
		return fmt.Errorf("tray menu item %q (id %d) is disabled; menu: %q", label, it.ID, Labels(items))
	}
	return t.Click(it.ID)
}

// WaitMenu waits until ok accepts the menu, re-reading the layout whenever the app signals
// a change and at least every 200 ms (a missed signal must not hang a test). what describes
// the expectation for the failure message, which also shows the last menu seen.
func (t *Tray) WaitMenu(timeout time.Duration, what string, ok func([]MenuItem) bool) ([]MenuItem, error) {
	deadline := time.After(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var items []MenuItem
	var err error
	for {
		items, err = t.Layout()
		if err == nil && ok(items) {
			return items, nil
		}
		select {
		case <-t.signals:
		case <-tick.C:
		case <-deadline:
			if err != nil {
				return nil, fmt.Errorf("waiting %v for a tray menu where %s: last GetLayout failed: %w", timeout, what, err)
			}
			return nil, fmt.Errorf("waiting %v for a tray menu where %s: menu is %q", timeout, what, Labels(items))
		}
	}
}

// WaitLabel waits until a visible item labelled label exists.
func (t *Tray) WaitLabel(timeout time.Duration, label string) ([]MenuItem, error) {
	return t.WaitMenu(timeout, fmt.Sprintf("item %q is visible", label), func(items []MenuItem) bool {
		_, err := Find(items, label)
		return err == nil
	})
}

// Pixmap is one entry of the item's IconPixmap property (ARGB32, network byte order).
type Pixmap struct {
	W, H int32
	Pix  []byte
}

// IconPixmap reads the item's IconPixmap property.
func (t *Tray) IconPixmap() ([]Pixmap, error) {
	v, err := t.conn.Object(t.Item.Service, t.Item.Path).GetProperty(itemIface + ".IconPixmap")
	if err != nil {
		return nil, fmt.Errorf("session: reading IconPixmap of %s: %w", t.Item, err)
	}
	var px []Pixmap
	if err := dbus.Store([]any{v.Value()}, &px); err != nil {
		return nil, fmt.Errorf("session: IconPixmap of %s has type %s: %w", t.Item, v.Signature(), err)
	}
	return px, nil
}

// IconHash is a short fingerprint of the icon, to tell that it changed (e.g. a relink badge).
func (t *Tray) IconHash() (string, error) {
	px, err := t.IconPixmap()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, p := range px {
		fmt.Fprintf(h, "%dx%d:", p.W, p.H)
		h.Write(p.Pix)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}
