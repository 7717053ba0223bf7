//go:build !windows

package desktop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Enable makes the session start exe --background at login.
func Enable(exe string) error {
	p, err := AutostartPath()
	if err != nil {
		return err
	}
	return writeFileAtomic(p, []byte(autostartEntry(exe)))
}

// Disable removes the login entry; it is not an error when there is none.
func Disable() error {
	p, err := AutostartPath()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// Enabled reports whether our login entry exists and is not switched off.
func Enabled() (bool, error) {
	p, err := AutostartPath()
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return entryEnabled(data), nil
}
