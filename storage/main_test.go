package storage

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// helperEnv selects a helper mode when the test binary is re-executed as a child process.
const helperEnv = "PLEXLINK_STORAGE_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(session.Main(m))
	case "config-increment":
		n, _ := strconv.Atoi(os.Getenv("HELPER_N"))
		if err := increment(OpenConfig(os.Getenv("HELPER_PATH")), n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "keychain-load":
		// Only the error class and message are printed, never a token.
		start := time.Now()
		_, err := (&Keychain{Service: "plexlink-helper", Timeout: 2 * time.Second}).Load()
		fmt.Printf("%s %v\n%v\n", classify(err), time.Since(start).Round(time.Millisecond), err)
		os.Exit(0)
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode")
	os.Exit(2)
}

func classify(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotLinked):
		return "not-linked"
	case errors.Is(err, ErrKeychainUnavailable):
		return "unavailable"
	}
	return "other"
}

// increment adds 1 to Account.ID n times, each in its own locked read-modify-write.
func increment(c *ConfigStore, n int) error {
	for i := 0; i < n; i++ {
		_, err := c.Update(func(cfg *Config) error {
			if cfg.Account == nil {
				cfg.Account = &LinkedAccount{}
			}
			cfg.Account.ID++
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// fingerprint identifies a token in failure messages without revealing it.
func fingerprint(s string) string {
	return fmt.Sprintf("len %d sha256 %x", len(s), sha256.Sum256([]byte(s)))[:24]
}

func requireToken(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("token mismatch: got %s, want %s", fingerprint(got), fingerprint(want))
	}
}

// keychainFor gives each test its own keychain service so tests cannot see each other's items.
func keychainFor(t *testing.T) *Keychain {
	svc := "plexlink-test-" + strings.ReplaceAll(t.Name(), "/", "-")
	return &Keychain{Service: svc, Timeout: 3 * time.Second}
}
