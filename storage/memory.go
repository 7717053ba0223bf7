package storage

import (
	"errors"
	"sync"
)

// MemoryStore is a TokenStore in memory, for unit and UI tests. SetUnavailable makes every
// call fail like a broken keychain.
type MemoryStore struct {
	mu          sync.Mutex
	token       string
	unavailable bool
}

// NewMemoryStore returns a store holding token ("" → nothing stored).
func NewMemoryStore(token string) *MemoryStore { return &MemoryStore{token: token} }

var errMemoryUnavailable = errors.New("memory store set to fail")

// SetUnavailable makes later calls fail (true) with an error wrapping ErrKeychainUnavailable,
// or work again (false). The stored token is kept either way.
func (m *MemoryStore) SetUnavailable(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unavailable = on
}

func (m *MemoryStore) check(op string) error {
	if m.unavailable {
		return unavailable(op, errMemoryUnavailable)
	}
	return nil
}

// Save stores token; like Keychain it refuses an empty one.
func (m *MemoryStore) Save(token string) error {
	if token == "" {
		return ErrEmptyToken
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check("save"); err != nil {
		return err
	}
	m.token = token
	return nil
}

// Load returns the token or ErrNotLinked.
func (m *MemoryStore) Load() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check("load"); err != nil {
		return "", err
	}
	if m.token == "" {
		return "", ErrNotLinked
	}
	return m.token, nil
}

// Delete forgets the token; deleting nothing succeeds, as with Keychain.
func (m *MemoryStore) Delete() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check("delete"); err != nil {
		return err
	}
	m.token = ""
	return nil
}
