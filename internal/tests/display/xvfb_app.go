package display

import (
	"codeberg.org/plexlink/plexlink/internal/tests/session"

	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// App is a GUI program started by a test, in its own process group.
type App struct {
	Cmd     *exec.Cmd
	Started time.Time // just before fork, for start-up timings

	stdout, stderr session.SyncBuffer
	done           chan struct{}
	waitErr        error
}

// StartApp starts path with args and env. Its output is kept for failure messages; a test
// binary that dies takes the app with it (Pdeathsig).
func StartApp(path string, env []string, args ...string) (*App, error) {
	a := &App{done: make(chan struct{})}
	a.Cmd = exec.Command(path, args...)
	a.Cmd.Env = env
	a.Cmd.Stdout, a.Cmd.Stderr = &a.stdout, &a.stderr
	a.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	a.Started = time.Now()
	if err := a.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("display: starting %s: %w", filepath.Base(path), err)
	}
	go func() {
		a.waitErr = a.Cmd.Wait()
		close(a.done)
	}()
	return a, nil
}

// Pid is the app's process id.
func (a *App) Pid() int { return a.Cmd.Process.Pid }

// Exited reports whether the process has ended.
func (a *App) Exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the process to exit and returns its exit code (-1 when a
// signal killed it).
func (a *App) Wait(timeout time.Duration) (int, error) {
	if !a.Exited() {
		select {
		case <-a.done:
		case <-time.After(timeout):
			return 0, fmt.Errorf("%s (pid %d) still running after %v", filepath.Base(a.Cmd.Path), a.Pid(), timeout)
		}
	}
	var ee *exec.ExitError
	if a.waitErr != nil && !errors.As(a.waitErr, &ee) {
		return 0, a.waitErr
	}
	return a.Cmd.ProcessState.ExitCode(), nil
}

// Stop ends the app if it still runs: SIGTERM to its group, SIGKILL after 3s.
func (a *App) Stop() {
	if a.Exited() {
		return
	}
	pgid := a.Pid()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-a.done
	}
}

// Stdout and Stderr return what the app has written so far.
func (a *App) Stdout() string { return a.stdout.String() }
func (a *App) Stderr() string { return a.stderr.String() }

// Output is both streams, labelled, for failure messages.
func (a *App) Output() string {
	return fmt.Sprintf("--- stdout:\n%s--- stderr:\n%s", a.Stdout(), a.Stderr())
}

// RSSKiB is the app's resident set size (VmRSS in /proc/PID/status) in KiB.
func (a *App) RSSKiB() (int64, error) { return RSSKiB(a.Pid()) }

// RSSKiB reads VmRSS of pid.
func RSSKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "142000 kB"
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS line in /proc/%d/status", pid)
}

// Alive reports whether a process with this id exists (and is not a zombie).
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}
