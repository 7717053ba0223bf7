package display

import (
	"codeberg.org/plexlink/plexlink/internal/tests/session"

	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// XvfbScreen is the virtual screen every GUI test gets: big enough for the window and its
// dialogs, with 24-bit colour so screenshots show what a user sees.
const XvfbScreen = "1280x800x24"

// Display is a running Xvfb server.
type Display struct {
	Name string // ":N", for DISPLAY
	Pid  int

	logDir string
	d      *session.Daemon
}

// StartXvfb starts Xvfb on a display number of its own and returns once the server accepts
// connections.
//
// The number is random and high rather than -displayfd's "first free from :0": test
// binaries run in parallel, and an Xvfb shutting down on :N unlinks /tmp/.X11-unix/XN after
// dropping its lock, so a new server that just took :N loses its socket and every client
// fails with "Failed to open display" (seen in CI). A taken number makes Xvfb exit at once;
// the next attempt picks another.
func StartXvfb() (*Display, error) {
	if err := session.LookPath("Xvfb", "xvfb"); err != nil {
		return nil, err
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var x *Display
		x, err = startXvfbOn(200 + rand.IntN(20000))
		if err == nil {
			return x, nil
		}
	}
	return nil, err
}

func startXvfbOn(n int) (*Display, error) {
	logDir, err := os.MkdirTemp("", "plexlink-xvfb-")
	if err != nil {
		return nil, fmt.Errorf("display: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		os.RemoveAll(logDir)
		return nil, fmt.Errorf("display: %w", err)
	}
	defer r.Close()
	// With -displayfd Xvfb writes the display number to fd 1 (our pipe) once it is ready;
	// its log goes to stderr.
	d, err := session.StartDaemon(logDir, "Xvfb", xvfbEnv(), nil, w,
		":"+strconv.Itoa(n), "-displayfd", "1", "-screen", "0", XvfbScreen, "-nolisten", "tcp",
		// Without -noreset the server resets whenever its last client disconnects, which the
		// harness's xdotool polls do constantly; an app connecting during a reset gets
		// "Failed to open display".
		"-noreset")
	w.Close()
	if err != nil {
		os.RemoveAll(logDir)
		return nil, err
	}
	x := &Display{Pid: d.Pid(), logDir: logDir, d: d}
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case got := <-num:
		if got != strconv.Itoa(n) {
			err := d.Failure(fmt.Sprintf("did not start on :%d (printed %q)", n, got))
			x.Stop()
			return nil, err
		}
		x.Name = ":" + got
		return x, nil
	case <-time.After(15 * time.Second):
		err := d.Failure("was not ready within 15s")
		x.Stop()
		return nil, err
	}
}

// xvfbEnv keeps Xvfb away from the developer's session (it needs none of it).
func xvfbEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		k, _, _ := strings.Cut(e, "=")
		if !session.Dropped(k) {
			env = append(env, e)
		}
	}
	return env
}

// Stop kills Xvfb and removes its log directory. Stop the apps on the display first: an X
// client whose server vanishes dies with an I/O error instead of exiting cleanly.
func (x *Display) Stop() error {
	if x.d == nil {
		return nil
	}
	d := x.d
	x.d = nil
	// Only the server gets SIGTERM: the helpers it forks (xkbcomp) finish with it. Signalling
	// the whole group, as daemon.stop does, leaves them as zombies that look like leftovers.
	_ = syscall.Kill(x.Pid, syscall.SIGTERM)
	select {
	case <-d.Done():
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(x.Pid, syscall.SIGKILL)
		<-d.Done()
	}
	var err error
	if left := GroupMembers(x.Pid); len(left) > 0 {
		err = fmt.Errorf("display: Xvfb left processes in its group: %v; killing them", left)
	}
	_ = syscall.Kill(-x.Pid, syscall.SIGKILL)
	return errors.Join(err, os.RemoveAll(x.logDir))
}

