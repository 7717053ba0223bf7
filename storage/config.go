package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/uuid"

	"codeberg.org/plexlink/plexlink/internal/atomicfile"
)

// LinkedAccount is the public part of the linked plex.tv account, kept for display without
// a network call.
type LinkedAccount struct {
	ID       int64     `json:"id"`
	UUID     string    `json:"uuid"`
	Username string    `json:"username"`
	Title    string    `json:"title"`
	Email    string    `json:"email"`
	Thumb    string    `json:"thumb"`
	LinkedAt time.Time `json:"linked_at"`
	// API is the plex.tv API base the token was linked with: the token is sent to that host
	// and no other ("" in configs written before it was recorded: plex.tv).
	API string `json:"api,omitempty"`
}

// Config is the local, non-secret state. It deliberately has no field that could hold a token.
type Config struct {
	ClientID string         `json:"client_id,omitempty"`
	Account  *LinkedAccount `json:"account,omitempty"`
	// Tools are the tools given a token of their own; the tokens are in the keychain
	// (NewToolKeychain), since a keychain cannot be listed.
	Tools map[string]*Tool `json:"tools,omitempty"`
}

// Tool is the public record of a tool's token.
type Tool struct {
	// ClientID is the identifier the tool's token was requested under, and the one the tool
	// should send (PLEXAPI_HEADER_IDENTIFIER): plex.tv lists it as one device, for good.
	ClientID string    `json:"client_id"`
	Created  time.Time `json:"created,omitempty"` // zero until a token was stored
	LastUsed time.Time `json:"last_used,omitempty"`
	// AccountID is the plex.tv account the token belongs to (0: not recorded).
	AccountID int64 `json:"account_id,omitempty"`
}

// ConfigStore reads and writes config.json. Writes are atomic (temp file, fsync, rename) and
// read-modify-write cycles are serialised across processes with a lock on a sibling file,
// so the GUI and the CLI can run at the same time.
type ConfigStore struct {
	Path string

	mu      sync.Mutex
	warning string
}

// DefaultConfigPath is os.UserConfigDir()/plexlink/config.json (XDG_CONFIG_HOME respected).
func DefaultConfigPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locating the config directory: %w", err)
	}
	return filepath.Join(dir, "plexlink", "config.json"), nil
}

// OpenConfig returns a store for path; nothing is read or created until it is used.
func OpenConfig(path string) *ConfigStore { return &ConfigStore{Path: path} }

// Warning describes the last time a corrupt config file was moved aside ("" if never).
func (c *ConfigStore) Warning() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.warning
}

// Load reads the config; a missing file is an empty Config. A corrupt or unreadable file is
// moved aside to config.json.bad-<UTC time>, a fresh Config (keeping the client id if it
// could be read) is written, and Warning says so.
func (c *ConfigStore) Load() (Config, error) {
	// Rename is atomic, so an unlocked read sees a whole file; only recovery needs the lock.
	cfg, err := c.read()
	if err == nil {
		return cfg, nil
	}
	if !errors.As(err, new(*corruptError)) {
		return Config{}, err
	}
	var out Config
	err = c.locked(func() error {
		var err error
		out, err = c.readRecovering()
		return err
	})
	return out, err
}

// Update runs fn on the current config under the cross-process lock and writes the result
// atomically. If fn fails nothing is written.
func (c *ConfigStore) Update(fn func(*Config) error) (Config, error) {
	var out Config
	err := c.locked(func() error {
		cfg, err := c.readRecovering()
		if err != nil {
			return err
		}
		if err := fn(&cfg); err != nil {
			return err
		}
		if err := c.write(cfg); err != nil {
			return err
		}
		out = cfg
		return nil
	})
	return out, err
}

