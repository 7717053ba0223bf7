package cli_test

import (
	"testing"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// runTests starts the private keychain session the end-to-end tests need (Linux only).
func runTests(m *testing.M) int { return session.Main(m) }
