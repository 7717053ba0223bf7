package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestSharedSessionGoKeyring(t *testing.T) {
	s := Shared(t)
	if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != s.BusAddress {
		t.Fatalf("Apply: DBUS_SESSION_BUS_ADDRESS = %q, want %q", got, s.BusAddress)
	}
	if got, _ := os.UserConfigDir(); got != filepath.Join(s.Home, ".config") {
		t.Fatalf("Apply: UserConfigDir = %q, want under %q", got, s.Home)
	}
	if err := keyring.Set("testenv-check", "token", "v1"); err != nil {
		t.Fatalf("go-keyring Set in the login collection: %v", err)
	}
	got, err := keyring.Get("testenv-check", "token")
	if err != nil || got != "v1" {
		t.Fatalf("go-keyring Get = (len %d, %v), want the stored value", len(got), err)
	}
	out, err := s.SecretToolLookup("testenv-check")
	if err != nil || out != "v1" {
		t.Fatalf("secret-tool lookup = (len %d, %v), want the stored value", len(out), err)
	}
}

// A second, independent session: its whole life cycle, and nothing left behind.
func TestSessionLifecycle(t *testing.T) {
	t.Setenv("DISPLAY", ":99")
	s, err := StartSession()
	Require(t, err)
	t.Logf("second session ready in %v", s.StartupTime)
	defer s.Stop()

	for _, d := range []string{s.Home, s.vars["XDG_RUNTIME_DIR"], s.vars["XDG_CONFIG_HOME"], s.vars["XDG_DATA_HOME"], s.vars["XDG_CACHE_HOME"]} {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm() != 0o700 || !strings.HasPrefix(d, s.Home) {
			t.Errorf("%s: %v mode %v, want a 0700 dir under HOME", d, err, fi.Mode().Perm())
		}
	}
	vars := map[string]string{}
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if _, ok := vars["DISPLAY"]; ok || vars["DBUS_SESSION_BUS_ADDRESS"] != s.BusAddress || vars["HOME"] != s.Home {
		t.Errorf("Env does not isolate the session:\n%s", strings.Join(s.Env, "\n"))
	}

	if err := s.SecretToolStore("lifecycle", "token", "abc"); err != nil {
		t.Fatal(err)
	}
	if out, err := s.SecretToolLookup("lifecycle"); err != nil || out != "abc" {
		t.Fatalf("lookup: len %d, %v", len(out), err)
	}
	if err := s.LockCollection(); err != nil {
		t.Fatal(err)
	}
	if err := s.UnlockCollection("wrong password"); err == nil {
		t.Fatal("unlock with a wrong password succeeded")
	}
	if err := s.UnlockCollection(s.Password); err != nil {
		t.Fatal(err)
	}

	if err := s.StopSecretService(); err != nil {
		t.Fatal(err)
	}
	if owned, err := s.SecretsOwned(); err != nil || owned {
		t.Fatalf("after StopSecretService: owned=%v err=%v", owned, err)
	}
	if err := s.StartSecretService(); err != nil {
		t.Fatal(err)
	}
	if out, err := s.SecretToolLookup("lifecycle"); err != nil || out != "abc" {
		t.Fatalf("after restart the keyring lost the item: len %d, %v", len(out), err)
	}

	pids := s.Pids()
	if len(pids) != 2 {
		t.Fatalf("pids = %v, want dbus-daemon and gnome-keyring-daemon", pids)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("pid %d still exists after Stop (kill 0: %v)", pid, err)
		}
	}
	// dbus-daemon's command line names the config file inside HOME.
	if out, err := exec.Command("pgrep", "-f", s.Home).Output(); err == nil {
		t.Errorf("processes left after Stop: %s", out)
	}
	if _, err := os.Stat(s.Home); !os.IsNotExist(err) {
		t.Errorf("HOME %s not removed: %v", s.Home, err)
	}
}

func TestMissingDaemonIsErrMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartSession()
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "dbus-daemon") {
		t.Fatalf("err = %v, want ErrMissing naming dbus-daemon", err)
	}
}

type recordTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordTB) Helper()                   {}
func (r *recordTB) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...) }
func (r *recordTB) Fatalf(f string, a ...any) { r.failed = fmt.Sprintf(f, a...) }

func TestRequireSkipsLocallyFailsInCI(t *testing.T) {
	cause := errors.New("gnome-keyring-daemon missing")
	t.Setenv("CI", "")
	r := &recordTB{TB: t}
	Require(r, cause)
	if r.skipped == "" || r.failed != "" || !strings.Contains(r.skipped, cause.Error()) {
		t.Errorf("without CI: skipped=%q failed=%q", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recordTB{TB: t}
	Require(r, cause)
	if r.failed == "" || r.skipped != "" || !strings.Contains(r.failed, cause.Error()) {
		t.Errorf("with CI: skipped=%q failed=%q", r.skipped, r.failed)
	}
	r = &recordTB{TB: t}
	Require(r, nil)
	if r.failed != "" || r.skipped != "" {
		t.Errorf("nil error: skipped=%q failed=%q", r.skipped, r.failed)
	}
}
