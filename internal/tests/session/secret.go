package session

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os/exec"
	"sync"
)

// Fingerprint names a token in test messages without revealing it.
func Fingerprint(tok string) string {
	if tok == "" {
		return "no token"
	}
	sum := sha256.Sum256([]byte(tok))
	return fmt.Sprintf("a token (len %d, sha256 %x…)", len(tok), sum[:4])
}

// Keychain returns what any Secret Service client sees for service: the token and true, or
// "" and false when nothing is stored (secret-tool exits 1 with no output then).
func (s *Session) Keychain(service string) (string, bool, error) {
	tok, err := s.SecretToolLookup(service)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return tok, tok != "", nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return "", false, nil
	default:
		return "", false, fmt.Errorf("secret-tool lookup service %s: %w", service, err)
	}
}

// SyncBuffer is a bytes.Buffer safe for a writer goroutine and a reading test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
