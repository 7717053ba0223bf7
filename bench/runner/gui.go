package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/traydriver"
)

// Phases of one GUI run, measured from the moments named.
const (
	rssAfterVisible = 5 * time.Second  // RSS read this long after the window is visible
	idleSettle      = 1 * time.Second  // after hiding, before the idle CPU window opens
	idleWindow      = 30 * time.Second // idle CPU window; RSS and requests are read at its end
	clockTick       = 10 * time.Millisecond
)

// guiApp is one program the GUI rounds run: the reference or a plexlink variant.
type guiApp struct {
	name   string
	bin    string
	title  string // anchored xdotool pattern
	env    []string
	x      *display.Display
	fake   *fakePlex // nil: the app talks to no server
	linked bool      // expects the start-up health check
}

type guiSample struct {
	visible   time.Duration // process start → window visible
	rssShown  float64       // MiB, rssAfterVisible after visible
	rssTray   float64       // MiB, at the end of the idle window
	idleCPU   time.Duration // utime+stime over idleWindow
	idleReqs  int           // requests at the fake from hiding to the end of the idle window
	startReqs int           // requests at the fake from start to hiding
}

// runGUI starts a, waits for its window, hides it to the tray and idles. hidden is closed
// once the window is hidden, so the next app of the round can start while this one idles.
func runGUI(a *guiApp, hidden chan<- struct{}) (s guiSample, err error) {
	signalled := false
	defer func() {
		if !signalled {
			close(hidden)
		}
	}()
	app, win, err := startVisible(a)
	if err != nil {
		return s, err
	}
	defer app.Stop()
	fail := func(format string, args ...any) (guiSample, error) {
		return s, fmt.Errorf("%s: %s\n%s", a.name, fmt.Sprintf(format, args...), app.Output())
	}
	visibleAt := time.Now()
	s.visible = visibleAt.Sub(app.Started)

	time.Sleep(time.Until(visibleAt.Add(rssAfterVisible)))
	if s.rssShown, err = rssMiB(app.Pid()); err != nil {
		return fail("%v", err)
	}

	// The window manager's close button: both apps hide to the tray and keep running.
	if err := a.x.CloseWindow(win); err != nil {
		return fail("%v", err)
	}
	if err := a.x.WaitNoWindow(a.title, 5*time.Second); err != nil {
		return fail("%v", err)
	}
	hiddenAt := time.Now()
	close(hidden)
	signalled = true

	time.Sleep(idleSettle)
	cpu0, err := cpuTime(app.Pid())
	if err != nil {
		return fail("%v", err)
	}
	time.Sleep(idleWindow)
	cpu1, err := cpuTime(app.Pid())
	if err != nil {
		return fail("%v (did it quit when its window closed?)", err)
	}
	end := time.Now()
	s.idleCPU = cpu1 - cpu0
	if s.rssTray, err = rssMiB(app.Pid()); err != nil {
		return fail("%v", err)
	}
	if a.fake != nil {
		s.startReqs = len(a.fake.requests(app.Started, hiddenAt, nil))
		s.idleReqs = len(a.fake.requests(hiddenAt, end, nil))
		if a.linked && len(a.fake.requests(app.Started, hiddenAt, isHealthCheck)) == 0 {
			return fail("no start-up health check (GET /user or /ping): the app does not think it is linked")
		}
	}
	if app.Exited() {
		return fail("exited while idle in the tray")
	}
	return s, nil
}

