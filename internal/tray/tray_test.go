package tray

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/account/accounttest"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/winproto"
	"codeberg.org/plexlink/plexlink/storage"
)

// helperEnv makes the test binary play the window process (see TestMain).
const helperEnv = "PLEXLINK_TRAY_TEST_WINDOW"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(fakeWindowProcess(mode))
	}
	os.Exit(m.Run())
}

// fakeWindowProcess speaks the window's side of winproto like `plexlink window` does.
// mode "normal": ready, then obey; "crash": ready, then die with exit code 3.
func fakeWindowProcess(mode string) int {
	_ = winproto.Write(os.Stdout, winproto.Message{Event: winproto.EventReady})
	if mode == "crash" {
		time.Sleep(100 * time.Millisecond)
		return 3
	}
	_ = winproto.Read(os.Stdin, func(m winproto.Message) {
		switch m.Cmd {
		case "emit-linked": // a test-only command: as if the user linked in the window
			_ = winproto.Write(os.Stdout, winproto.Message{Event: winproto.EventLinked})
		case "emit-copy": // as if the user pressed Copy token in the window
			_ = winproto.Write(os.Stdout, winproto.Message{Event: winproto.EventCopyToken})
		case winproto.CmdQuit:
			_ = winproto.Write(os.Stdout, winproto.Message{Event: winproto.EventClosing})
			os.Exit(0)
		default:
			fmt.Fprintf(os.Stderr, "window got %s\n", m.Cmd)
		}
	}, nil)
	return 0
}

// stack is account.Service over the fake plex.tv on loopback and an in-memory keychain.
type stack struct {
	srv   *plextvtest.Server
	store *storage.MemoryStore
	svc   *account.Service
}

func newStack(t *testing.T, linked bool) *stack {
	t.Helper()
	opts := []accounttest.Option{accounttest.WithIdentity("Plex Link tray test", "tray-test-client")}
	if linked {
		opts = append(opts, accounttest.Linked())
	}
	fx := accounttest.New(t, opts...)
	return &stack{srv: fx.Server, store: fx.Store, svc: fx.Service}
}

// fakeMenu records what the tray shows.
type fakeMenu struct {
	mu      sync.Mutex
	snaps   []Snapshot
	changed chan struct{}
}

func newFakeMenu() *fakeMenu { return &fakeMenu{changed: make(chan struct{}, 1)} }

func (m *fakeMenu) Apply(s Snapshot) {
	m.mu.Lock()
	m.snaps = append(m.snaps, s)
	m.mu.Unlock()
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

func (m *fakeMenu) last() (Snapshot, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.snaps) == 0 {
		return Snapshot{}, 0
	}
	return m.snaps[len(m.snaps)-1], len(m.snaps)
}

func (m *fakeMenu) wait(t *testing.T, what string, ok func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s, n := m.last()
		if n > 0 && ok(s) {
			return s
		}
		select {
		case <-m.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waiting for a menu where %s; it shows %q", what, s.Labels())
		}
	}
}

// fakeWindow is a window process without a process. Commands other than state go to cmds;
// the states it was sent are kept in order.
type fakeWindow struct {
	cmds   chan string
	events chan winproto.Message
	once   sync.Once

	mu      sync.Mutex
	states  []winproto.State
	lists   []winproto.List
	revoked []winproto.Message
}

func (w *fakeWindow) Send(m winproto.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch m.Cmd {
	case winproto.CmdState:
		w.states = append(w.states, *m.State)
		return nil
	case winproto.CmdList:
		w.lists = append(w.lists, *m.List)
		return nil
	case winproto.CmdRevoked:
		w.revoked = append(w.revoked, m)
		return nil
	}
	select {
	case w.cmds <- m.Cmd:
		if m.Cmd == winproto.CmdQuit {
			w.exit()
		}
		return nil
	default:
		return errors.New("full")
	}
}
func (w *fakeWindow) Events() <-chan winproto.Message { return w.events }
func (w *fakeWindow) Exited() error                   { return nil }
func (w *fakeWindow) Kill()                           { w.exit() }
func (w *fakeWindow) exit()                           { w.once.Do(func() { close(w.events) }) }