// ClientID returns the persisted client identifier, creating a UUIDv4 on first use: plex.tv
// lists every new identifier as a new device, so it must never change.
func (c *ConfigStore) ClientID() (string, error) {
	cfg, err := c.Load()
	if err != nil {
		return "", err
	}
	if validClientID(cfg.ClientID) {
		return cfg.ClientID, nil
	}
	cfg, err = c.Update(func(cfg *Config) error {
		if !validClientID(cfg.ClientID) { // another process may have created it meanwhile
			cfg.ClientID = uuid.NewString()
		}
		return nil
	})
	return cfg.ClientID, err
}

// validClientID rejects a hand-edited or damaged identifier: it goes out as an HTTP header,
// and one with a line break or other control character would make every request fail.
func validClientID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

type corruptError struct{ err error }

func (e *corruptError) Error() string { return "corrupt config: " + e.err.Error() }
func (e *corruptError) Unwrap() error { return e.err }

// read returns the config, an empty one for a missing file, or a *corruptError for a file
// that exists but cannot be read or decoded.
func (c *ConfigStore) read() (Config, error) {
	var cfg Config
	b, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, &corruptError{err}
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Config{}, &corruptError{err}
	}
	return cfg, nil
}

var clientIDPattern = regexp.MustCompile(`"client_id"\s*:\s*"([0-9a-fA-F-]{36})"`)

// readRecovering is read plus recovery of a corrupt file; the caller holds the lock.
func (c *ConfigStore) readRecovering() (Config, error) {
	cfg, err := c.read()
	var corrupt *corruptError
	if !errors.As(err, &corrupt) {
		return cfg, err
	}
	var fresh Config
	if b, rerr := os.ReadFile(c.Path); rerr == nil {
		if m := clientIDPattern.FindSubmatch(b); m != nil {
			if id, perr := uuid.Parse(string(m[1])); perr == nil {
				fresh.ClientID = id.String()
			}
		}
	}
	aside := c.Path + ".bad-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(c.Path, aside); err != nil {
		return Config{}, fmt.Errorf("moving the corrupt config %s aside: %w", c.Path, err)
	}
	if err := c.write(fresh); err != nil {
		return Config{}, err
	}
	msg := fmt.Sprintf("the config file %s could not be read (%v); it was moved to %s and a fresh one started",
		c.Path, corrupt.err, aside)
	if fresh.ClientID != "" {
		msg += " (the client identifier was kept)"
	}
	c.mu.Lock()
	c.warning = msg
	c.mu.Unlock()
	return fresh, nil
}

// Lock takes the exclusive lock named name beside config.json (name.lock), waiting for it
// until ctx ends. It serialises work longer than one Update across processes, such as
// minting a tool's token, without holding up every other config write meanwhile.
func (c *ConfigStore) Lock(ctx context.Context, name string) (unlock func(), err error) {
	if err := c.ensureDir(); err != nil {
		return nil, err
	}
	lock := flock.New(filepath.Join(filepath.Dir(c.Path), name+".lock"), flock.SetPermissions(0o600))
	ok, err := lock.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil || !ok {
		return nil, fmt.Errorf("waiting for the lock %s: %w", lock.Path(), errors.Join(err, ctx.Err()))
	}
	return func() { _ = lock.Unlock() }, nil
}

// locked runs fn holding an exclusive lock on config.json.lock (flock: released by the
// kernel if the process dies).
func (c *ConfigStore) locked(fn func() error) error {
	if err := c.ensureDir(); err != nil {
		return err
	}
	lock := flock.New(c.Path+".lock", flock.SetPermissions(0o600))
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("locking %s: %w", lock.Path(), err)
	}
	defer lock.Unlock()
	return fn()
}

func (c *ConfigStore) ensureDir() error {
	dir := filepath.Dir(c.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	// Tighten a directory an older version or the user created with wider permissions.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("securing %s: %w", dir, err)
	}
	return nil
}

// write replaces the file atomically: readers see the old or the new file, never a torn one,
// even after a crash.
func (c *ConfigStore) write(cfg Config) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	if err := atomicfile.Write(c.Path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	return nil
}
