//go:build linux

package winetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// buildEnv is the environment the test process started with: session.Main points HOME at a
// temporary directory, and builds there would start from an empty Go build and module cache.
var buildEnv = os.Environ()

func TestMain(m *testing.M) {
	code := session.Main(m)
	if w := wineWorld; w != nil {
		if err := w.stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// world is one Wine prefix for the whole test binary (creating one takes 6-14 s and ~700 MB)
// with the programs the tests run in it.
type world struct {
	dir     string // everything this run writes: the prefix, the builds
	prefix  string // WINEPREFIX
	cli     string // the release plexlink.exe (the command line), built by packaging/windows.sh
	app     string // the release "Plex Link.exe" (the desktop app), beside it
	helper  string // credhelper.exe
	console string // the internal/console Windows test binary
	server  *exec.Cmd
	// x is the prefix's display. Every Wine process gets it, like every program on Windows
	// has a desktop: Wine starts its desktop process (explorer.exe) with the DISPLAY of
	// whichever program first needs it, and one started without a display would leave
	// every later window without one.
	x       *display.Display
	standIn bool // the ProcessPrng stand-in was needed and installed

	wineVersion string
	times       []string // what setting up took, for the log
}

var (
	wineOnce  sync.Once
	wineWorld *world
	wineErr   error
)

// winePackages are what the Windows tests need installed (TEST_PKGS in the Makefile).
const winePackages = "wine64 wine gcc-mingw-w64-x86-64"

// requireWine checks the programs the Windows tests need: a missing one skips, or fails with
// CI set (session.Require), with the command that installs it.
func requireWine(t *testing.T) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		session.Require(t, fmt.Errorf("winetest: %s; install with `sudo apt-get install -y --no-install-recommends %s` (or `make deps`): %w",
			what, winePackages, session.ErrMissing))
	}
	for _, prog := range []string{"wine", "wineserver", "wineboot", "x86_64-w64-mingw32-gcc"} {
		if _, err := exec.LookPath(prog); err != nil {
			missing(prog + " not found on PATH")
		}
	}
	// Debian keeps the 64-bit loader off PATH; without it `wine` cannot run a 64-bit .exe.
	_, onPath := exec.LookPath("wine64")
	if _, err := os.Stat("/usr/lib/wine/wine64"); err != nil && onPath != nil {
		missing("the 64-bit Wine loader (wine64) is missing")
	}
}

// shared returns the prepared world, building and booting it on first use.
func shared(t *testing.T) *world {
	t.Helper()
	requireWine(t)
	display.RequireGUI(t)
	wineOnce.Do(func() { wineWorld, wineErr = setUp() })
	if wineErr != nil {
		t.Fatalf("preparing Wine: %v", wineErr)
	}
	for _, l := range wineWorld.times {
		t.Log(l)
	}
	wineWorld.times = nil // logged once
	return wineWorld
}

