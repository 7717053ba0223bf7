package desktop

import (
	"encoding/xml"
	"strings"
	"testing"
)

// parseExec is an independent reading of the Desktop Entry spec: undo the string escapes,
// then split into arguments honouring double quotes and the escapes allowed inside them.
func parseExec(t *testing.T, v string) []string {
	t.Helper()
	var s strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n':
				s.WriteByte('\n')
			case 't':
				s.WriteByte('\t')
			case 'r':
				s.WriteByte('\r')
			case 's':
				s.WriteByte(' ')
			default:
				s.WriteByte(v[i])
			}
			continue
		}
		s.WriteByte(v[i])
	}
	var args []string
	var cur strings.Builder
	in, started := false, false
	r := []rune(s.String())
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case in && c == '\\' && i+1 < len(r) && strings.ContainsRune("\"`$\\", r[i+1]):
			i++
			cur.WriteRune(r[i])
		case c == '"':
			in, started = !in, true
		case !in && c == ' ':
			if started {
				args = append(args, cur.String())
				cur.Reset()
				started = false
			}
		case !in && strings.ContainsRune("\t\n'\\><~|&;$*?#()`", c):
			t.Fatalf("reserved character %q outside quotes in %q", c, v)
		case c == '%':
			if i+1 >= len(r) || r[i+1] != '%' {
				t.Fatalf("field code in %q", v)
			}
			i++
			cur.WriteRune('%')
			started = true
		default:
			cur.WriteRune(c)
			started = true
		}
	}
	if in {
		t.Fatalf("unterminated quote in %q", v)
	}
	if started {
		args = append(args, cur.String())
	}
	return args
}

func TestDesktopExecRoundTrip(t *testing.T) {
	for _, exe := range []string{
		"/usr/bin/plexlink",
		"/opt/Plex Link/plexlink",
		`/home/a"b/$HOME/back\slash/plexlink`,
		"/tmp/100%/it's~(x)`y`;&|*?#<>",
		"/tmp/tab\there",
	} {
		v := desktopExec(exe, BackgroundFlag)
		got := parseExec(t, v)
		if len(got) != 2 || got[0] != exe || got[1] != BackgroundFlag {
			t.Errorf("Exec=%s parses as %q, want [%q --background]", v, got, exe)
		}
	}
	if got := desktopExec("/usr/bin/plexlink", BackgroundFlag); got != "/usr/bin/plexlink --background" {
		t.Errorf("plain path quoted needlessly: %s", got)
	}
}

func TestLinuxAutostartEntry(t *testing.T) {
	e := LinuxAutostartEntry("/opt/Plex Link/plexlink")
	for _, want := range []string{
		"[Desktop Entry]\n", "Type=Application\n", "Name=Plex Link\n",
		"Exec=\"/opt/Plex Link/plexlink\" --background\n", "X-GNOME-Autostart-enabled=true\n",
		"Icon=io.github.plexlink.PlexLink\n",
	} {
		if !strings.Contains(e, want) {
			t.Errorf("entry lacks %q:\n%s", want, e)
		}
	}
}

func TestMacLaunchAgent(t *testing.T) {
	exe := "/Applications/Plex Link.app/Contents/MacOS/plexlink & <co>"
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(MacLaunchAgent(exe)), &doc); err != nil {
		t.Fatalf("launch agent is not XML: %v", err)
	}
	got := map[string]any{}
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		v := items[i+1]
		switch v.XMLName.Local {
		case "string":
			got[items[i].Text] = v.Text
		case "true", "false":
			got[items[i].Text] = v.XMLName.Local == "true"
		case "array":
			got[items[i].Text] = strings.Join(v.Strings, "|")
		}
	}
	want := map[string]any{
		"Label":            AppID,
		"ProgramArguments": exe + "|--background",
		"RunAtLoad":        true,
		"ProcessType":      "Interactive",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
}

func TestWindowsRunValue(t *testing.T) {
	got := WindowsRunValue(`C:\Program Files\Plex Link\plexlink.exe`)
	if want := `"C:\Program Files\Plex Link\plexlink.exe" --background`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
