package traydriver

import (
	"os"
	"testing"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

func TestMain(m *testing.M) { os.Exit(session.Main(m)) }
