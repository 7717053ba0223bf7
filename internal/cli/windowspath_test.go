package cli

import "testing"

func TestEditPathList(t *testing.T) {
	const dir = `C:\Users\me\AppData\Local\Programs\Plex Link`
	for _, c := range []struct {
		cur     string
		add     bool
		want    string
		changed bool
	}{
		{``, true, dir, true},
		{`C:\bin`, true, `C:\bin;` + dir, true},
		{`C:\bin;` + dir, true, `C:\bin;` + dir, false},
		{`C:\bin;c:\users\ME\appdata\local\programs\plex link\`, true, `C:\bin;c:\users\ME\appdata\local\programs\plex link\`, false},
		{`C:\bin;` + dir + `;%USERPROFILE%\go\bin`, false, `C:\bin;%USERPROFILE%\go\bin`, true},
		{`C:\bin;;` + dir, false, `C:\bin`, true},
		{`C:\bin`, false, `C:\bin`, false},
	} {
		got, changed := editPathList(c.cur, dir, c.add)
		if got != c.want || changed != c.changed {
			t.Errorf("editPathList(%q, add=%t) = %q, %t; want %q, %t", c.cur, c.add, got, changed, c.want, c.changed)
		}
	}
}
