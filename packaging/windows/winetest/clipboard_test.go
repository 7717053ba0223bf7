//go:build linux

package winetest

import (
	"strings"
	"testing"
	"time"
)

// TestTrayClipboardUnderWine: the tray's Windows clipboard (internal/tray, driven by
// credhelper.exe as the tray drives it) puts the text there with the formats password
// managers use to keep clipboard history and cloud sync away, clears it after the set time,
// and leaves alone what the user copied in between. Read back with the Win32 API.
func TestTrayClipboardUnderWine(t *testing.T) {
	w := shared(t)
	res := w.wine(w.env(), time.Minute, w.helper, "clip-secret")
	if res.err != nil || res.code != 0 {
		t.Fatalf("credhelper clip-secret: exit %d, %v\n%s", res.code, res.err, res.output())
	}
	out := res.stdout
	for _, want := range []string{"text=ok", "ExcludeClipboardContentFromMonitorProcessing",
		"CanIncludeInClipboardHistory", "CanUploadToCloudClipboard", "after=empty", "replaced=kept"} {
		if !strings.Contains(out, want) {
			t.Errorf("clipboard report lacks %q:\n%s", want, res.output())
		}
	}
	t.Logf("wine: the tray's secret clipboard in %v", res.took.Round(time.Millisecond))
}
