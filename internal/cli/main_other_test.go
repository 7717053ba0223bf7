//go:build !linux

package cli_test

import "testing"

// runTests: only the in-process tests exist here; they need no keychain session.
func runTests(m *testing.M) int { return m.Run() }
