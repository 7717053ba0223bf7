// Command pecheck verifies that a file is what packaging/windows.sh promises: a 64-bit
// (PE32+) x86-64 Windows executable for the GUI subsystem (no console window) carrying a
// resource section (icon, version info, manifest).
//
//	go run ./packaging/windows/pecheck dist/plexlink-0.1.0-windows-amd64.exe
package main

import (
	"debug/pe"
	"errors"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pecheck FILE.exe")
		os.Exit(2)
	}
	if err := check(os.Args[1], true); err != nil {
		fmt.Fprintf(os.Stderr, "pecheck: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Printf("%s: PE32+ x86-64 GUI executable with resources\n", os.Args[1])
}

func check(path string, wantResources bool) error {
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
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		return fmt.Errorf("subsystem %d, want %d (GUI); was it linked with -H=windowsgui?", oh.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	if wantResources && f.Section(".rsrc") == nil {
		return errors.New("no .rsrc section: icon, version info and manifest are missing")
	}
	return nil
}