func setUp() (*world, error) {
	root, err := session.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "plexlink-wine-")
	if err != nil {
		return nil, err
	}
	w := &world{dir: dir, prefix: filepath.Join(dir, "prefix")}
	wineWorld = w // so TestMain removes it even when setting up fails
	if err := os.Mkdir(w.prefix, 0o700); err != nil {
		return w, err
	}
	start := time.Now()
	if w.x, err = display.StartXvfb(); err != nil {
		return w, err
	}
	out, _ := exec.Command("wine", "--version").Output()
	w.wineVersion = strings.TrimSpace(string(out))

	// The builds and the prefix are independent: do them at once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	took := make([]time.Duration, 4)
	step := func(i int, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			errs[i] = f()
			took[i] = time.Since(t0)
		}()
	}
	step(0, func() (err error) { w.cli, w.app, err = buildRelease(root, dir); return })
	step(1, func() (err error) {
		w.helper = filepath.Join(dir, "credhelper.exe")
		return goBuild(root, "build", "-o", w.helper, "./packaging/windows/winetest/credhelper")
	})
	step(2, func() (err error) {
		w.console = filepath.Join(dir, "console.test.exe")
		return goBuild(root, "test", "-c", "-o", w.console, "./internal/console")
	})
	step(3, w.boot)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return w, err
	}
	w.times = append(w.times,
		fmt.Sprintf("wine: %s; prefix %s", w.wineVersion, w.prefix),
		fmt.Sprintf("wine: release %s and %s (packaging/windows.sh; %s=%q) ready in %v",
			filepath.Base(w.cli), filepath.Base(w.app), distEnv, os.Getenv(distEnv), took[0].Round(time.Millisecond)),
		fmt.Sprintf("wine: credhelper.exe %v, console.test.exe %v", took[1].Round(time.Millisecond), took[2].Round(time.Millisecond)),
		fmt.Sprintf("wine: wineboot -i (new prefix) in %v", took[3].Round(time.Millisecond)))

	t0 := time.Now()
	if err := w.ensureProcessPrng(root); err != nil {
		return w, err
	}
	w.times = append(w.times, fmt.Sprintf("wine: ProcessPrng stand-in needed: %v (checked in %v); set-up total %v",
		w.standIn, time.Since(t0).Round(time.Millisecond), time.Since(start).Round(time.Millisecond)))
	return w, nil
}

// distEnv names a directory where packaging/windows.sh already built the two programs:
// `make test` builds them before the tests, so that the cold cgo cross-compile (minutes)
// does not compete with the other packages' tests for the CPU.
const distEnv = "PLEXLINK_WINDOWS_DIST"

// buildRelease runs packaging/windows.sh, the script `make package` uses, into dir: the same
// flags, icons, version info and manifests as the shipped programs, and their PE checks.
// With $PLEXLINK_WINDOWS_DIST set it takes what the script built there instead. It returns
// the paths of plexlink.exe (the command line) and "Plex Link.exe" (the desktop app).
func buildRelease(root, dir string) (cli, app string, err error) {
	dist, out := os.Getenv(distEnv), []byte(nil)
	if dist == "" {
		dist = filepath.Join(dir, "dist")
		cmd := exec.Command("bash", filepath.Join(root, "packaging", "windows.sh"))
		cmd.Dir = root
		cmd.Env = append(append([]string(nil), buildEnv...), "DIST="+dist)
		if out, err = cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("packaging/windows.sh: %w\n%s", err, out)
		}
	}
	cli, app = filepath.Join(dist, "windows", "plexlink.exe"), filepath.Join(dist, "windows", "Plex Link.exe")
	for _, p := range []string{cli, app} {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("packaging/windows.sh did not build %s: %w\n%s", p, err, out)
		}
	}
	return cli, app, nil
}

