package desktop

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/tests/traydriver"
)

func TestTrayProbeReasons(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if why := TrayUnavailable(time.Second); !strings.Contains(why, "DBUS_SESSION_BUS_ADDRESS") {
		t.Errorf("no bus: %q", why)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	if why := TrayUnavailable(time.Second); !strings.Contains(why, "unreachable") {
		t.Errorf("dead bus: %q", why)
	}
}

// TestTrayProbeOnRealBus runs the probe against a private dbus-daemon, first without and then
// with a StatusNotifierWatcher (the tray host) on it.
func TestTrayProbeOnRealBus(t *testing.T) {
	sess, err := session.StartSession()
	session.Require(t, err)
	t.Cleanup(func() { _ = sess.Stop() })
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", sess.BusAddress)
	if why := TrayUnavailable(2 * time.Second); !strings.Contains(why, "StatusNotifierWatcher") {
		t.Errorf("bus without a tray host: %q", why)
	}
	w, err := traydriver.StartWatcher(sess.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Stop() })
	if why := TrayUnavailable(2 * time.Second); why != "" {
		t.Errorf("bus with a tray host: %q", why)
	}
}
