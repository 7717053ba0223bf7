package desktop

import (
	"fmt"
	"os"
	"path/filepath"
)

// AutostartPath is the per-user LaunchAgent; launchd loads it at the next login.
func AutostartPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", AppID+".plist"), nil
}

func autostartEntry(exe string) string { return MacLaunchAgent(exe) }

func entryEnabled([]byte) bool { return true }
