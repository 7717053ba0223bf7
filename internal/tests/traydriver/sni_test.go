package traydriver

import (
	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/session"

	"reflect"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func startWatcher(t *testing.T, s *session.Session) *Watcher {
	t.Helper()
	w, err := StartWatcher(s.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop() })
	return w
}

func TestNormalizeLabel(t *testing.T) {
	for in, want := range map[string]string{
		"_Quit": "Quit", "Link Plex account…": "Link Plex account…", "a__b": "a_b", "_a__b_c": "a_bc", "": "",
	} {
		if got := NormalizeLabel(in); got != want {
			t.Errorf("NormalizeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// The watcher's D-Bus side, driven by a plain connection the way an app drives it.
func TestWatcherRegistersAndForgetsItems(t *testing.T) {
	s := session.Shared(t)
	w := startWatcher(t, s)
	if _, err := StartWatcher(s.BusAddress); err == nil {
		t.Fatal("a second watcher on the same bus must fail to own the name")
	}

	app, err := dbus.Connect(s.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	obj := app.Object(watcherName, watcherPath)
	host, err := obj.GetProperty(watcherIface + ".IsStatusNotifierHostRegistered")
	if err != nil || host.Value() != true {
		t.Fatalf("IsStatusNotifierHostRegistered = %v, %v; want true", host, err)
	}
	if err := app.AddMatchSignal(dbus.WithMatchInterface(watcherIface), dbus.WithMatchMember("StatusNotifierItemRegistered")); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan *dbus.Signal, 4)
	app.Signal(sigs)
	if err := obj.Call(watcherIface+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem").Err; err != nil {
		t.Fatal(err)
	}
	item, err := w.WaitItem(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := TrayItem{Service: app.Names()[0], Path: "/StatusNotifierItem"}
	if item != want {
		t.Fatalf("registered item %v, want %v", item, want)
	}
	select {
	case sig := <-sigs:
		if !reflect.DeepEqual(sig.Body, []any{want.String()}) {
			t.Fatalf("StatusNotifierItemRegistered body %v, want [%s]", sig.Body, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no StatusNotifierItemRegistered signal within 5s")
	}
	reg, err := obj.GetProperty(watcherIface + ".RegisteredStatusNotifierItems")
	if err != nil || !reflect.DeepEqual(reg.Value(), []string{want.String()}) {
		t.Fatalf("RegisteredStatusNotifierItems = %v, %v; want [%s]", reg, err, want)
	}

	app.Close()
	if err := w.WaitNoItems(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestReferenceAppTray proves the GUI harness on the bare Fyne app of bench/reference: under
// Xvfb and the test watcher it shows its window, registers a tray item whose menu we can
// read and click, and quits with exit 0 through the tray's Quit.
func TestReferenceAppTray(t *testing.T) {
	s := session.Shared(t)
	x := display.Start(t)
	w := startWatcher(t, s)
	bin := session.Reference(t)

	app, err := display.StartApp(bin, x.Env(s.EnvWith("LANG=C.UTF-8")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Stop) // runs before the Xvfb and watcher cleanups
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\napp output:\n%s", append(args, app.Output())...)
	}

	win, err := x.WaitAppWindow(app, "^Reference$", 15*time.Second)
	if err != nil {
		fail("%v", err)
	}
	t.Logf("reference: process start → window visible: %v", time.Since(app.Started).Round(time.Millisecond))
	x.Screenshot(t, "window")

	item, err := w.WaitItem(10 * time.Second)
	if err != nil {
		fail("%v", err)
	}
	tray, err := OpenTray(s.BusAddress, item)
	if err != nil {
		fail("%v", err)
	}
	defer tray.Close()
	items, err := tray.WaitLabel(5*time.Second, "Show")
	if err != nil {
		fail("%v", err)
	}
	// Fyne appends its own Quit to a menu that has none.
	if got, want := Labels(items), []string{"Show", "Quit"}; !reflect.DeepEqual(got, want) {
		fail("tray menu %q, want %q", got, want)
	}
	if hash, err := tray.IconHash(); err != nil {
		fail("%v", err)
	} else if px, _ := tray.IconPixmap(); len(px) == 0 || px[0].W == 0 || len(px[0].Pix) != int(4*px[0].W*px[0].H) {
		fail("IconPixmap has no usable ARGB image: %d entries", len(px))
	} else {
		t.Logf("tray icon %dx%d, hash %s", px[0].W, px[0].H, hash)
	}

	time.Sleep(time.Second) // let start-up allocations settle before reading RSS
	rss, err := app.RSSKiB()
	if err != nil {
		fail("%v", err)
	}
	t.Logf("reference: RSS 1s after start-up: %.1f MiB", float64(rss)/1024)

	// A click must reach the app: hide the window behind Fyne's back, "Show" maps it again.
	if _, err := x.Xdotool(5*time.Second, "windowunmap", "--sync", win); err != nil {
		fail("%v", err)
	}
	if err := x.WaitNoWindow("^Reference$", 5*time.Second); err != nil {
		fail("%v", err)
	}
	if err := tray.ClickLabel("Show"); err != nil {
		fail("%v", err)
	}
	if _, err := x.WaitWindow("^Reference$", 5*time.Second); err != nil {
		fail("after clicking Show in the tray: %v", err)
	}

	// WM_DELETE_WINDOW reaches Fyne, which closes the window; with a tray (its hidden
	// SystrayMonitor window remains) the app keeps running.
	if err := x.CloseWindow(win); err != nil {
		fail("%v", err)
	}
	if err := x.WaitNoWindow("^Reference$", 5*time.Second); err != nil {
		fail("after CloseWindow: %v", err)
	}
	if app.Exited() {
		fail("the app exited when its window closed although it has a tray")
	}

	if err := tray.ClickLabel("Quit"); err != nil {
		fail("%v", err)
	}
	code, err := app.Wait(5 * time.Second)
	if err != nil || code != 0 {
		fail("after clicking Quit in the tray: exit code %d, %v; want 0 within 5s", code, err)
	}
	if err := w.WaitNoItems(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestNotifierRecords(t *testing.T) {
	s := session.Shared(t)
	n, err := StartNotifier(s.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	app, err := dbus.Connect(s.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var id uint32
	err = app.Object(notifyName, notifyPath).Call(notifyName+".Notify", 0, "app", uint32(0), "", "Title", "Body text",
		[]string{}, map[string]dbus.Variant{}, int32(-1)).Store(&id)
	if err != nil || id == 0 {
		t.Fatalf("Notify = %d, %v", id, err)
	}
	got, err := n.WaitNotification("Body text", 5*time.Second)
	if err != nil || got != (Notification{AppName: "app", Summary: "Title", Body: "Body text"}) {
		t.Fatalf("WaitNotification = %+v, %v", got, err)
	}
	if _, err := n.WaitNotification("other", 50*time.Millisecond); err == nil {
		t.Fatal("WaitNotification found a notification that was never sent")
	}
}
