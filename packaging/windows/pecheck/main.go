// Command pecheck verifies that a file is what packaging/windows.sh promises: a 64-bit
// (PE32+) x86-64 Windows executable for the given subsystem — gui for the desktop app (no
// console window), console for the command line (a shell waits for it and shows its
// output) — carrying a resource section (icon, version info, manifest) whose version info
// names the file itself as OriginalFilename, so the two programs' resources cannot be
// swapped.
//
//	go run ./packaging/windows/pecheck -subsystem console dist/windows/plexlink.exe
//	go run ./packaging/windows/pecheck -subsystem gui "dist/windows/Plex Link.exe"
package main

import (
	"bytes"
	"debug/pe"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"
)

// subsystems are the -subsystem values.
var subsystems = map[string]uint16{
	"gui":     pe.IMAGE_SUBSYSTEM_WINDOWS_GUI,
	"console": pe.IMAGE_SUBSYSTEM_WINDOWS_CUI,
}

func main() {
	sub := flag.String("subsystem", "", "gui (the desktop app) or console (the command line)")
	flag.Parse()
	want, ok := subsystems[*sub]
	if !ok || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: pecheck -subsystem gui|console FILE.exe...")
		os.Exit(2)
	}
	code := 0
	for _, path := range flag.Args() {
		if err := check(path, want, true); err != nil {
			fmt.Fprintf(os.Stderr, "pecheck: %s: %v\n", path, err)
			code = 1
			continue
		}
		fmt.Printf("%s: PE32+ x86-64 %s executable with resources (OriginalFilename %s)\n",
			path, *sub, filepath.Base(path))
	}
	os.Exit(code)
}

func check(path string, subsystem uint16, wantResources bool) error {
	f, err := pe.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		return fmt.Errorf("machine %#x, want x86-64", f.Machine)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return errors.New("not PE32+ (no 64-bit optional header)")
	}
	if oh.Subsystem != subsystem {
		hint := "linked with -H=windowsgui?"
		if subsystem == pe.IMAGE_SUBSYSTEM_WINDOWS_CUI {
			hint = "the command line must be linked without -H=windowsgui"
		}
		return fmt.Errorf("subsystem %d, want %d (%s); %s", oh.Subsystem, subsystem, subsystemName(subsystem), hint)
	}
	if !wantResources {
		return nil
	}
	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		return errors.New("no .rsrc section: icon, version info and manifest are missing")
	}
	data, err := rsrc.Data()
	if err != nil {
		return fmt.Errorf("reading .rsrc: %w", err)
	}
	name, ok := versionString(data, "OriginalFilename")
	if !ok {
		return errors.New("the version info has no OriginalFilename")
	}
	if !strings.EqualFold(name, filepath.Base(path)) {
		return fmt.Errorf("the version info's OriginalFilename is %q, want %q (the other program's resources?)", name, filepath.Base(path))
	}
	return nil
}

func subsystemName(s uint16) string {
	for name, v := range subsystems {
		if v == s {
			return name
		}
	}
	return "?"
}

// versionString finds key in the UTF-16LE StringFileInfo of a VS_VERSIONINFO resource and
// returns its value: a String block is the key, NUL-terminated and padded with NULs to a
// 32-bit boundary, then the NUL-terminated value.
func versionString(rsrc []byte, key string) (string, bool) {
	k := utf16le(key + "\x00")
	i := bytes.Index(rsrc, k)
	if i < 0 || i%2 != 0 {
		return "", false
	}
	u16 := func(p int) (uint16, bool) {
		if p+1 >= len(rsrc) {
			return 0, false
		}
		return uint16(rsrc[p]) | uint16(rsrc[p+1])<<8, true
	}
	p := i + len(k)
	if c, ok := u16(p); ok && c == 0 { // the key is followed by at most one padding NUL
		p += 2
	}
	var value []uint16
	for ; ; p += 2 {
		c, ok := u16(p)
		if !ok {
			return "", false
		}
		if c == 0 {
			return string(utf16.Decode(value)), true
		}
		value = append(value, c)
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}
