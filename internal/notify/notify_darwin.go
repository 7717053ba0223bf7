package notify

import (
	"fmt"
	"os/exec"
	"strings"
)

func send(title, body string) error {
	script := fmt.Sprintf("display notification %s with title %s", appleString(body), appleString(title))
	if out, err := exec.Command("osascript", "-e", script).CombinedOutput(); err != nil {
		return fmt.Errorf("osascript: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// appleString quotes s as an AppleScript string literal.
func appleString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
