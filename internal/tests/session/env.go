// Package session gives tests a private desktop session: a temporary HOME with its own XDG
// directories, a private dbus-daemon and a real gnome-keyring Secret Service on it. Nothing
// it starts can reach the developer's real session, and Stop leaves nothing running.
//
// Typical use is one session per test binary:
//
//	func TestMain(m *testing.M) { os.Exit(session.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		s := session.Shared(t) // skips (or fails with CI set) when the daemons are missing
//		cmd := exec.Command(bin, "status")
//		cmd.Env = s.EnvWith("PLEXLINK_KEYRING_SERVICE=plexlink-test")
//	}
package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultPassword unlocks the private login keyring.
const DefaultPassword = "plexlink-test-password"

// ErrMissing marks a required program that is not installed.
var ErrMissing = errors.New("required program not installed")

// Option configures StartSession.
type Option func(*options)

type options struct {
	password     string
	startTimeout time.Duration
}

// WithPassword sets the login keyring password (default DefaultPassword).
func WithPassword(pw string) Option { return func(o *options) { o.password = pw } }

// WithStartTimeout bounds how long StartSession waits for each daemon (default 10s).
func WithStartTimeout(d time.Duration) Option { return func(o *options) { o.startTimeout = d } }

// Session is a running private D-Bus session with a Secret Service on it.
type Session struct {
	Home       string
	BusAddress string
	Password   string
	// Env is a complete environment for child processes: the parent's environment without
	// anything that points at the real desktop session, plus this session's variables.
	Env []string
	// StartupTime is how long StartSession took until the login collection was usable.
	StartupTime time.Duration

	vars         map[string]string // the variables this session sets
	logDir       string
	startTimeout time.Duration

	mu       sync.Mutex
	bus      *Daemon
	keyring  *Daemon
	restore  func()
	stopOnce sync.Once
	stopErr  error
}

// StartSession creates the temporary HOME, starts dbus-daemon and gnome-keyring-daemon and
// waits until the login collection is unlocked. On error everything started is torn down.
func StartSession(opts ...Option) (*Session, error) {
	start := time.Now()
	o := options{password: DefaultPassword, startTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	for _, prog := range []struct{ name, pkg string }{
		{"dbus-daemon", "dbus"}, {"gnome-keyring-daemon", "gnome-keyring"},
	} {
		if err := LookPath(prog.name, prog.pkg); err != nil {
			return nil, err
		}
	}

	home, err := os.MkdirTemp("", "plexlink-env-")
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	s := &Session{Home: home, Password: o.password, startTimeout: o.startTimeout}
	s.vars = map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR": filepath.Join(home, "run"),
	}
	s.logDir = filepath.Join(home, ".testenv")
	dirs := []string{home, s.logDir, s.vars["XDG_CONFIG_HOME"], s.vars["XDG_DATA_HOME"],
		s.vars["XDG_CACHE_HOME"], s.vars["XDG_RUNTIME_DIR"]}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			s.Stop()
			return nil, fmt.Errorf("session: %w", err)
		}
		// MkdirAll honours the umask and leaves existing dirs alone; the runtime dir must be 0700.
		if err := os.Chmod(d, 0o700); err != nil {
			s.Stop()
			return nil, fmt.Errorf("session: %w", err)
		}
	}

	if err := s.startBus(); err != nil {
		s.Stop()
		return nil, err
	}
	s.vars["DBUS_SESSION_BUS_ADDRESS"] = s.BusAddress
	s.Env = mergeEnv(os.Environ(), s.vars)
	if err := s.StartSecretService(); err != nil {
		s.Stop()
		return nil, err
	}
	s.StartupTime = time.Since(start)
	return s, nil
}

// EnvWith returns Env with the given KEY=VALUE pairs added or replaced.
func (s *Session) EnvWith(kv ...string) []string {
	extra := make(map[string]string, len(kv))
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		extra[k] = v
	}
	out := make([]string, 0, len(s.Env)+len(kv))
	for _, e := range s.Env {
		k, _, _ := strings.Cut(e, "=")
		if _, ok := extra[k]; !ok {
			out = append(out, e)
		}
	}
	for _, p := range kv {
		out = append(out, p)
	}
	return out
}

// Apply points the current process at the session (for in-process keyring calls): it sets
// HOME, XDG_* and DBUS_SESSION_BUS_ADDRESS and unsets the variables Env drops (DISPLAY too:
// whoever starts a virtual display sets it afterwards). Stop restores the previous values.
func (s *Session) Apply() {
	saved := os.Environ()
	for _, e := range saved {
		k, _, _ := strings.Cut(e, "=")
		if Dropped(k) {
			os.Unsetenv(k)
		}
	}
	for k, v := range s.vars {
		os.Setenv(k, v)
	}
	s.mu.Lock()
	s.restore = func() {
		os.Clearenv()
		for _, e := range saved {
			k, v, _ := strings.Cut(e, "=")
			os.Setenv(k, v)
		}
	}
	s.mu.Unlock()
}

// Stop kills both daemons (whole process groups), removes the temporary HOME and restores
// the environment Apply changed. It is safe to call more than once.
func (s *Session) Stop() error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		kr, bus, restore := s.keyring, s.bus, s.restore
		s.keyring, s.bus, s.restore = nil, nil, nil
		s.mu.Unlock()
		var errs []error
		for _, d := range []*Daemon{kr, bus} {
			if d != nil {
				errs = append(errs, d.Stop())
			}
		}
		if restore != nil {
			restore()
		}
		if s.Home != "" {
			errs = append(errs, os.RemoveAll(s.Home))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// dropped reports whether a parent variable could lead a child to the real desktop session.
// Dropped reports whether a variable of the developer's session is kept away from the
// test's processes (they get their own HOME, display and buses).
func Dropped(key string) bool {
	switch key {
	case "HOME", "DISPLAY", "WAYLAND_DISPLAY":
		return true
	}
	for _, p := range []string{"DBUS_", "XDG_", "GNOME_KEYRING_"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func mergeEnv(parent []string, vars map[string]string) []string {
	var out []string
	for _, e := range parent {
		k, _, _ := strings.Cut(e, "=")
		if !Dropped(k) {
			out = append(out, e)
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}
