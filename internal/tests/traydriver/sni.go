package traydriver

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	watcherIface = "org.kde.StatusNotifierWatcher"
	// defaultItemPath is where an item lives when it registers by bus name only.
	defaultItemPath = dbus.ObjectPath("/StatusNotifierItem")
)

// TrayItem is a StatusNotifierItem registered with the Watcher.
type TrayItem struct {
	Service string          // the unique bus name of the registering connection, or the name it gave
	Path    dbus.ObjectPath // the item's object path (fyne.io/systray: /StatusNotifierItem)
}

func (i TrayItem) String() string { return i.Service + string(i.Path) }

// Watcher is a minimal StatusNotifierWatcher: the part of a desktop tray host that apps talk
// to. It claims a host is present, so apps show their item, and records what registers.
type Watcher struct {
	conn  *dbus.Conn
	props *prop.Properties

	mu      sync.Mutex
	items   []TrayItem
	hosts   []string
	changed chan struct{} // closed and replaced whenever items change
}

// StartWatcher owns org.kde.StatusNotifierWatcher on the bus at busAddress.
func StartWatcher(busAddress string) (*Watcher, error) {
	conn, err := dbus.Connect(busAddress)
	if err != nil {
		return nil, fmt.Errorf("session: watcher: connecting to %s: %w", busAddress, err)
	}
	w := &Watcher{conn: conn, changed: make(chan struct{})}
	if err := w.export(); err != nil {
		conn.Close()
		return nil, err
	}
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("session: watcher: owning %s: reply %v, %v", watcherName, reply, err)
	}
	// Items vanish with their connection, as with a real watcher.
	if err := conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged")); err != nil {
		conn.Close()
		return nil, fmt.Errorf("session: watcher: %w", err)
	}
	sigs := make(chan *dbus.Signal, 64)
	conn.Signal(sigs)
	go w.watchOwners(sigs)
	return w, nil
}

func (w *Watcher) export() error {
	if err := w.conn.Export(watcherMethods{w}, watcherPath, watcherIface); err != nil {
		return fmt.Errorf("session: watcher: %w", err)
	}
	props, err := prop.Export(w.conn, watcherPath, prop.Map{watcherIface: {
		"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
		"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
		"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
	}})
	if err != nil {
		return fmt.Errorf("session: watcher: %w", err)
	}
	w.props = props
	node := &introspect.Node{Name: string(watcherPath), Interfaces: []introspect.Interface{
		introspect.IntrospectData, prop.IntrospectData,
		{Name: watcherIface, Methods: introspect.Methods(watcherMethods{})},
	}}
	if err := w.conn.Export(introspect.NewIntrospectable(node), watcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("session: watcher: %w", err)
	}
	return nil
}

// watcherMethods holds only the exported D-Bus methods, so godbus exports nothing else.
type watcherMethods struct{ w *Watcher }

// RegisterStatusNotifierItem takes either an object path (the item lives on the caller's
// connection; fyne.io/systray does this) or a bus name (the item is at /StatusNotifierItem).
func (m watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	item := TrayItem{Service: string(sender), Path: defaultItemPath}
	if strings.HasPrefix(service, "/") {
		item.Path = dbus.ObjectPath(service)
	} else if service != "" {
		item.Service = service
	}
	if !item.Path.IsValid() {
		return dbus.MakeFailedError(fmt.Errorf("invalid object path %q", service))
	}
	w := m.w
	w.mu.Lock()
	for _, it := range w.items {
		if it == item {
			w.mu.Unlock()
			return nil
		}
	}
	w.items = append(w.items, item)
	w.updateLocked()
	w.mu.Unlock()
	_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierItemRegistered", item.String())
	return nil
}

func (m watcherMethods) RegisterStatusNotifierHost(sender dbus.Sender, service string) *dbus.Error {
	w := m.w
	w.mu.Lock()
	w.hosts = append(w.hosts, service)
	w.mu.Unlock()
	_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierHostRegistered")
	return nil
}

// updateLocked publishes the item list and wakes waiters; w.mu is held.
func (w *Watcher) updateLocked() {
	names := make([]string, len(w.items))
	for i, it := range w.items {
		names[i] = it.String()
	}
	w.props.SetMust(watcherIface, "RegisteredStatusNotifierItems", names)
	close(w.changed)
	w.changed = make(chan struct{})
}

func (w *Watcher) watchOwners(sigs chan *dbus.Signal) {
	for sig := range sigs {
		if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
			continue
		}
		name, _ := sig.Body[0].(string)
		newOwner, _ := sig.Body[2].(string)
		if newOwner != "" {
			continue
		}
		var gone []TrayItem
		w.mu.Lock()
		kept := w.items[:0]
		for _, it := range w.items {
			if it.Service == name {
				gone = append(gone, it)
			} else {
				kept = append(kept, it)
			}
		}
		w.items = kept
		if len(gone) > 0 {
			w.updateLocked()
		}
		w.mu.Unlock()
		for _, it := range gone {
			_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierItemUnregistered", it.String())
		}
	}
}

// Items returns the items registered now.
func (w *Watcher) Items() []TrayItem {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]TrayItem(nil), w.items...)
}

// WaitItem waits until exactly one item is registered and returns it.
func (w *Watcher) WaitItem(timeout time.Duration) (TrayItem, error) {
	items, err := w.waitItems(timeout, func(n int) bool { return n == 1 })
	if err != nil {
		return TrayItem{}, fmt.Errorf("want exactly one registered StatusNotifierItem: %w", err)
	}
	return items[0], nil
}

// WaitNoItems waits until no item is registered (the app quit or dropped its tray).
func (w *Watcher) WaitNoItems(timeout time.Duration) error {
	_, err := w.waitItems(timeout, func(n int) bool { return n == 0 })
	if err != nil {
		return fmt.Errorf("want no registered StatusNotifierItem: %w", err)
	}
	return nil
}

func (w *Watcher) waitItems(timeout time.Duration, ok func(int) bool) ([]TrayItem, error) {
	deadline := time.After(timeout)
	for {
		w.mu.Lock()
		items := append([]TrayItem(nil), w.items...)
		changed := w.changed
		w.mu.Unlock()
		if ok(len(items)) {
			return items, nil
		}
		select {
		case <-changed:
		case <-deadline:
			return nil, fmt.Errorf("after %v the watcher has %d: %v", timeout, len(items), items)
		}
	}
}

// Stop releases the name and closes the connection.
func (w *Watcher) Stop() error {
	_, _ = w.conn.ReleaseName(watcherName)
	return w.conn.Close()
}
