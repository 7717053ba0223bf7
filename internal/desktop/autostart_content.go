package desktop

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// LinuxAutostartEntry is the XDG autostart desktop entry that starts exe in the background.
func LinuxAutostartEntry(exe string) string {
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=" + AppName + "\n" +
		"Comment=Keeps your Plex account linked to this computer\n" +
		"Exec=" + desktopExec(exe, BackgroundFlag) + "\n" +
		"Icon=" + AppID + "\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
}

// desktopExec builds an Exec value per the Desktop Entry spec: arguments holding reserved
// characters are double-quoted with ", `, $ and \ backslash-escaped inside the quotes, "%"
// is doubled (field codes), and then the whole value gets the string-level escaping
// (backslash doubled), because Exec is parsed as a string before it is split.
func desktopExec(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		a = strings.ReplaceAll(a, "%", "%%")
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\><~|&;$*?#()`") {
			var b strings.Builder
			b.WriteByte('"')
			for _, r := range a {
				if strings.ContainsRune("\"`$\\", r) {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
			b.WriteByte('"')
			a = b.String()
		}
		quoted[i] = a
	}
	v := strings.Join(quoted, " ")
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, "\n", `\n`)
	v = strings.ReplaceAll(v, "\t", `\t`)
	return strings.ReplaceAll(v, "\r", `\r`)
}

// MacLaunchAgent is the LaunchAgent property list that starts exe in the background at login.
func MacLaunchAgent(exe string) string {
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer never fail
		return b.String()
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + AppID + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + esc(exe) + `</string>
		<string>` + BackgroundFlag + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`
}

// WindowsRunValue is the command line stored under HKCU\...\Run. The path is always quoted
// because Windows otherwise splits "C:\Program Files\..." at the first space.
func WindowsRunValue(exe string) string {
	return `"` + exe + `" ` + BackgroundFlag
}
