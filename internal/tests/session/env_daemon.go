package session

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// daemon is a child process running in its own process group, so that stopping it also
// stops anything it spawned.
// Daemon is a program a test started and stops: dbus-daemon, gnome-keyring-daemon, Xvfb.
type Daemon struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error
}

func LookPath(name, pkg string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("session: %s not found on PATH (install the %q package, e.g. `make deps`): %w",
			name, pkg, ErrMissing)
	}
	return nil
}

// startDaemon starts name with args; its stderr (and stdout unless stdout is non-nil) goes
// to a log file in logDir, quoted in start-up errors.
func StartDaemon(logDir, name string, env []string, stdin io.Reader, stdout io.Writer, args ...string) (*Daemon, error) {
	logPath := filepath.Join(logDir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	cmd.Stdout = logf
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.Stderr = logf
	// Own process group for a clean kill; Pdeathsig so a crashed test binary leaves no daemon.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("session: starting %s: %w", name, err)
	}
	d := &Daemon{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.done)
	}()
	return d, nil
}

func (d *Daemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// failure describes why the daemon is unusable, with the tail of its log.
func (d *Daemon) Failure(why string) error {
	msg := fmt.Sprintf("session: %s %s", d.name, why)
	if d.Exited() {
		msg += fmt.Sprintf(" (exited: %v)", d.waitErr)
	}
	if b, err := os.ReadFile(d.logPath); err == nil && len(b) > 0 {
		s := strings.TrimSpace(string(b))
		if len(s) > 2000 {
			s = s[len(s)-2000:]
		}
		msg += "; log:\n" + s
	}
	return errors.New(msg)
}

// stop sends SIGTERM to the process group, then SIGKILL if it is still there after 3s.
func (d *Daemon) Stop() error {
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.done
	}
	// Leftover members of the group (none expected) must not outlive the session either.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err == nil {
		return fmt.Errorf("session: %s left processes in its group; killed them", d.name)
	}
	return nil
}

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Done is closed when the daemon has exited.
func (d *Daemon) Done() <-chan struct{} { return d.done }
