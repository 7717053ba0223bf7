package notify

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"codeberg.org/plexlink/plexlink/internal/shellquote"
)

// powershellAppID is PowerShell's own AppUserModelID: Windows shows toasts only for a
// registered one, and an unpackaged .exe has none (Fyne uses the same).
const powershellAppID = `{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe`

func send(title, body string) error {
	script := `[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null
$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$x = $t.GetElementsByTagName('text')
$x.Item(0).AppendChild($t.CreateTextNode(` + shellquote.PowerShell(title) + `)) > $null
$x.Item(1).AppendChild($t.CreateTextNode(` + shellquote.PowerShell(body) + `)) > $null
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier(` + shellquote.PowerShell(powershellAppID) + `).Show([Windows.UI.Notifications.ToastNotification]::new($t))`
	cmd := exec.Command("powershell.exe", "-NoProfile", "-NonInteractive", "-WindowStyle", "Hidden", "-Command", "-")
	cmd.Stdin = strings.NewReader(script)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("powershell toast: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