// runRound runs every app once, staggered: each starts when the previous one has hidden its
// window, so start-ups never overlap each other while the idle windows do.
func runRound(apps []*guiApp) ([]guiSample, error) {
	samples := make([]guiSample, len(apps))
	errs := make([]error, len(apps))
	done := make(chan int, len(apps))
	for i, a := range apps {
		hidden := make(chan struct{})
		go func() {
			samples[i], errs[i] = runGUI(a, hidden)
			done <- i
		}()
		<-hidden
	}
	for range apps {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return samples, nil
}

func isHealthCheck(r request) bool { return r.path == "/api/v2/user" || r.path == "/api/v2/ping" }

// rssMiB is the resident memory of pid's whole process tree (plexlink's window is a child
// of its tray process while it is open).
func rssMiB(pid int) (float64, error) {
	kib, err := display.TreeRSSKiB(pid)
	return float64(kib) / 1024, err
}

// cpuTime is utime+stime over pid's process tree from /proc (clock ticks of 10 ms: USER_HZ
// is 100 on every Linux architecture Go supports).
func cpuTime(pid int) (time.Duration, error) {
	ticks, err := display.TreeCPUTicks(pid)
	return time.Duration(ticks) * clockTick, err
}

// bgSample is one login start of plexlink: idle in the tray, then Open from its menu.
type bgSample struct {
	guiSample
	open       time.Duration // "Open Plex Link" clicked → window visible
	rssClosed8 float64       // MiB, 8 s after that window was closed
}

// runBackground starts a like a login start (--background: no window ever), lets it settle
// and measures it idle in the tray; then it clicks Open Plex Link in the tray menu (over
// dbusmenu, as a tray host does), times the window, closes it and reads the memory 8 s later.
func runBackground(a *guiApp, watcher *traydriver.Watcher, bus string) (bs bgSample, err error) {
	s, app, err := idleBackground(a)
	bs.guiSample = s
	if err != nil {
		return bs, err
	}
	defer app.Stop()
	fail := func(format string, args ...any) (bgSample, error) {
		return bs, fmt.Errorf("%s --background: %s\n%s", a.name, fmt.Sprintf(format, args...), app.Output())
	}
	item, err := watcher.WaitItem(10 * time.Second)
	if err != nil {
		return fail("%v", err)
	}
	tray, err := traydriver.OpenTray(bus, item)
	if err != nil {
		return fail("%v", err)
	}
	defer tray.Close()
	t0 := time.Now()
	if err := tray.ClickLabel("Open Plex Link"); err != nil {
		return fail("%v", err)
	}
	win, err := a.x.WaitAppWindow(app, a.title, 30*time.Second)
	if err != nil {
		return fail("%v", err)
	}
	bs.open = time.Since(t0)
	time.Sleep(rssAfterVisible)
	if err := a.x.CloseWindow(win); err != nil {
		return fail("%v", err)
	}
	time.Sleep(8 * time.Second)
	if bs.rssClosed8, err = rssMiB(app.Pid()); err != nil {
		return fail("%v", err)
	}
	if app.Exited() {
		return fail("the tray exited")
	}
	return bs, nil
}

func idleBackground(a *guiApp) (s guiSample, app *display.App, err error) {
	app, err = display.StartApp(a.bin, a.env, "--background")
	if err != nil {
		return s, nil, err
	}
	fail := func(err error) (guiSample, *display.App, error) {
		app.Stop()
		return s, nil, fmt.Errorf("%s --background: %v\n%s", a.name, err, app.Output())
	}
	time.Sleep(rssAfterVisible)
	cpu0, err := cpuTime(app.Pid())
	if err != nil {
		return fail(err)
	}
	time.Sleep(idleWindow)
	cpu1, err := cpuTime(app.Pid())
	if err != nil {
		return fail(err)
	}
	s.idleCPU = cpu1 - cpu0
	if s.rssTray, err = rssMiB(app.Pid()); err != nil {
		return fail(err)
	}
	return s, app, nil
}

// startupOnly measures start → visible alone, n rounds in rotating order (for working on
// start-up: a round takes seconds, not a minute).
func startupOnly(apps []*guiApp, n int) error {
	times := make([][]float64, len(apps))
	for r := range n {
		for i := range apps {
			k := (i + r) % len(apps)
			a := apps[k]
			app, _, err := startVisible(a)
			if err != nil {
				return err
			}
			times[k] = append(times[k], ms(time.Since(app.Started)))
			app.Stop()
		}
	}
	for k, a := range apps {
		fmt.Printf("%-30s median %4.0f ms  min %4.0f  max %4.0f  ratio %.2f×\n", a.name, median(times[k]),
			slices.Min(times[k]), slices.Max(times[k]), median(times[k])/median(times[0]))
	}
	return nil
}

// displayRetries counts starts repeated because the app could not open its display.
var displayRetries atomic.Int32

// startVisible starts a and waits for its window. On this shared machine an app now and then
// fails to open a display whose Xvfb is running and whose socket exists (other test suites
// start and stop Xvfb servers at the same time); such a start is repeated, twice at most,
// and counted in the report.
func startVisible(a *guiApp) (*display.App, string, error) {
	for attempt := 0; ; attempt++ {
		app, err := display.StartApp(a.bin, a.env)
		if err != nil {
			return nil, "", err
		}
		win, err := a.x.WaitAppWindow(app, a.title, 30*time.Second)
		if err == nil {
			return app, win, nil
		}
		app.Stop()
		if attempt < 2 && strings.Contains(app.Stderr(), "Failed to open display") {
			displayRetries.Add(1)
			logf("%s could not open display %s; starting it again", a.name, a.x.Name)
			continue
		}
		return nil, "", fmt.Errorf("%s: %w%s", a.name, err, displayCheck(a.x))
	}
}

// displayCheck explains a failure to open the display: on this shared machine something
// else once removed the server's socket while Xvfb kept running.
func displayCheck(x *display.Display) string {
	sock := "/tmp/.X11-unix/X" + strings.TrimPrefix(x.Name, ":")
	_, err := os.Stat(sock)
	return fmt.Sprintf(" [Xvfb %s running: %v; %s exists: %v]", x.Name, display.Alive(x.Pid), sock, err == nil)
}
