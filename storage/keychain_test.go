package storage

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

func TestKeychainRoundTrip(t *testing.T) {
	session.Shared(t)
	k := keychainFor(t)
	if _, err := k.Load(); !errors.Is(err, ErrNotLinked) {
		t.Fatalf("Load with nothing stored: %v, want ErrNotLinked", err)
	}
	if err := k.Delete(); err != nil {
		t.Fatalf("Delete with nothing stored: %v, want nil (idempotent)", err)
	}
	if err := k.Save("first-token-1234"); err != nil {
		t.Fatal(err)
	}
	got, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, got, "first-token-1234")
	if err := k.Save("second-token-5678"); err != nil {
		t.Fatal(err)
	}
	got, err = k.Load()
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, got, "second-token-5678")
	if err := k.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Load(); !errors.Is(err, ErrNotLinked) {
		t.Fatalf("Load after Delete: %v, want ErrNotLinked", err)
	}
	if err := k.Delete(); err != nil {
		t.Fatalf("second Delete: %v, want nil", err)
	}
}

func TestKeychainRefusesEmptyToken(t *testing.T) {
	session.Shared(t)
	k := keychainFor(t)
	if err := k.Save("kept-token"); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(""); !errors.Is(err, ErrEmptyToken) {
		t.Fatalf("Save(\"\") = %v, want ErrEmptyToken", err)
	}
	got, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, got, "kept-token")
}

func TestSecretToolReadsWhatWeStore(t *testing.T) {
	s := session.Shared(t)
	k := keychainFor(t)
	const tok = "xYz-0123456789abcdefGH"
	if err := k.Save(tok); err != nil {
		t.Fatal(err)
	}
	out, err := s.SecretToolLookup(k.Service)
	requireTool(t, err)
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, out, tok) // exactly: no newline, no decoration
}

func TestWeReadWhatSecretToolStores(t *testing.T) {
	s := session.Shared(t)
	k := keychainFor(t)
	err := s.SecretToolStore(k.Service, KeyringUser, "stored-by-secret-tool")
	requireTool(t, err)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, got, "stored-by-secret-tool")

	// Our Save must replace that item, not add a second one that Load might not pick.
	if err := k.Save("replaced-by-us"); err != nil {
		t.Fatal(err)
	}
	out, err := s.SecretToolLookup(k.Service)
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, out, "replaced-by-us")
	got, err = k.Load()
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, got, "replaced-by-us")
}

// requireTool skips (fails in CI) when secret-tool is not installed; other errors are the
// test's business.
func requireTool(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, session.ErrMissing) {
		session.Require(t, err)
	}
}

// lockFor locks the login collection for the rest of the test. With hang set, a GUI
// prompter that never answers is installed first, so unlocking blocks like an ignored
// dialog; without it gnome-keyring finds no prompter and refuses at once.
func lockFor(t *testing.T, s *session.Session, hang bool) {
	t.Helper()
	if hang {
		release, err := s.HangPrompts()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
	}
	if err := s.LockCollection(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.UnlockCollection(s.Password); err != nil {
			t.Errorf("unlocking after the test: %v", err)
		}
	})
}

func TestLockedCollectionIsUnavailableNotAHang(t *testing.T) {
	s := session.Shared(t)
	for _, tc := range []struct {
		name string
		hang bool
	}{{"no-prompter", false}, {"prompt-never-answered", true}} {
		t.Run(tc.name, func(t *testing.T) {
			k := keychainFor(t)
			if err := k.Save("before-lock"); err != nil {
				t.Fatal(err)
			}
			lockFor(t, s, tc.hang)
			k.Timeout = time.Second
			for _, op := range []struct {
				name string
				fn   func() error
			}{
				{"Load", func() error { _, err := k.Load(); return err }},
				{"Save", func() error { return k.Save("during-lock") }},
				{"Delete", k.Delete},
			} {
				start := time.Now()
				err := op.fn()
				elapsed := time.Since(start)
				t.Logf("%s: %v after %v", op.name, err, elapsed.Round(time.Millisecond))
				if !errors.Is(err, ErrKeychainUnavailable) || errors.Is(err, ErrNotLinked) {
					t.Errorf("%s: %v, want ErrKeychainUnavailable", op.name, err)
				}
				if elapsed > k.Timeout+500*time.Millisecond {
					t.Errorf("%s took %v, want within the %v timeout", op.name, elapsed, k.Timeout)
				}
				if tc.hang && !strings.Contains(fmt.Sprint(err), "no answer within") {
					t.Errorf("%s: %v, want the timeout to be the cause", op.name, err)
				}
			}
		})
	}
}

