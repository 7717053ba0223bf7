package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
	"github.com/google/uuid"
)

func tempConfig(t *testing.T) *ConfigStore {
	return OpenConfig(filepath.Join(t.TempDir(), "plexlink", "config.json"))
}

func TestDefaultConfigPathRespectsXDG(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	got, err := DefaultConfigPath()
	if err != nil || got != filepath.Join(dir, "plexlink", "config.json") {
		t.Fatalf("DefaultConfigPath = %q, %v", got, err)
	}
}

func TestConfigRoundTripModesAndFormat(t *testing.T) {
	c := tempConfig(t)
	if cfg, err := c.Load(); err != nil || cfg.ClientID != "" || cfg.Account != nil {
		t.Fatalf("missing file: %+v, %v, want an empty Config", cfg, err)
	}
	if _, err := os.Stat(filepath.Dir(c.Path)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load created the directory: %v", err)
	}
	acct := &LinkedAccount{ID: 42, UUID: "u-1", Username: "ann", Title: "Ann", Email: "a@example.com",
		Thumb: "https://plex.tv/users/u-1/avatar", LinkedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if _, err := c.Update(func(cfg *Config) error { cfg.ClientID = "cid"; cfg.Account = acct; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := OpenConfig(c.Path).Load()
	if err != nil || got.ClientID != "cid" || got.Account == nil || *got.Account != *acct {
		t.Fatalf("reloaded %+v (%v), want client id and %+v", got, err, acct)
	}
	if fi, _ := os.Stat(c.Path); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Dir(c.Path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("config dir mode %v, want 0700", fi.Mode().Perm())
	}
	var raw map[string]any
	b, _ := os.ReadFile(c.Path)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	keys := fmt.Sprint(raw["account"])
	for _, k := range []string{"id:", "uuid:", "username:", "title:", "email:", "thumb:", "linked_at:"} {
		if !strings.Contains(keys, k) {
			t.Errorf("account JSON lacks %q: %s", k, b)
		}
	}
	if raw["client_id"] != "cid" {
		t.Errorf("client_id not in the JSON: %s", b)
	}

	// A failing fn writes nothing.
	boom := errors.New("boom")
	if _, err := c.Update(func(cfg *Config) error { cfg.ClientID = "changed"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("Update error = %v", err)
	}
	if after, _ := os.ReadFile(c.Path); !bytes.Equal(after, b) {
		t.Errorf("a failed Update changed the file")
	}
}

func TestClientIDCreatedOnceAndPersisted(t *testing.T) {
	c := tempConfig(t)
	id, err := c.ClientID()
	if err != nil {
		t.Fatal(err)
	}
	if u, err := uuid.Parse(id); err != nil || u.Version() != 4 {
		t.Fatalf("client id %q is not a UUIDv4 (%v)", id, err)
	}
	for i := 0; i < 3; i++ {
		again, err := OpenConfig(c.Path).ClientID()
		if err != nil || again != id {
			t.Fatalf("client id changed: %q then %q (%v)", id, again, err)
		}
	}
	// Many first uses at once still agree on one identifier.
	fresh := tempConfig(t)
	ids := make(chan string, 8)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := OpenConfig(fresh.Path).ClientID()
			if err != nil {
				t.Error(err)
			}
			ids <- id
		}()
	}
	wg.Wait()
	close(ids)
	first := <-ids
	for id := range ids {
		if id != first {
			t.Fatalf("concurrent first use created two identifiers: %q and %q", first, id)
		}
	}
}

// watchValid reads the file until stop is closed and reports any read that is not valid JSON.
func watchValid(t *testing.T, path string, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for reads := 0; ; reads++ {
			select {
			case <-stop:
				t.Logf("%d concurrent reads, all valid JSON", reads)
				return
			default:
			}
			b, err := os.ReadFile(path)
			if err != nil || !json.Valid(b) {
				t.Errorf("torn or missing config seen by a reader: %v, %q", err, b)
				return
			}
		}
	}()
	return &wg
}

func finalCount(t *testing.T, c *ConfigStore) int64 {
	t.Helper()
	cfg, err := c.Load()
	if err != nil || cfg.Account == nil {
		t.Fatalf("final config: %+v, %v", cfg, err)
	}
	if w := c.Warning(); w != "" {
		t.Fatalf("config was considered corrupt during the run: %s", w)
	}
	return cfg.Account.ID
}

func TestConfigConcurrentGoroutines(t *testing.T) {
	c := tempConfig(t)
	if _, err := c.ClientID(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	reader := watchValid(t, c.Path, stop)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Separate stores, as separate windows or commands would have.
			if err := increment(OpenConfig(c.Path), each); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	reader.Wait()
	if got := finalCount(t, c); got != writers*each {
		t.Fatalf("count = %d, want %d: updates were lost", got, writers*each)
	}
}

func TestConfigConcurrentProcesses(t *testing.T) {
	c := tempConfig(t)
	if _, err := c.ClientID(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	reader := watchValid(t, c.Path, stop)
	const procs, each = 4, 25
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=config-increment", "HELPER_PATH="+c.Path, fmt.Sprintf("HELPER_N=%d", each))
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	// This process writes too, as the GUI would while the CLI runs.
	if err := increment(c, each); err != nil {
		t.Error(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v: %s", i, err, outs[i])
		}
	}
	close(stop)
	reader.Wait()
	if got := finalCount(t, c); got != (procs+1)*each {
		t.Fatalf("count = %d, want %d: updates were lost", got, (procs+1)*each)
	}
}

func TestCorruptConfigRecovery(t *testing.T) {
	const id = "0b7c6a52-3f0e-4d7a-9a51-1c2d3e4f5a6b"
	for _, tc := range []struct {
		name    string
		content string
		keepID  bool
	}{
		{"truncated", `{"client_id": "` + id + `", "account": {"id": 4`, true},
		{"wrong-type", `{"client_id": "` + id + `", "account": "ann"}`, true},
		{"garbage", "\x00\x01not json at all", false},
		{"empty-file", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tempConfig(t)
			if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c.Path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := c.Load()
			if err != nil {
				t.Fatalf("Load of a corrupt file: %v, want recovery", err)
			}
			if tc.keepID != (cfg.ClientID == id) {
				t.Errorf("client id after recovery = %q (keep=%v)", cfg.ClientID, tc.keepID)
			}
			if w := c.Warning(); !strings.Contains(w, "config.json.bad-") {
				t.Errorf("Warning = %q, want it to name the moved file", w)
			}
			bad, _ := filepath.Glob(c.Path + ".bad-*")
			if len(bad) != 1 {
				t.Fatalf("moved-aside files: %v, want one", bad)
			}
			if b, _ := os.ReadFile(bad[0]); string(b) != tc.content {
				t.Errorf("moved-aside file does not hold the original content")
			}
			b, err := os.ReadFile(c.Path)
			if err != nil || !json.Valid(b) {
				t.Fatalf("fresh config not written: %v %q", err, b)
			}
			got, err := c.ClientID()
			if err != nil || (tc.keepID && got != id) || got == "" {
				t.Errorf("ClientID after recovery = %q, %v", got, err)
			}
		})
	}
}

func TestUnreadableConfigRecovery(t *testing.T) {
	c := tempConfig(t)
	// A directory where the file should be cannot be read as a file.
	if err := os.MkdirAll(c.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(func(cfg *Config) error { cfg.ClientID = "after"; return nil }); err != nil {
		t.Fatalf("Update over an unreadable config: %v", err)
	}
	if cfg, err := OpenConfig(c.Path).Load(); err != nil || cfg.ClientID != "after" {
		t.Fatalf("reload: %+v, %v", cfg, err)
	}
	if c.Warning() == "" {
		t.Error("no warning after moving the unreadable config aside")
	}
}

func TestTokenNeverInConfigDir(t *testing.T) {
	s := session.Shared(t)
	path, err := DefaultConfigPath()
	if err != nil || !strings.HasPrefix(path, s.Home) {
		t.Fatalf("config path %q (%v) is not inside the test HOME", path, err)
	}
	tok := "zQ9-" + uuid.NewString() // unique, so any hit is ours
	k := keychainFor(t)
	if err := k.Save(tok); err != nil {
		t.Fatal(err)
	}
	c := OpenConfig(path)
	if _, err := c.ClientID(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(func(cfg *Config) error {
		cfg.Account = &LinkedAccount{ID: 1, Username: "ann", LinkedAt: time.Now()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	files := 0
	// The whole HOME: config dir, cache, and gnome-keyring's own (encrypted) files.
	err = filepath.WalkDir(s.Home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(b, []byte(tok)) {
			t.Errorf("the token appears in %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Fatalf("only %d files searched; the walk missed the config", files)
	}
	t.Logf("searched %d files under the test HOME", files)
}
