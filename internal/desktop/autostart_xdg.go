//go:build !darwin && !windows

package desktop

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AutostartPath is where the XDG autostart entry lives: $XDG_CONFIG_HOME/autostart
// (~/.config/autostart when unset).
func AutostartPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(dir, "autostart", AppID+".desktop"), nil
}

func autostartEntry(exe string) string { return LinuxAutostartEntry(exe) }

// entryEnabled honours the ways desktop settings apps switch an entry off without
// deleting it: Hidden=true or X-GNOME-Autostart-enabled=false.
func entryEnabled(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if (k == "Hidden" && v == "true") || (k == "X-GNOME-Autostart-enabled" && v == "false") {
			return false
		}
	}
	return true
}