// emit plays the window sending an event.
func (w *fakeWindow) emit(m winproto.Message) { w.events <- m }

func (w *fakeWindow) lastState() (winproto.State, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.states) == 0 {
		return winproto.State{}, 0
	}
	return w.states[len(w.states)-1], len(w.states)
}

// waitState waits until the last state the window was sent satisfies ok.
func (w *fakeWindow) waitState(t *testing.T, what string, ok func(winproto.State) bool) winproto.State {
	t.Helper()
	var s winproto.State
	waitFor(t, "the window told "+what, func() bool {
		var n int
		s, n = w.lastState()
		return n > 0 && ok(s)
	})
	return s
}

// launches records the windows a tray started.
type launches struct {
	mu     sync.Mutex
	firsts []string
	wins   []*fakeWindow
}

func (l *launches) launch(first string) (Window, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := &fakeWindow{cmds: make(chan string, 16), events: make(chan winproto.Message, 16)}
	l.firsts, l.wins = append(l.firsts, first), append(l.wins, w)
	return w, nil
}

func (l *launches) get() ([]string, []*fakeWindow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.firsts...), append([]*fakeWindow(nil), l.wins...)
}

type notes struct {
	mu   sync.Mutex
	sent []string
}

func (n *notes) notify(title, body string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, title+": "+body)
}

func (n *notes) get() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.sent...)
}

type memAutostart struct {
	mu sync.Mutex
	on bool
}

func (m *memAutostart) Enabled() (bool, error) { m.mu.Lock(); defer m.mu.Unlock(); return m.on, nil }
func (m *memAutostart) Enable() error          { m.mu.Lock(); defer m.mu.Unlock(); m.on = true; return nil }
func (m *memAutostart) Disable() error         { m.mu.Lock(); defer m.mu.Unlock(); m.on = false; return nil }

type harness struct {
	t     *testing.T
	tr    *Tray
	menu  *fakeMenu
	wins  *launches
	notes *notes
	logs  *session.SyncBuffer
}

func start(t *testing.T, b account.Backend, tweak func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, menu: newFakeMenu(), wins: &launches{}, notes: &notes{}, logs: &session.SyncBuffer{}}
	o := Options{
		Backend: b,
		Launch:  h.wins.launch,
		Notify:  h.notes.notify,
		Logger:  slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(&o)
	}
	h.tr = New(o, h.menu)
	h.tr.Start()
	t.Cleanup(h.tr.Shutdown)
	return h
}

func TestMenuLabelsAndOrder(t *testing.T) {
	s := newStack(t, false)
	h := start(t, s.svc, func(o *Options) { o.Autostart = &memAutostart{} })
	got := h.menu.wait(t, "not linked", func(s Snapshot) bool { return !s.Linked })
	want := []string{"Not linked (disabled)", "---", "Link Plex account…", "Unlink (disabled)", "Open Plex Link", "Start at login", "---", "Quit"}
	if !slices.Equal(got.Labels(), want) {
		t.Errorf("menu %q, want %q", got.Labels(), want)
	}

	s2 := newStack(t, true)
	h2 := start(t, s2.svc, nil)
	got = h2.menu.wait(t, "linked", func(s Snapshot) bool { return s.Linked && strings.HasPrefix(s.Status, LabelLinkedAs+s2.srv.Username()) })
	want = []string{"Linked as " + s2.srv.Username() + " (disabled)", "---", "Relink Plex account…", "Copy token (in the window)", "Unlink", "Open Plex Link", "---", "Quit"}
	if !slices.Equal(got.Labels(), want) {
		t.Errorf("menu %q, want %q", got.Labels(), want)
	}
	if got.RelinkNeeded {
		t.Error("a valid token shows the relink icon")
	}
}

