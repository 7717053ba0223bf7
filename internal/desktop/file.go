package desktop

import (
	"fmt"
	"os"
	"path/filepath"

	"codeberg.org/plexlink/plexlink/internal/atomicfile"
)

// writeFileAtomic replaces p in one rename, so a crash never leaves a half-written entry
// that the session would try to start.
func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err := atomicfile.Write(p, data, 0o644); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
