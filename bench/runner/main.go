// Command runner is `make bench`: it builds the two programs — the command line plexlink
// (./cmd/plexlink, CGO_ENABLED=0) and the desktop app plexlink-desktop (the root package) —
// and the references they are measured against, with the same flags, and measures all of
// them in one run, under Xvfb with a private D-Bus session, a test StatusNotifierWatcher (so
// every app gets a tray) and gnome-keyring. The references: bench/reference (the smallest
// Fyne app with a window, a button and a tray menu) for the desktop app; for the command
// line bench/reference/hello (a Go hello-world), secret-tool, and the one-binary plexlink of
// the commit before the split (preSplit), built from git history. It prints one table and
// writes it into docs/BENCHMARKS.md.
//
// It is a benchmark, not a test: it exits non-zero only when it cannot measure, never
// because a target is missed (the table says so).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"codeberg.org/plexlink/plexlink/internal/tests/traydriver"
	"codeberg.org/plexlink/plexlink/storage"
)

const (
	linkedService   = "plexlink-bench"
	unlinkedService = "plexlink-bench-unlinked"
	execService     = "plexlink-bench-exec" // its own fake, with media servers, and its own tool token
)

// options are the runner's flags.
type options struct {
	rounds, links, tokens, cli, startup int
	extra, before, out                  string
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 5, "GUI rounds (each runs every app once, in rotating order)")
	flag.IntVar(&o.links, "links", 20, "link latency runs")
	flag.IntVar(&o.tokens, "tokens", 20, "`plexlink token` and `secret-tool lookup` runs each")
	flag.IntVar(&o.cli, "cli", 20, "`plexlink version` and hello runs each; `plexlink exec` and the pre-split exec runs each")
	flag.StringVar(&o.before, "before", preSplit, "commit of the one-binary plexlink the exec row compares with (\"\" = no exec row)")
	flag.IntVar(&o.startup, "startup", 0, "only measure start → visible, this many rounds (no link, token, command-line or idle phases)")
	flag.StringVar(&o.extra, "extra", "", "with -startup: more binaries (comma-separated) to time next to plexlink-desktop, linked (experiments)")
	flag.StringVar(&o.out, "out", "docs/BENCHMARKS.md", "file whose generated section receives the table (\"\" = none)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bench: done in %v\n", time.Since(benchStart).Round(time.Second))
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(o options) error {
	root, err := session.RepoRoot()
	if err != nil {
		return err
	}
	header := machine(root)
	tmp, err := os.MkdirTemp("", "plexlink-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.startup > 0 {
		o.links, o.tokens, o.cli, o.before = 1, 0, 0, "" // one link, so that the linked app is linked
	}
	progs, err := build(root, tmp, o.before)
	if err != nil {
		return err
	}
	sizes := map[string]float64{}
	for _, b := range []string{progs.cli, progs.desktop, progs.reference, progs.before} {
		if b == "" {
			continue
		}
		if sizes[b], err = strippedMiB(b); err != nil {
			return err
		}
	}

	sess, err := session.StartSession()
	if err != nil {
		return err
	}
	defer sess.Stop()
	sess.Apply() // the benchmark reads the keychain in-process to time the link
	watcher, err := traydriver.StartWatcher(sess.BusAddress)
	if err != nil {
		return err
	}
	defer watcher.Stop()
	fakeL, err := startFake()
	if err != nil {
		return err
	}
	defer fakeL.close()
	fakeU, err := startFake()
	if err != nil {
		return err
	}
	defer fakeU.close()
	envFor := func(service string, f *fakePlex) []string {
		return sess.EnvWith(append(f.env(), "PLEXLINK_KEYRING_SERVICE="+service, "LANG=C.UTF-8")...)
	}
	linkedEnv := envFor(linkedService, fakeL)

	// (4) Link latency, with the command line. Approval comes 1.0–2.0 s after the code is
	// printed, in even steps, so it lands at every phase of the 1 s poll.
	var lat, polls []float64
	var pollCount int
	var pollSpan time.Duration
	for i := range o.links {
		wait := time.Second + time.Duration(i)*time.Second/time.Duration(max(o.links, 1))
		r, err := linkOnce(progs.cli, linkedEnv, fakeL, linkedService, wait)
		if err != nil {
			return fmt.Errorf("link run %d: %w", i+1, err)
		}
		lat = append(lat, ms(r.latency))
		pollCount += r.polls - 1
		pollSpan += r.pollSpan
		if r.pollSpan > 0 {
			polls = append(polls, float64(r.polls-1)/r.pollSpan.Seconds())
		}
	}
	logf("link: %d runs, median %.0f ms", len(lat), median(lat))

	// (5) The command line next to its references, alternating: token lookup and secret-tool on
	// the same item, version and a hello-world, exec and the pre-split program's exec.
	var cliRows []row
	if o.tokens > 0 {
		want, err := storage.NewKeychain(linkedService).Load()
		if err != nil {
			return fmt.Errorf("reading the linked token: %w", err)
		}
		tok, st, err := sideBySide(o.tokens,
			command{linkedEnv, printsExactly(want), []string{progs.cli, "token"}},
			command{linkedEnv, printsExactly(want), []string{"secret-tool", "lookup", "service", linkedService, "username", storage.KeyringUser}})
		if err != nil {
			return err
		}
		logf("token: median %.1f ms, secret-tool %.1f ms", median(tok), median(st))
		cliRows = append(cliRows, ratioRow(fmt.Sprintf("`plexlink token` vs `secret-tool lookup` (%d runs)", len(tok)), "ms", tok, st, 1))
	}
	if o.cli > 0 {
		ver, hello, err := sideBySide(o.cli,
			command{linkedEnv, printsPrefix("plexlink "), []string{progs.cli, "version"}},
			command{linkedEnv, printsPrefix("hello, world"), []string{progs.hello}})
		if err != nil {
			return err
		}
		logf("version: median %.1f ms, hello %.1f ms", median(ver), median(hello))
		cliRows = append(cliRows, ratioRow(fmt.Sprintf("`plexlink version` vs a Go hello-world (%d runs)", len(ver)), "ms", ver, hello, 2))
	}
	if o.cli > 0 && progs.before != "" {
		r, err := execRow(progs, o.cli, envFor)
		if err != nil {
			return err
		}
		cliRows = append(cliRows, r)
	}

	// (1)–(3) GUI rounds: each app on its own Xvfb, all sharing the session and the watcher.
	apps := []*guiApp{
		{name: "reference", bin: progs.reference, title: "^Reference$", env: sess.EnvWith("LANG=C.UTF-8")},
		{name: "plexlink-desktop (linked)", bin: progs.desktop, title: "^Plex Link$", env: linkedEnv, fake: fakeL, linked: true},
		{name: "plexlink-desktop (not linked)", bin: progs.desktop, title: "^Plex Link$", env: envFor(unlinkedService, fakeU), fake: fakeU},
	}
	for _, a := range apps {
		x, err := display.StartXvfb()
		if err != nil {
			return err
		}
		defer x.Stop()
		a.x = x
		a.env = x.Env(a.env)
	}
	if o.startup > 0 {
		for _, e := range strings.FieldsFunc(o.extra, func(r rune) bool { return r == ',' }) {
			x, err := display.StartXvfb()
			if err != nil {
				return err
			}
			defer x.Stop()
			apps = append(apps, &guiApp{name: filepath.Base(e), bin: e, title: "^Plex Link$", x: x, env: x.Env(linkedEnv)})
		}
		return startupOnly(apps, o.startup)
	}
	samples := make([][]guiSample, len(apps))
	for r := range o.rounds {
		order := make([]*guiApp, len(apps))
		idx := make([]int, len(apps))
		for i := range apps {
			idx[i] = (i + r) % len(apps) // rotate, so no app always starts first
			order[i] = apps[idx[i]]
		}
		t := time.Now()
		got, err := runRound(order)
		if err != nil {
			return fmt.Errorf("round %d: %w", r+1, err)
		}
		var line []string
		for i, s := range got {
			samples[idx[i]] = append(samples[idx[i]], s)
			line = append(line, fmt.Sprintf("%s %v/%.0f MiB/%.0f MiB/%v cpu/%d req",
				order[i].name, s.visible.Round(time.Millisecond), s.rssShown, s.rssTray, s.idleCPU, s.idleReqs))
		}
		logf("round %d/%d (%v): %s", r+1, o.rounds, time.Since(t).Round(time.Second), strings.Join(line, "; "))
	}

	// (1b) The login start: the tray process alone, its window never opened.
	var bg []bgSample
	for r := range o.rounds {
		s, err := runBackground(apps[1], watcher, sess.BusAddress)
		if err != nil {
			return fmt.Errorf("background round %d: %w", r+1, err)
		}
		logf("background round %d/%d: %.1f MiB/%v cpu; Open → visible %v; %.1f MiB 8 s after closing",
			r+1, o.rounds, s.rssTray, s.idleCPU, s.open.Round(time.Millisecond), s.rssClosed8)
		bg = append(bg, s)
	}

	col := func(app int, f func(guiSample) float64) []float64 {
		var v []float64
		for _, s := range samples[app] {
			v = append(v, f(s))
		}
		return v
	}
	visible := func(s guiSample) float64 { return ms(s.visible) }
	shown := func(s guiSample) float64 { return s.rssShown }
	tray := func(s guiSample) float64 { return s.rssTray }
	cpu := func(s guiSample) float64 { return ms(s.idleCPU) }
	reqs := func(s guiSample) float64 { return float64(s.idleReqs) }

	// The tray's targets (issue 13): RSS ≤ 0.15× the reference, ≤ 2 ticks per 20 s idle.
	cpuRow := func(metric string, vals, ref []float64) row {
		r := row{metric: metric, unit: "ms", vals: vals, ref: ref, target: "≤ 30 ms (2 ticks / 20 s)"}
		r.pass = median(vals) <= 30
		return r
	}
	var rows []row
	for i, label := range []string{"linked", "not linked"} {
		app := i + 1
		rows = append(rows,
			ratioRow("desktop: start → window visible, "+label, "ms", col(app, visible), col(0, visible), 1.15),
			ratioRow("desktop: RSS 5 s after visible (tray + window), "+label, "MiB", col(app, shown), col(0, shown), 1.15),
			ratioRow("desktop: RSS 30 s after closing the window, "+label, "MiB", col(app, tray), col(0, tray), 0.15),
			cpuRow("desktop: CPU over 30 s idle in the tray, "+label, col(app, cpu), col(0, cpu)),
		)
	}
	bgRSS, bgCPU, bgOpen, bgClosed := make([]float64, len(bg)), make([]float64, len(bg)), make([]float64, len(bg)), make([]float64, len(bg))
	for i, s := range bg {
		bgRSS[i], bgCPU[i], bgOpen[i], bgClosed[i] = s.rssTray, ms(s.idleCPU), ms(s.open), s.rssClosed8
	}
	rows = append(rows,
		ratioRow("desktop: RSS, --background, window never opened, linked", "MiB", bgRSS, col(0, tray), 0.15),
		cpuRow("desktop: CPU over 30 s idle, --background, linked", bgCPU, col(0, cpu)),
		ratioRow("desktop tray: Open Plex Link → window visible (vs reference start)", "ms", bgOpen, col(0, visible), 1.2),
		ratioRow("desktop tray: RSS 8 s after closing that window", "MiB", bgClosed, col(0, tray), 0.15))
	idle := col(1, reqs)
	rows = append(rows, row{metric: "desktop: requests while idle in the tray, linked", unit: "", vals: idle,
		target: "= 0", pass: maxOf(idle) == 0})
	latRow := row{metric: fmt.Sprintf("link: approval → token in keychain (%d runs)", len(lat)), unit: "ms",
		vals: lat, target: "median ≤ 1000 ms, p95 ≤ 1500 ms", note: fmt.Sprintf("p95 %.0f", percentile(lat, 95))}
	latRow.pass = median(lat) <= 1000 && percentile(lat, 95) <= 1500
	rate := float64(pollCount) / pollSpan.Seconds()
	rows = append(rows, latRow, row{metric: "link: polls per second (GET /pins/{id})", unit: "/s", vals: polls,
		target: "≤ 1 on average", pass: rate <= 1.0, note: fmt.Sprintf("all runs %.3f", rate)})
	rows = append(rows, cliRows...)
	rows = append(rows, ratioRow("binary size, stripped: plexlink-desktop vs reference", "MiB",
		[]float64{sizes[progs.desktop]}, []float64{sizes[progs.reference]}, 1.25))
	cliSize := row{metric: "binary size, stripped: plexlink (command line)", unit: "MiB", vals: []float64{sizes[progs.cli]}}
	if progs.before != "" {
		cliSize.metric += " vs pre-split plexlink " + progs.beforeRev
		cliSize.ref = []float64{sizes[progs.before]}
	}
	rows = append(rows, cliSize)

	tbl := table(rows)
	fmt.Println(tbl)
	if o.out == "" {
		return nil
	}
	before := "no pre-split comparison"
	if progs.before != "" {
		before = "pre-split program: commit " + progs.beforeRev
	}
	gen := fmt.Sprintf("%s\n- Runs: %d GUI rounds (reference, plexlink-desktop linked, plexlink-desktop not linked), %d link runs, %d token runs, %d version and exec runs (%s); measuring took %v; app starts repeated for a display error: %d\n\n%s",
		header, o.rounds, o.links, o.tokens, o.cli, before, time.Since(benchStart).Round(time.Second), displayRetries.Load(), tbl)
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := writeDoc(out, gen); err != nil {
		return err
	}
	logf("wrote %s", out)
	return nil
}