// Fyne gave every tray item a new D-Bus id on each menu refresh, and a click on an old id
// was lost. The tray updates the menu only when the snapshot changes.
func TestMenuAppliedOnlyOnChange(t *testing.T) {
	s := newStack(t, true)
	h := start(t, s.svc, nil)
	h.menu.wait(t, "linked and checked", func(s Snapshot) bool { return s.Linked })
	waitFor(t, "the start-up check", func() bool { return s.srv.Count(plextvtest.RoutePing)+s.srv.Count(plextvtest.RouteUser) > 0 })
	time.Sleep(100 * time.Millisecond)
	_, n := h.menu.last()
	// Things the menu does not show: instance requests, unknown window events, a new
	// window. None may update the menu.
	h.tr.Click(ActOpen)
	_, wins := h.wins.get()
	waitFor(t, "a window", func() bool { _, w := h.wins.get(); wins = w; return len(w) == 1 })
	wins[0].emit(winproto.Message{Event: "something-new"})
	wins[0].emit(winproto.Message{Event: winproto.EventReady})
	time.Sleep(100 * time.Millisecond)
	if _, n2 := h.menu.last(); n2 != n {
		t.Errorf("the menu was updated %d times although nothing in it changed", n2-n)
	}
	// An unlink elsewhere changes it once.
	if err := s.store.Delete(); err != nil {
		t.Fatal(err)
	}
	wins[0].emit(winproto.Message{Event: winproto.EventUnlinked})
	h.menu.wait(t, "not linked", func(s Snapshot) bool { return !s.Linked })
	time.Sleep(100 * time.Millisecond)
	if _, n3 := h.menu.last(); n3 != n+1 {
		t.Errorf("%d menu updates for one change, want 1", n3-n)
	}
}

func TestHealthCheck(t *testing.T) {
	t.Run("401 needs relink, notified once", func(t *testing.T) {
		s := newStack(t, true)
		h := start(t, s.svc, func(o *Options) { o.HealthEvery = 50 * time.Millisecond })
		h.menu.wait(t, "linked", func(s Snapshot) bool { return s.Linked })
		s.srv.FailNext(plextvtest.RoutePing, 100, plextvtest.Fault{Status: 401,
			Body: `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`})
		got := h.menu.wait(t, "relink needed", func(s Snapshot) bool { return s.RelinkNeeded })
		if got.Status != LabelRelinkNeeded || got.LinkLabel() != LabelRelink {
			t.Errorf("menu %q", got.Labels())
		}
		checks := s.srv.Count(plextvtest.RoutePing)
		waitFor(t, "two more checks", func() bool { return s.srv.Count(plextvtest.RoutePing) >= checks+2 })
		if n := h.notes.get(); len(n) != 1 || !strings.Contains(n[0], "Relink your Plex account") {
			t.Errorf("notifications %q, want one relink notification", n)
		}
	})
	t.Run("503 changes nothing", func(t *testing.T) {
		s := newStack(t, true)
		h := start(t, s.svc, func(o *Options) { o.HealthEvery = 50 * time.Millisecond })
		h.menu.wait(t, "linked", func(s Snapshot) bool { return s.Linked })
		s.srv.FailNext(plextvtest.RoutePing, 100, plextvtest.Fault{Status: 503})
		checks := s.srv.Count(plextvtest.RoutePing)
		waitFor(t, "two failed checks", func() bool { return s.srv.Count(plextvtest.RoutePing) >= checks+2 })
		if got, _ := h.menu.last(); got.RelinkNeeded || !got.Linked {
			t.Errorf("a 503 changed the menu: %q", got.Labels())
		}
	})
	t.Run("not linked: no network", func(t *testing.T) {
		s := newStack(t, false)
		h := start(t, s.svc, func(o *Options) { o.HealthEvery = 20 * time.Millisecond })
		h.menu.wait(t, "not linked", func(s Snapshot) bool { return !s.Linked })
		time.Sleep(150 * time.Millisecond)
		if n := s.srv.Count(plextvtest.RoutePing) + s.srv.Count(plextvtest.RouteUser); n != 0 {
			t.Errorf("%d calls to plex.tv while not linked", n)
		}
	})
}