// GroupMembers lists the live (non-zombie) processes of process group pgid as "pid:comm".
func GroupMembers(pgid int) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" || f[2] != strconv.Itoa(pgid) {
			continue
		}
		out = append(out, fmt.Sprintf("%d:%s", pid, s[open+1:end]))
	}
	return out
}

// Env returns env with DISPLAY pointing at this server.
func (x *Display) Env(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, e := range env {
		if !strings.HasPrefix(e, "DISPLAY=") {
			out = append(out, e)
		}
	}
	return append(out, "DISPLAY="+x.Name)
}

// Xdotool runs xdotool on this display, bounded by timeout, and returns its trimmed stdout.
func (x *Display) Xdotool(timeout time.Duration, args ...string) (string, error) {
	if err := session.LookPath("xdotool", "xdotool"); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = x.Env(xvfbEnv())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		return "", fmt.Errorf("xdotool %s: no result within %v", strings.Join(args, " "), timeout)
	}
	if err != nil {
		return "", fmt.Errorf("xdotool %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// WaitWindow waits until a visible window whose name matches the regular expression title
// exists and returns its id; there must be exactly one. Use an anchored pattern such as
// '^Plex Link$': Fyne also maps a hidden "SystrayMonitor" window. It polls every 20 ms
// (xdotool's own --sync sleeps half a second, too coarse for start-up timings).
func (x *Display) WaitWindow(title string, timeout time.Duration) (string, error) {
	return x.waitWindow(title, timeout, nil)
}

// WaitAppWindow is WaitWindow that gives up as soon as app exits, quoting its output.
func (x *Display) WaitAppWindow(app *App, title string, timeout time.Duration) (string, error) {
	return x.waitWindow(title, timeout, func() error {
		if !app.Exited() {
			return nil
		}
		code, _ := app.Wait(0)
		return fmt.Errorf("%s exited (code %d) before a window named %q appeared\n%s",
			filepath.Base(app.Cmd.Path), code, title, app.Output())
	})
}

func (x *Display) waitWindow(title string, timeout time.Duration, abort func() error) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if abort != nil {
			if err := abort(); err != nil {
				return "", err
			}
		}
		out, err := x.Xdotool(5*time.Second, "search", "--onlyvisible", "--name", title)
		if ids := strings.Fields(out); len(ids) == 1 {
			return ids[0], nil
		} else if len(ids) > 1 {
			return "", fmt.Errorf("want exactly one visible window named %q, got ids %v", title, ids)
		}
		// xdotool search exits 1 when nothing matches; other failures are real.
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return "", err
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no visible window named %q within %v (visible windows: %s)",
				title, timeout, x.describeWindows())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitNoWindow waits until no visible window matches title.
func (x *Display) WaitNoWindow(title string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		out, _ := x.Xdotool(5*time.Second, "search", "--onlyvisible", "--name", title)
		if out == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("window %q still visible after %v (ids %s)", title, timeout, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// describeWindows lists the names of the visible windows, for failure messages.
func (x *Display) describeWindows() string {
	out, err := x.Xdotool(5*time.Second, "search", "--onlyvisible", "--name", "")
	if err != nil || out == "" {
		return "none"
	}
	var names []string
	for _, id := range strings.Fields(out) {
		n, _ := x.Xdotool(5*time.Second, "getwindowname", id)
		names = append(names, fmt.Sprintf("%s=%q", id, n))
	}
	return strings.Join(names, ", ")
}

// RequireGUI checks the programs GUI tests drive the app with. Missing ones skip tb, or fail
// it with CI set (see Require).
func RequireGUI(tb testing.TB) {
	tb.Helper()
	for _, p := range []struct{ name, pkg string }{
		{"Xvfb", "xvfb"}, {"xdotool", "xdotool"}, {"xwd", "x11-apps"}, {"convert", "imagemagick"},
	} {
		session.RequireTool(tb, p.name, p.pkg)
	}
}

// Start starts an Xvfb for tb (skipping, or failing with CI set, when the GUI tools are
// missing) and stops it when tb ends.
func Start(tb testing.TB) *Display {
	tb.Helper()
	RequireGUI(tb)
	x, err := StartXvfb()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := x.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return x
}
