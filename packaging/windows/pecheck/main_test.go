package main

import (
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Builds tiny pure-Go Windows programs (no cgo, quick) to show the checker tells a GUI
// executable from a console one.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(name string, ldflags string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", out, src)
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GO111MODULE=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		return out
	}
	gui := build("gui.exe", "-H=windowsgui")
	console := build("console.exe", "")
	const guiSub, consoleSub = pe.IMAGE_SUBSYSTEM_WINDOWS_GUI, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI
	if err := check(gui, guiSub, false); err != nil {
		t.Errorf("GUI exe rejected: %v", err)
	}
	if err := check(console, consoleSub, false); err != nil {
		t.Errorf("console exe rejected: %v", err)
	}
	if err := check(console, guiSub, false); err == nil || !strings.Contains(err.Error(), "subsystem") {
		t.Errorf("console exe checked as GUI: %v, want a subsystem error", err)
	}
	if err := check(gui, consoleSub, false); err == nil || !strings.Contains(err.Error(), "without -H=windowsgui") {
		t.Errorf("GUI exe checked as console: %v, want a subsystem error", err)
	}
	if err := check(gui, guiSub, true); err == nil || !strings.Contains(err.Error(), ".rsrc") {
		t.Errorf("exe without resources: %v, want a .rsrc error", err)
	}
	if err := check(src, guiSub, false); err == nil {
		t.Error("a Go source file passed as an executable")
	}
}

// A String block of a VS_VERSIONINFO as goversioninfo writes it: wLength, wValueLength,
// wType, the key with its NUL, padding to 32 bits, the value with its NUL.
func TestVersionString(t *testing.T) {
	block := func(key, value string, pad bool) []byte {
		b := []byte{0x30, 0, 0x0d, 0, 1, 0}
		b = append(b, utf16le(key+"\x00")...)
		if pad {
			b = append(b, 0, 0)
		}
		return append(b, utf16le(value+"\x00")...)
	}
	for _, pad := range []bool{false, true} {
		data := append([]byte{0xff, 0xff}, block("FileDescription", "Plex Link command line", pad)...)
		data = append(data, block("OriginalFilename", "Plex Link.exe", pad)...)
		if got, ok := versionString(data, "OriginalFilename"); !ok || got != "Plex Link.exe" {
			t.Errorf("padding %v: OriginalFilename = %q, %v; want \"Plex Link.exe\"", pad, got, ok)
		}
		if got, ok := versionString(data, "FileDescription"); !ok || got != "Plex Link command line" {
			t.Errorf("padding %v: FileDescription = %q, %v", pad, got, ok)
		}
	}
	if got, ok := versionString(utf16le("OriginalFilename\x00plex"), "OriginalFilename"); ok {
		t.Errorf("an unterminated value was read as %q", got)
	}
	if _, ok := versionString([]byte("no version info"), "OriginalFilename"); ok {
		t.Error("found OriginalFilename where there is none")
	}
}
