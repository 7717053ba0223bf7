//go:build linux

package notify

import (
	"errors"
	"os"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/tests/traydriver"
)

func TestMain(m *testing.M) { os.Exit(session.Main(m)) }

// Against a real D-Bus session with a notification server stand-in that records calls.
func TestSendReachesTheNotificationServer(t *testing.T) {
	sess := session.Shared(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", sess.BusAddress)
	if err := Send("Plex Link", "nobody listening"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("with no notification server: %v, want ErrUnavailable", err)
	}
	n, err := traydriver.StartNotifier(sess.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if err := Send("Plex Link", `Linked as "alice" — it's done`); err != nil {
		t.Fatal(err)
	}
	got, err := n.WaitNotification(`Linked as "alice" — it's done`, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.AppName != AppName || got.Summary != "Plex Link" {
		t.Errorf("notification %+v", got)
	}
}

func TestSendWithoutABus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if err := Send("a", "b"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no bus: %v, want ErrUnavailable", err)
	}
}