// At storage level, a failed relink is a Save that fails after a good one: the old token
// must still be there once the keychain works again.
func TestFailedSaveKeepsOldToken(t *testing.T) {
	s := session.Shared(t)
	for _, hang := range []bool{false, true} {
		t.Run(fmt.Sprintf("hang=%v", hang), func(t *testing.T) {
			k := keychainFor(t)
			if err := k.Save("old-good-token"); err != nil {
				t.Fatal(err)
			}
			release := func() {}
			if hang {
				var err error
				if release, err = s.HangPrompts(); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.LockCollection(); err != nil {
				t.Fatal(err)
			}
			k.Timeout = time.Second
			err := k.Save("new-token-that-fails")
			release() // the pending prompt, if any, is now dismissed
			if uerr := s.UnlockCollection(s.Password); uerr != nil {
				t.Fatal(uerr)
			}
			if !errors.Is(err, ErrKeychainUnavailable) {
				t.Fatalf("Save on a locked collection: %v, want ErrKeychainUnavailable", err)
			}
			// Give a Save that might still be in flight a chance to land before checking.
			time.Sleep(200 * time.Millisecond)
			got, err := k.Load()
			if err != nil {
				t.Fatal(err)
			}
			requireToken(t, got, "old-good-token")
		})
	}
}

func TestNoSecretServiceIsUnavailable(t *testing.T) {
	s := session.Shared(t)
	k := keychainFor(t)
	if err := k.Save("while-running"); err != nil {
		t.Fatal(err)
	}
	if err := s.StopSecretService(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.StartSecretService(); err != nil {
			t.Errorf("restarting gnome-keyring: %v", err)
		}
	})
	_, lerr := k.Load()
	serr := k.Save("while-stopped")
	derr := k.Delete()
	for name, err := range map[string]error{"Load": lerr, "Save": serr, "Delete": derr} {
		if !errors.Is(err, ErrKeychainUnavailable) || errors.Is(err, ErrNotLinked) {
			t.Errorf("%s with no Secret Service: %v, want ErrKeychainUnavailable", name, err)
			continue
		}
		if !strings.Contains(err.Error(), FixHint("linux")) {
			t.Errorf("%s: message %q does not name the fix", name, err)
		}
	}
	t.Logf("Load with no Secret Service: %v", lerr)
}

func TestBusAddressPointingAtNothingIsUnavailable(t *testing.T) {
	s := session.Shared(t)
	nowhere := "unix:path=" + filepath.Join(t.TempDir(), "no-bus-here")
	// godbus keeps one process-wide session connection, so this runs in a fresh process.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = s.EnvWith(helperEnv+"=keychain-load", "DBUS_SESSION_BUS_ADDRESS="+nowhere)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	t.Logf("helper: %s", out)
	if !strings.HasPrefix(string(out), "unavailable ") {
		t.Fatalf("Load with the bus address pointing at nothing: %s, want unavailable", out)
	}
}

func TestTimeoutIsUnavailable(t *testing.T) {
	k := &Keychain{Service: "unused", Timeout: 50 * time.Millisecond}
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	_, err := k.call("load", func() (string, error) { <-block; return "", nil })
	if !errors.Is(err, ErrKeychainUnavailable) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("err = %v, want ErrKeychainUnavailable naming the timeout", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("timed out after %v, want ~50ms", d)
	}
}

func TestFixHintPerPlatform(t *testing.T) {
	for goos, want := range map[string]string{
		"linux":   "no Secret Service on the session bus — install/unlock GNOME Keyring or KeePassXC",
		"freebsd": "no Secret Service on the session bus — install/unlock GNOME Keyring or KeePassXC",
		"darwin":  "unlock the login keychain in Keychain Access",
		"windows": "Windows Credential Manager is not available",
	} {
		if got := FixHint(goos); got != want {
			t.Errorf("FixHint(%q) = %q, want %q", goos, got, want)
		}
	}
}

// A tool's token is its own Secret Service item (username tool:NAME) beside the account's:
// storing or deleting one never touches the other.
func TestToolItemIsSeparate(t *testing.T) {
	s := session.Shared(t)
	k := keychainFor(t)
	tool := NewToolKeychain(k.Service, "kometa")
	if err := k.Save("account-token-1234"); err != nil {
		t.Fatal(err)
	}
	if _, err := tool.Load(); !errors.Is(err, ErrNotLinked) {
		t.Fatalf("tool Load with only the account stored: %v, want ErrNotLinked", err)
	}
	if err := tool.Save("tool-token-5678"); err != nil {
		t.Fatal(err)
	}
	out, err := s.SecretToolLookupUser(k.Service, "tool:kometa")
	requireTool(t, err)
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, out, "tool-token-5678")
	if err := tool.Delete(); err != nil {
		t.Fatal(err)
	}
	got, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, got, "account-token-1234")
}

func TestMemoryStore(t *testing.T) {
	var _ TokenStore = (*MemoryStore)(nil)
	var _ TokenStore = (*Keychain)(nil)
	m := NewMemoryStore("")
	if _, err := m.Load(); !errors.Is(err, ErrNotLinked) {
		t.Fatalf("empty Load: %v", err)
	}
	if err := m.Save(""); !errors.Is(err, ErrEmptyToken) {
		t.Fatalf("Save(\"\"): %v", err)
	}
	if err := m.Save("mem-token"); err != nil {
		t.Fatal(err)
	}
	m.SetUnavailable(true)
	for _, err := range []error{m.Save("other"), m.Delete(), func() error { _, e := m.Load(); return e }()} {
		if !errors.Is(err, ErrKeychainUnavailable) {
			t.Fatalf("failing store: %v, want ErrKeychainUnavailable", err)
		}
	}
	m.SetUnavailable(false)
	got, err := m.Load()
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, got, "mem-token")
	if err := m.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Load(); !errors.Is(err, ErrNotLinked) {
		t.Fatalf("Load after Delete: %v", err)
	}
}

func TestKeychainTimings(t *testing.T) {
	session.Shared(t)
	if testing.Short() {
		t.Skip("timing run skipped in -short mode")
	}
	k := keychainFor(t)
	const n = 100
	saves := make([]time.Duration, n)
	loads := make([]time.Duration, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := k.Save("timing-token"); err != nil {
			t.Fatal(err)
		}
		saves[i] = time.Since(start)
		start = time.Now()
		if _, err := k.Load(); err != nil {
			t.Fatal(err)
		}
		loads[i] = time.Since(start)
	}
	t.Logf("gnome-keyring over D-Bus, median of %d: Save %v, Load %v", n, median(saves), median(loads))
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}