// execRow times `plexlink exec --server "Living Room" --tool kometa -- true` against the
// pre-split program's, alternating, on a keychain service and fake of their own (linked once
// by the command line; its media servers running), so the tool token they share never shows
// up in the desktop rows.
func execRow(progs programs, n int, envFor func(string, *fakePlex) []string) (row, error) {
	fake, err := startFake()
	if err != nil {
		return row{}, err
	}
	defer fake.close()
	stop, err := fake.ServeMediaServers()
	if err != nil {
		return row{}, err
	}
	defer stop()
	env := envFor(execService, fake)
	if _, err := linkOnce(progs.cli, env, fake, execService, 0); err != nil {
		return row{}, fmt.Errorf("linking %s for exec: %w", execService, err)
	}
	args := []string{"exec", "--server", plextvtest.OwnedServerName, "--tool", "kometa", "--", "true"}
	now, was, err := sideBySide(n,
		command{env, nil, append([]string{progs.cli}, args...)},
		command{env, nil, append([]string{progs.before}, args...)})
	if err != nil {
		return row{}, err
	}
	logf("exec: median %.1f ms, pre-split %s %.1f ms", median(now), progs.beforeRev, median(was))
	return ratioRow(fmt.Sprintf("`plexlink exec --server %q --tool kometa -- true` vs pre-split %s (%d runs)", plextvtest.OwnedServerName, progs.beforeRev, len(now)),
		"ms", now, was, 0.7), nil
}

var benchStart = time.Now()

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
