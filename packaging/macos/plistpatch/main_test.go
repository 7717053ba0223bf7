package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fyneInfoPlist is what `fyne package -os darwin` (fyne.io/tools v1.7.4) writes.
const fyneInfoPlist = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleName</key>
	<string>Plex Link</string>
	<key>CFBundleExecutable</key>
	<string>plexlink</string>
	<key>CFBundleIdentifier</key>
	<string>io.github.plexlink.PlexLink</string>
	<key>CFBundleIconFile</key>
	<string>icon.icns</string>
	<key>CFBundleShortVersionString</key>
	<string>0.1.0</string>
	<key>CFBundleSupportedPlatforms</key>
	<array>
		<string>MacOSX</string>
	</array>
	<key>CFBundleVersion</key>
	<string>1</string>
	<key>NSHighResolutionCapable</key>
	<true/>
	<key>LSApplicationCategoryType</key>
	<string>public.app-category.utilities</string>
	<key>LSMinimumSystemVersion</key>
	<string>10.11</string>
</dict>
</plist>
`

// topLevel reads the top-level dict back as key → value element (or text for <string>).
func topLevel(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("patched plist is not XML: %v\n%s", err, data)
	}
	m := map[string]string{}
	it := doc.Dict.Items
	if len(it)%2 != 0 {
		t.Fatalf("odd number of items in the top dict:\n%s", data)
	}
	for i := 0; i < len(it); i += 2 {
		if it[i].XMLName.Local != "key" {
			t.Fatalf("item %d is <%s>, want <key>:\n%s", i, it[i].XMLName.Local, data)
		}
		v := "<" + it[i+1].XMLName.Local + ">"
		if it[i+1].XMLName.Local == "string" {
			v = it[i+1].Text
		}
		m[it[i].Text] = v
	}
	return m
}

func TestSetBoolAddsKeyToFynePlist(t *testing.T) {
	out, err := setBool([]byte(fyneInfoPlist), "LSUIElement", true)
	if err != nil {
		t.Fatal(err)
	}
	got := topLevel(t, out)
	if got["LSUIElement"] != "<true>" {
		t.Errorf("LSUIElement = %q, want <true>", got["LSUIElement"])
	}
	before := topLevel(t, []byte(fyneInfoPlist))
	for k, v := range before {
		if got[k] != v {
			t.Errorf("%s changed from %q to %q", k, v, got[k])
		}
	}
	if len(got) != len(before)+1 {
		t.Errorf("%d keys, want %d", len(got), len(before)+1)
	}
	// Only lines were added; the DOCTYPE and everything else are byte-for-byte intact.
	want := strings.Replace(fyneInfoPlist, "</dict>", "\t<key>LSUIElement</key>\n\t<true/>\n</dict>", 1)
	if string(out) != want {
		t.Errorf("patched file:\n%s\nwant:\n%s", out, want)
	}
	// Patching again is a no-op.
	again, err := setBool(out, "LSUIElement", true)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("second patch changed the file (err %v):\n%s", err, again)
	}
}

func TestSetBoolReplacesExistingValue(t *testing.T) {
	for _, old := range []string{"<false/>", "<true></true>", "<string>NO</string>", "<dict><key>x</key><string>y</string></dict>"} {
		in := strings.Replace(fyneInfoPlist, "</dict>\n</plist>", "\t<key>LSUIElement</key>\n\t"+old+"\n</dict>\n</plist>", 1)
		out, err := setBool([]byte(in), "LSUIElement", true)
		if err != nil {
			t.Fatalf("%s: %v", old, err)
		}
		got := topLevel(t, out)
		if got["LSUIElement"] != "<true>" || strings.Count(string(out), "LSUIElement") != 1 {
			t.Errorf("%s → %q, file:\n%s", old, got["LSUIElement"], out)
		}
	}
	out, err := setBool([]byte(fyneInfoPlist), "NSHighResolutionCapable", false)
	if err != nil || topLevel(t, out)["NSHighResolutionCapable"] != "<false>" {
		t.Errorf("setting false: %v\n%s", err, out)
	}
}

// A key of the same name inside a nested dictionary is not the app's setting.
func TestSetBoolIgnoresNestedDicts(t *testing.T) {
	in := strings.Replace(fyneInfoPlist, "\t<key>CFBundleVersion</key>",
		"\t<key>Nested</key>\n\t<dict>\n\t\t<key>LSUIElement</key>\n\t\t<false/>\n\t</dict>\n\t<key>CFBundleVersion</key>", 1)
	out, err := setBool([]byte(in), "LSUIElement", true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\t\t<key>LSUIElement</key>\n\t\t<false/>") {
		t.Errorf("nested dict was modified:\n%s", out)
	}
	if topLevel(t, out)["LSUIElement"] != "<true>" {
		t.Errorf("top-level key not added:\n%s", out)
	}
}

func TestSetBoolRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"binary":    "bplist00\x00\x01",
		"not xml":   "<plist><dict><key>a</key>",
		"no dict":   `<?xml version="1.0"?><plist version="1.0"><array/></plist>`,
		"empty doc": "",
	} {
		if _, err := setBool([]byte(in), "LSUIElement", true); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRunPatchesFileInPlace(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Info.plist")
	if err := os.WriteFile(p, []byte(fyneInfoPlist), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(p, []string{"LSUIElement=true"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if topLevel(t, data)["LSUIElement"] != "<true>" {
		t.Errorf("file not patched:\n%s", data)
	}
	if err := run(p, []string{"LSUIElement=yes"}); err == nil {
		t.Error("accepted a non-boolean value")
	}
}
