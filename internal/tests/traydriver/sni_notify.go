package traydriver

import (
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	notifyName = "org.freedesktop.Notifications"
	notifyPath = dbus.ObjectPath("/org/freedesktop/Notifications")
)

// Notification is one desktop notification an app sent.
type Notification struct {
	AppName, Summary, Body string
}

// Notifier is a minimal notification daemon (org.freedesktop.Notifications) that records
// what apps send instead of showing it. Fyne's SendNotification on Linux goes there.
type Notifier struct {
	conn *dbus.Conn

	mu      sync.Mutex
	got     []Notification
	changed chan struct{}
}

// StartNotifier owns org.freedesktop.Notifications on the bus at busAddress.
func StartNotifier(busAddress string) (*Notifier, error) {
	conn, err := dbus.Connect(busAddress)
	if err != nil {
		return nil, fmt.Errorf("session: notifier: connecting to %s: %w", busAddress, err)
	}
	n := &Notifier{conn: conn, changed: make(chan struct{})}
	if err := conn.Export(notifyMethods{n}, notifyPath, notifyName); err != nil {
		conn.Close()
		return nil, fmt.Errorf("session: notifier: %w", err)
	}
	reply, err := conn.RequestName(notifyName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("session: notifier: owning %s: reply %v, %v", notifyName, reply, err)
	}
	return n, nil
}

type notifyMethods struct{ n *Notifier }

func (m notifyMethods) Notify(appName string, replacesID uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n := m.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, Notification{AppName: appName, Summary: summary, Body: body})
	close(n.changed)
	n.changed = make(chan struct{})
	return uint32(len(n.got)), nil
}

func (notifyMethods) GetCapabilities() ([]string, *dbus.Error) { return []string{"body"}, nil }

func (notifyMethods) GetServerInformation() (name, vendor, version, spec string, err *dbus.Error) {
	return "plexlink-test", "plexlink", "1", "1.2", nil
}

func (notifyMethods) CloseNotification(id uint32) *dbus.Error { return nil }

// Notifications returns what was sent so far.
func (n *Notifier) Notifications() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notification(nil), n.got...)
}

// WaitNotification waits until a notification with this body has been sent and returns it.
func (n *Notifier) WaitNotification(body string, timeout time.Duration) (Notification, error) {
	deadline := time.After(timeout)
	for {
		n.mu.Lock()
		got, changed := append([]Notification(nil), n.got...), n.changed
		n.mu.Unlock()
		for _, x := range got {
			if x.Body == body {
				return x, nil
			}
		}
		select {
		case <-changed:
		case <-deadline:
			return Notification{}, fmt.Errorf("no notification with body %q within %v; got %+v", body, timeout, got)
		}
	}
}

// Stop releases the name and closes the connection.
func (n *Notifier) Stop() error {
	_, _ = n.conn.ReleaseName(notifyName)
	return n.conn.Close()
}