// goBuild cross-compiles a cgo-free Windows program or test binary.
func goBuild(root string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(append([]string(nil), buildEnv...), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=windows go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// env is the environment of a Wine process: this test's (the private HOME from internal/tests/session),
// the prefix's display and the prefix, plus extra.
func (w *world) env(extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		k, _, _ := strings.Cut(e, "=")
		switch {
		case k == "DISPLAY", strings.HasPrefix(k, "WINE"), strings.HasPrefix(k, "PLEXLINK_"):
			continue
		}
		env = append(env, e)
	}
	env = append(env, "DISPLAY="+w.x.Name, "WINEPREFIX="+w.prefix, "WINEDEBUG=-all",
		// No Mono/Gecko installers (there is no network) and no menu entries in HOME.
		"WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d", "LANG=C.UTF-8")
	return append(env, extra...)
}

// boot starts a wineserver that persists for the whole run (each command then starts in
// ~0.2 s instead of booting Wine again) and creates the prefix.
func (w *world) boot() error {
	logf, err := os.Create(filepath.Join(w.dir, "wineserver.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	w.server = exec.Command("wineserver", "--foreground", "--persistent")
	w.server.Env = w.env()
	w.server.Stdout, w.server.Stderr = logf, logf
	w.server.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := w.server.Start(); err != nil {
		return fmt.Errorf("starting wineserver: %w", err)
	}
	res := w.runIn(nil, 3*time.Minute, "wineboot", "-i")
	if res.err != nil || res.code != 0 {
		return fmt.Errorf("wineboot -i: exit %d, %v\n%s", res.code, res.err, res.output())
	}
	return nil
}

// stop ends every process of the prefix (wineserver -k), then the server, and removes the
// prefix and the builds.
func (w *world) stop() error {
	var errs []error
	if w.server != nil && w.server.Process != nil {
		kill := exec.Command("wineserver", "-k")
		kill.Env = w.env()
		_ = kill.Run()
		done := make(chan error, 1)
		go func() { done <- w.server.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-w.server.Process.Pid, syscall.SIGKILL)
			<-done
			errs = append(errs, errors.New("winetest: wineserver did not stop within 10s of wineserver -k; killed it"))
		}
		if left := prefixProcesses(w.prefix); len(left) > 0 {
			errs = append(errs, fmt.Errorf("winetest: Wine processes left after wineserver -k: %v; killing them", left))
			for _, pid := range left {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if w.x != nil {
		errs = append(errs, w.x.Stop()) // after the prefix's programs: they are its clients
	}
	if w.dir != "" {
		errs = append(errs, os.RemoveAll(w.dir))
	}
	return errors.Join(errs...)
}

// prefixProcesses lists the live processes whose WINEPREFIX is prefix.
func prefixProcesses(prefix string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || !display.Alive(pid) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, []byte("\x00WINEPREFIX="+prefix+"\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ensureProcessPrng starts a tiny Go program in the prefix. Go >= 1.24 needs ProcessPrng
// from bcryptprimitives.dll, which Wine < 9 lacks: then, and only then, the stand-in from
// prng/ is built and copied into system32, and the program must start.
func (w *world) ensureProcessPrng(root string) error {
	res := w.wine(nil, time.Minute, w.helper, "ping")
	if res.code == 0 && strings.TrimSpace(res.stdout) == "ok" {
		return nil
	}
	if !strings.Contains(res.output(), "bcryptprimitives.dll") {
		return fmt.Errorf("a Go program does not start under Wine, and not for the known ProcessPrng reason: exit %d, %v\n%s",
			res.code, res.err, res.output())
	}
	src := filepath.Join(root, "packaging", "windows", "winetest", "prng")
	dll := filepath.Join(w.prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	if _, err := os.Stat(dll); err == nil {
		return fmt.Errorf("%s exists but Go programs still report it missing; not overwriting it:\n%s", dll, res.output())
	}
	cc := exec.Command("x86_64-w64-mingw32-gcc", "-O2", "-s", "-shared", "-o", dll,
		filepath.Join(src, "bcryptprimitives.c"), filepath.Join(src, "bcryptprimitives.def"), "-lbcrypt")
	if out, err := cc.CombinedOutput(); err != nil {
		return fmt.Errorf("building the ProcessPrng stand-in: %w\n%s", err, out)
	}
	w.standIn = true
	res = w.wine(nil, time.Minute, w.helper, "ping")
	if res.code != 0 || strings.TrimSpace(res.stdout) != "ok" {
		return fmt.Errorf("with the ProcessPrng stand-in a Go program still does not start: exit %d, %v\n%s",
			res.code, res.err, res.output())
	}
	return nil
}

// result is a finished Wine process.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
	err            error // not an exit status: could not run, or timed out
}

func (r result) output() string {
	return fmt.Sprintf("--- stdout:\n%s--- stderr:\n%s", r.stdout, r.stderr)
}

// wine runs `wine exe args...` to the end. Output goes to files, not pipes: Wine's services
// (started by the first program of a prefix) inherit the standard handles and would keep a
// pipe open long after the program exits. On a terminal Wine adds cursor escapes; files have
// none.
func (w *world) wine(env []string, timeout time.Duration, exe string, args ...string) result {
	return w.runIn(env, timeout, "wine", append([]string{exe}, args...)...)
}

func (w *world) runIn(env []string, timeout time.Duration, name string, args ...string) result {
	p, err := w.start(env, name, args...)
	if err != nil {
		return result{err: err}
	}
	return p.wait(timeout)
}

// proc is a running Wine process whose output lands in files.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *os.File
	started        time.Time
	done           chan struct{}
	waitErr        error
}

func (w *world) start(env []string, name string, args ...string) (*proc, error) {
	if env == nil {
		env = w.env()
	}
	out, err := os.CreateTemp(w.dir, "out-")
	if err != nil {
		return nil, err
	}
	errf, err := os.CreateTemp(w.dir, "err-")
	if err != nil {
		out.Close()
		return nil, err
	}
	p := &proc{cmd: exec.Command(name, args...), stdout: out, stderr: errf, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = out, errf
	// Its own process group: a window's process also starts Wine's explorer.exe, and kill
	// stops both.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		out.Close()
		errf.Close()
		return nil, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// kill ends the process group at once and waits for the process.
func (p *proc) kill() result {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	return p.wait(10 * time.Second)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stdout is what the process has written so far.
func (p *proc) Stdout() string {
	b, _ := os.ReadFile(p.stdout.Name())
	return string(b)
}

func (p *proc) wait(timeout time.Duration) result {
	var r result
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		r.err = fmt.Errorf("%s did not finish within %v", strings.Join(p.cmd.Args, " "), timeout)
	}
	r.took = time.Since(p.started)
	var ee *exec.ExitError
	switch {
	case p.waitErr == nil:
	case errors.As(p.waitErr, &ee):
		r.code = ee.ExitCode()
	case r.err == nil:
		r.err = p.waitErr
	}
	p.stdout.Close()
	p.stderr.Close()
	b, _ := os.ReadFile(p.stdout.Name())
	r.stdout = string(b)
	b, _ = os.ReadFile(p.stderr.Name())
	r.stderr = string(b)
	os.Remove(p.stdout.Name())
	os.Remove(p.stderr.Name())
	return r
}

// credential is what Wine's Credential Manager holds for the app's token under service, as
// "sha256:<hex>" or "absent", read by credhelper.exe through CredReadW.
func (w *world) credential(t *testing.T, env []string, service string) string {
	t.Helper()
	return w.credentialAt(t, env, service+":token")
}

// credentialAt is credential for any target ("SERVICE:USER", as go-keyring names them).
func (w *world) credentialAt(t *testing.T, env []string, target string) string {
	t.Helper()
	res := w.wine(env, time.Minute, w.helper, "cred-sha256", target)
	if res.err != nil || res.code != 0 {
		t.Fatalf("credhelper cred-sha256: exit %d, %v\n%s", res.code, res.err, res.output())
	}
	return strings.TrimSpace(res.stdout)
}

// winPath is path as the Windows programs in the prefix see it (Wine maps / to Z:).
func winPath(path string) string { return "Z:" + strings.ReplaceAll(path, "/", `\`) }

// hashOf names a secret the way credhelper does, so the two can be compared unprinted.
func hashOf(secret string) string { return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(secret))) }

// registryRun reads the "Plex Link" value of HKCU\...\Run: its data, or "" when there is none.
func (w *world) registryRun(t *testing.T) string {
	t.Helper()
	return w.regValue(t, `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "Plex Link")
}

// logTail is the end of the app's own log (the Windows build logs to
// %LOCALAPPDATA%\plexlink\plexlink.log), for failure messages. It never holds a token.
func (w *world) logTail() string {
	logs, _ := filepath.Glob(filepath.Join(w.prefix, "drive_c", "users", "*", "AppData", "Local", "plexlink", "plexlink.log"))
	if len(logs) == 0 {
		return "(no plexlink.log in the prefix)"
	}
	b, _ := os.ReadFile(logs[0])
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return "--- plexlink.log (end):\n" + string(b)
}
