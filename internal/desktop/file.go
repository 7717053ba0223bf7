package desktop

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomic replaces p in one rename, so a crash never leaves a half-written entry
// that the session would try to start.
func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".plexlink-*")
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after the rename succeeds
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("autostart: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("autostart: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
