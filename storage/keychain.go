// Package storage keeps the Plex token in the OS keychain and the non-secret local state in a
// config file. It never imports Fyne.
package storage

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// ErrNotLinked means no token is stored.
var ErrNotLinked = errors.New("not linked")

// ErrKeychainUnavailable covers every other keychain failure: no Secret Service, a locked
// collection, a timeout, D-Bus down. It is never reported as "not linked".
var ErrKeychainUnavailable = errors.New("keychain unavailable")

// ErrEmptyToken is returned by Save for an empty token: storing one would look like a link.
var ErrEmptyToken = errors.New("refusing to store an empty token")

const (
	// DefaultService is the keychain service name; PLEXLINK_KEYRING_SERVICE overrides it.
	DefaultService = "plexlink"
	// KeyringUser is the username attribute, so `secret-tool lookup service plexlink username token` prints the token.
	KeyringUser = "token"
	// DefaultTimeout bounds every keychain call: an unlock prompt can otherwise block forever.
	DefaultTimeout = 5 * time.Second
)

// TokenStore keeps one token.
type TokenStore interface {
	Save(token string) error
	Load() (string, error)
	Delete() error
}

// Keychain is a TokenStore in the OS keychain (Secret Service, macOS Keychain, Windows
// Credential Manager) through go-keyring.
type Keychain struct {
	Service string
	User    string        // the item's username attribute; "" → KeyringUser (the account token)
	Timeout time.Duration // 0 → DefaultTimeout
}

// NewKeychain returns the account token's Keychain item for service.
func NewKeychain(service string) *Keychain { return &Keychain{Service: service} }

// NewToolKeychain returns the item holding the token minted for tool: username "tool:NAME",
// next to the account token in the same service.
func NewToolKeychain(service, tool string) *Keychain {
	return &Keychain{Service: service, User: "tool:" + tool}
}

// NewUserKeychain returns the item holding a Plex Home user's token (username "user:UUID"),
// next to the account token. Tokens minted for a tool as that user are NewToolKeychain items
// named "NAME@UUID" ("tool:NAME@UUID"; '@' is not allowed in tool names).
func NewUserKeychain(service, uuid string) *Keychain {
	return &Keychain{Service: service, User: "user:" + uuid}
}

// NewToolIndexKeychain returns the item naming the tools that have a token (username
// "tools"): config.json can be lost, and a keychain cannot be listed.
func NewToolIndexKeychain(service string) *Keychain {
	return &Keychain{Service: service, User: "tools"}
}

func (k *Keychain) user() string {
	if k.User == "" {
		return KeyringUser
	}
	return k.User
}

// Save stores token, replacing the previous one in place: nothing is deleted first, so a
// failed Save leaves the old token readable.
func (k *Keychain) Save(token string) error {
	if token == "" {
		return ErrEmptyToken
	}
	_, err := k.call("save", func() (string, error) {
		return "", keyring.Set(k.Service, k.user(), token)
	})
	return err
}

// Load returns the stored token, ErrNotLinked when there is none, or an error wrapping
// ErrKeychainUnavailable.
func (k *Keychain) Load() (string, error) {
	tok, err := k.call("load", func() (string, error) {
		return keyring.Get(k.Service, k.user())
	})
	if err == nil && tok == "" {
		// Save never stores an empty token; an empty item is as good as none.
		return "", ErrNotLinked
	}
	return tok, err
}

// Delete removes the token. Deleting when nothing is stored succeeds: unlink is idempotent
// and callers need not special-case a half-finished earlier unlink.
func (k *Keychain) Delete() error {
	_, err := k.call("delete", func() (string, error) {
		return "", keyring.Delete(k.Service, k.user())
	})
	if errors.Is(err, ErrNotLinked) {
		return nil
	}
	return err
}

// call runs fn bounded by the timeout and maps go-keyring's errors onto ours. On a timeout fn
// keeps running in its goroutine (go-keyring cannot be cancelled) and its result is dropped;
// if the user later answers a pending unlock prompt, a timed-out Save can still land.
func (k *Keychain) call(op string, fn func() (string, error)) (string, error) {
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1) // buffered: a late answer must not block the goroutine forever
	go func() {
		s, err := fn()
		done <- result{s, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		switch {
		case r.err == nil:
			return r.s, nil
		case errors.Is(r.err, keyring.ErrNotFound):
			return "", ErrNotLinked
		default:
			return "", unavailable(op, r.err)
		}
	case <-timer.C:
		return "", unavailable(op, fmt.Errorf("no answer within %v (an unlock prompt may be waiting)", timeout))
	}
}

func unavailable(op string, cause error) error {
	return fmt.Errorf("%w: %s: %w (%s)", ErrKeychainUnavailable, op, cause, FixHint(runtime.GOOS))
}

// FixHint tells the user what to do about an unavailable keychain on goos.
func FixHint(goos string) string {
	switch goos {
	case "darwin":
		return "unlock the login keychain in Keychain Access"
	case "windows":
		return "Windows Credential Manager is not available"
	default:
		return "no Secret Service on the session bus — install/unlock GNOME Keyring or KeePassXC"
	}
}