// Unlink… and Link… start the window with that first command; a second request while it is
// open goes to the open window instead of starting another.
func TestWindowOnDemandAndFocus(t *testing.T) {
	s := newStack(t, true)
	reqs := make(chan desktop.Request, 1)
	h := start(t, s.svc, func(o *Options) { o.Requests = reqs })
	h.menu.wait(t, "linked", func(s Snapshot) bool { return s.Linked })
	if firsts, _ := h.wins.get(); len(firsts) != 0 {
		t.Fatalf("a window was started at a background start: %q", firsts)
	}
	h.tr.Click(ActUnlink)
	waitFor(t, "a window", func() bool { f, _ := h.wins.get(); return len(f) == 1 })
	_, wins := h.wins.get()
	next := func(want string) {
		t.Helper()
		select {
		case c := <-wins[0].cmds:
			if c != want {
				t.Errorf("the open window got %q, want %q", c, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the open window got nothing, want %q", want)
		}
	}
	h.tr.Click(ActOpen)
	next("show")
	h.tr.Click(ActLink)
	next("link")
	reqs <- desktop.Request{Command: desktop.CommandBackground} // a login start while running: nothing
	reqs <- desktop.Request{Command: desktop.CommandShow}       // a double-click on the app
	next("show")
	if f, _ := h.wins.get(); !slices.Equal(f, []string{"unlink"}) {
		t.Errorf("windows started with %q, want one with unlink", f)
	}

	// A window that says it is closing gets no more commands: the next request starts a
	// new window once the old one has exited.
	wins[0].emit(winproto.Message{Event: winproto.EventClosing})
	time.Sleep(50 * time.Millisecond)
	h.tr.Click(ActOpen)
	time.Sleep(50 * time.Millisecond)
	if f, _ := h.wins.get(); len(f) != 1 {
		t.Fatalf("a second window started while the first was still closing: %q", f)
	}
	wins[0].exit()
	waitFor(t, "the second window", func() bool { f, _ := h.wins.get(); return len(f) == 2 })
	if f, _ := h.wins.get(); f[1] != "show" {
		t.Errorf("second window started with %q", f[1])
	}
}

func TestUnlinkNeedsALink(t *testing.T) {
	s := newStack(t, false)
	h := start(t, s.svc, nil)
	h.menu.wait(t, "not linked", func(s Snapshot) bool { return !s.Linked })
	h.tr.Click(ActUnlink)
	time.Sleep(100 * time.Millisecond)
	if f, _ := h.wins.get(); len(f) != 0 {
		t.Errorf("Unlink while not linked started a window: %q", f)
	}
}

func TestShowWindowAtStart(t *testing.T) {
	h := start(t, newStack(t, false).svc, func(o *Options) { o.ShowWindow = true })
	waitFor(t, "a window", func() bool { f, _ := h.wins.get(); return slices.Equal(f, []string{"show"}) })
}

func TestAutostartFromTray(t *testing.T) {
	auto := &memAutostart{}
	h := start(t, newStack(t, false).svc, func(o *Options) { o.Autostart = auto })
	h.menu.wait(t, "start at login off", func(s Snapshot) bool { return s.HasAutostart && !s.Autostart })
	h.tr.Click(ActAutostart)
	h.menu.wait(t, "start at login on", func(s Snapshot) bool { return s.Autostart })
	waitFor(t, "the setting written", func() bool { on, _ := auto.Enabled(); return on })
	h.tr.Click(ActAutostart)
	h.menu.wait(t, "start at login off", func(s Snapshot) bool { return !s.Autostart })
	waitFor(t, "the setting removed", func() bool { on, _ := auto.Enabled(); return !on })
	// Switched in the window: the window asks, the tray writes it and tells both.
	h.tr.Click(ActOpen)
	waitFor(t, "a window", func() bool { f, _ := h.wins.get(); return len(f) == 1 })
	_, wins := h.wins.get()
	wins[0].waitState(t, "start at login off", func(s winproto.State) bool { return s.HasAutostart && !s.Autostart })
	wins[0].emit(winproto.SetAutostart(true))
	h.menu.wait(t, "start at login on", func(s Snapshot) bool { return s.Autostart })
	wins[0].waitState(t, "start at login on", func(s winproto.State) bool { return s.Autostart })
	waitFor(t, "the setting written", func() bool { on, _ := auto.Enabled(); return on })
}

// Quit asks the window to quit and waits for it.
func TestQuitEndsWindow(t *testing.T) {
	h := start(t, newStack(t, false).svc, func(o *Options) { o.ShowWindow = true })
	waitFor(t, "a window", func() bool { f, _ := h.wins.get(); return len(f) == 1 })
	h.tr.Shutdown()
	_, wins := h.wins.get()
	select {
	case c := <-wins[0].cmds:
		if c != winproto.CmdQuit {
			t.Errorf("the window got %q at quit", c)
		}
	default:
		t.Error("Quit did not ask the window to quit")
	}
}

// The real thing: the window is a process on pipes. It reports a link, and when it crashes
// the tray survives, notices, re-reads the keychain and starts a fresh window on request.
func TestWindowProcessOverPipes(t *testing.T) {
	s := newStack(t, false)
	env := func(mode string) []string { return append(os.Environ(), helperEnv+"="+mode) }
	mode := "normal"
	var mu sync.Mutex
	logs := &session.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	launch := func(first string) (Window, error) {
		mu.Lock()
		m := mode
		mu.Unlock()
		return ProcessLauncher(os.Args[0], []string{"-test.run=^$"}, env(m), log)(first)
	}
	clip := &recClipboard{copied: make(chan string, 1)}
	h := start(t, s.svc, func(o *Options) { o.Launch = launch; o.Logger = log; o.Clipboard = clip })
	h.menu.wait(t, "not linked", func(s Snapshot) bool { return !s.Linked })
	h.tr.Click(ActLink)
	waitFor(t, "the window process", func() bool { return strings.Contains(logs.String(), "window process started") })

	// The window links: it stores the token, then says so; the tray re-reads the keychain.
	if err := s.store.Save(s.srv.AccountToken()); err != nil {
		t.Fatal(err)
	}
	h.tr.post <- func() { _ = h.tr.win.Send(winproto.Message{Cmd: "emit-linked"}) }
	h.menu.wait(t, "linked", func(s Snapshot) bool { return s.Linked })
	// The tray, not the window, says so: it is the process that is always there.
	waitFor(t, "the Linked as notification", func() bool {
		n := h.notes.get()
		return len(n) > 0 && strings.Contains(n[len(n)-1], ": Linked as ")
	})
	// Copy token pressed in the window: the tray copies, so the copy outlives the window.
	h.tr.post <- func() { _ = h.tr.win.Send(winproto.Message{Cmd: "emit-copy"}) }
	select {
	case got := <-clip.copied:
		if got != s.srv.AccountToken() {
			t.Error("the tray copied something else than the stored token")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the window's Copy token did not reach the tray's clipboard")
	}

	// Quit through the tray ends the real process too.
	mu.Lock()
	mode = "crash"
	mu.Unlock()
	h.tr.post <- func() { _ = h.tr.win.Send(winproto.Message{Cmd: winproto.CmdQuit}) }
	waitFor(t, "the window to exit", func() bool { return strings.Contains(logs.String(), "window process exited") })

	// A crashing window: the tray logs it and carries on.
	h.tr.Click(ActOpen)
	waitFor(t, "the crash noticed", func() bool { return strings.Contains(logs.String(), "ended abnormally") })
	if got, _ := h.menu.last(); !got.Linked {
		t.Errorf("after the crash the menu shows %q", got.Labels())
	}
	mu.Lock()
	mode = "normal"
	mu.Unlock()
	before := strings.Count(logs.String(), "window process started")
	h.tr.Click(ActOpen)
	waitFor(t, "a new window", func() bool { return strings.Count(logs.String(), "window process started") > before })
	if strings.Contains(logs.String(), s.srv.AccountToken()) {
		t.Error("the token is in the tray's log")
	}
}

// The tray process must stay free of Fyne: no toolkit, no GL, no window in the package graph.
func TestNoFyneInImportGraph(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "fyne.io/fyne/") || strings.HasPrefix(dep, "github.com/go-gl/") {
			t.Errorf("internal/tray depends on %s", dep)
		}
	}
	if !strings.Contains(string(out), "fyne.io/systray") {
		t.Error("internal/tray does not use fyne.io/systray")
	}
}

func TestPNGToICO(t *testing.T) {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	ico := pngToICO(b.Bytes())
	if !bytes.Equal(ico[:6], []byte{0, 0, 1, 0, 1, 0}) || ico[6] != 32 || ico[7] != 32 {
		t.Errorf("ICO header % x", ico[:8])
	}
	if !bytes.Equal(ico[22:], b.Bytes()) {
		t.Error("the ICO does not hold the PNG at offset 22")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func testImage() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	img.Set(3, 3, color.NRGBA{0xff, 0, 0, 0xff})
	return img
}

// recClipboard is a secret clipboard that records what it was given.
type recClipboard struct{ copied chan string }

func (r *recClipboard) Unavailable() string { return "" }
func (r *recClipboard) CopySecret(text string, _ time.Duration) error {
	r.copied <- text
	return nil
}
func (r *recClipboard) Close() {}

// The tray's health check drives the window: a 401 found by the tray reaches the open
// window as a state with relink_needed, and the tray alone notifies. No state carries the
// token.
func TestHealthCheckDrivesWindowState(t *testing.T) {
	for _, menu := range []string{"menu", "no menu"} {
		t.Run(menu, func(t *testing.T) {
			s := newStack(t, true)
			h := &harness{t: t, menu: newFakeMenu(), wins: &launches{}, notes: &notes{}, logs: &session.SyncBuffer{}}
			o := Options{Backend: s.svc, Launch: h.wins.launch, Notify: h.notes.notify, ShowWindow: true, HealthEvery: 50 * time.Millisecond,
				Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			var m Menu = h.menu
			if menu == "no menu" { // the window's own process without a tray host
				m = nil
			}
			h.tr = New(o, m)
			h.tr.Start()
			t.Cleanup(h.tr.Shutdown)
			waitFor(t, "a window", func() bool { f, _ := h.wins.get(); return len(f) == 1 })
			_, wins := h.wins.get()
			w := wins[0]
			// The keychain read says linked; the check at start says who.
			got := w.waitState(t, "linked as "+s.srv.Username(), func(st winproto.State) bool { return st.Linked && st.Account == s.srv.Username() })
			if got.RelinkNeeded {
				t.Errorf("state %+v for a valid token", got)
			}
			// Five 401s: all are used up by the checks below, before the window relinks.
			s.srv.FailNext(plextvtest.RoutePing, 5, plextvtest.Fault{Status: 401,
				Body: `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`})
			w.waitState(t, "relink needed", func(s winproto.State) bool { return s.Linked && s.RelinkNeeded })
			checks := s.srv.Count(plextvtest.RoutePing)
			waitFor(t, "two more checks", func() bool { return s.srv.Count(plextvtest.RoutePing) >= checks+2 })
			if n := h.notes.get(); len(n) != 1 || !strings.Contains(n[0], "Relink your Plex account") {
				t.Errorf("notifications %q, want one relink notification", n)
			}
			// States are sent on change only: repeated checks with the same verdict send none.
			_, n := w.lastState()
			waitFor(t, "two more checks", func() bool { return s.srv.Count(plextvtest.RoutePing) >= checks+4 })
			if _, n2 := w.lastState(); n2 != n {
				t.Errorf("%d states sent although nothing changed", n2-n)
			}
			// The window links again: the tray clears the verdict, tells the window and notifies.
			w.emit(winproto.Message{Event: winproto.EventLinked})
			w.waitState(t, "relinked", func(s winproto.State) bool { return s.Linked && !s.RelinkNeeded })
			waitFor(t, "the Linked as notification", func() bool {
				n := h.notes.get()
				return len(n) == 2 && strings.Contains(n[1], ": Linked as "+s.srv.Username())
			})
			checks = s.srv.Count(plextvtest.RoutePing)
			waitFor(t, "two more checks", func() bool { return s.srv.Count(plextvtest.RoutePing) >= checks+2 })
			if st, _ := w.lastState(); st.RelinkNeeded || len(h.notes.get()) != 2 {
				t.Errorf("after the relink: state %+v, notifications %q", st, h.notes.get())
			}
			w.mu.Lock()
			all := fmt.Sprintf("%+v", w.states)
			w.mu.Unlock()
			if strings.Contains(all, s.srv.AccountToken()) || strings.Contains(h.logs.String(), s.srv.AccountToken()) {
				t.Error("the token is in a state or the log")
			}
		})
	}
}

// The window asks for a check when it comes to the front; the tray checks only when one is
// due (the machine slept through the timer).
func TestCheckDueFromWindow(t *testing.T) {
	s := newStack(t, true)
	h := start(t, s.svc, func(o *Options) { o.ShowWindow = true })
	checks := func() int { return s.srv.Count(plextvtest.RoutePing) + s.srv.Count(plextvtest.RouteUser) }
	_, wins := h.wins.get()
	wins[0].waitState(t, "linked, checked", func(st winproto.State) bool { return st.Account == s.srv.Username() })
	n := checks()
	wins[0].emit(winproto.Message{Event: winproto.EventCheckDue})
	time.Sleep(100 * time.Millisecond)
	if got := checks(); got != n {
		t.Fatalf("%d more calls to plex.tv; a check_due right after a check must not check again", got-n)
	}
	h.tr.post <- func() { h.tr.lastCheck = time.Now().Add(-7 * time.Hour) } // as after a night asleep
	wins[0].emit(winproto.Message{Event: winproto.EventCheckDue})
	waitFor(t, "a check after the gap", func() bool { return checks() > n })
}

// Start at login switched in the window: the tray writes it, in click order (the last click
// wins on disk), and a failure reaches the window.
func TestSetAutostartFromWindow(t *testing.T) {
	auto := &slowAutostart{}
	h := start(t, newStack(t, false).svc, func(o *Options) { o.Autostart = auto; o.ShowWindow = true })
	waitFor(t, "a window", func() bool { f, _ := h.wins.get(); return len(f) == 1 })
	_, wins := h.wins.get()
	w := wins[0]
	w.waitState(t, "start at login off", func(s winproto.State) bool { return s.HasAutostart && !s.Autostart })
	auto.setSlow(200 * time.Millisecond)
	w.emit(winproto.SetAutostart(true))
	w.emit(winproto.SetAutostart(false))
	time.Sleep(500 * time.Millisecond)
	if on, _ := auto.Enabled(); on {
		t.Error("a slow first write landed after the second: start at login is on")
	}
	w.waitState(t, "start at login off", func(s winproto.State) bool { return !s.Autostart })
	auto.setSlow(0)
	auto.failWith(errors.New("read-only home"))
	w.emit(winproto.SetAutostart(true))
	got := w.waitState(t, "the failure", func(s winproto.State) bool { return s.AutostartErr != "" })
	if got.Autostart || got.AutostartErr != "read-only home" {
		t.Errorf("after a failed write the window is told %+v", got)
	}
	if s, _ := h.menu.last(); s.Autostart {
		t.Error("the menu shows start at login on after enabling it failed")
	}
}

// slowAutostart is memAutostart with a slow Enable and a failure to inject.
type slowAutostart struct {
	memAutostart
	smu  sync.Mutex
	slow time.Duration
	err  error
}

func (a *slowAutostart) setSlow(d time.Duration) { a.smu.Lock(); a.slow = d; a.smu.Unlock() }
func (a *slowAutostart) failWith(err error)      { a.smu.Lock(); a.err = err; a.smu.Unlock() }
func (a *slowAutostart) Enable() error {
	a.smu.Lock()
	d, err := a.slow, a.err
	a.smu.Unlock()
	time.Sleep(d)
	if err != nil {
		return err
	}
	return a.memAutostart.Enable()
}
