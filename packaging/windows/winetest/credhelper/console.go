//go:build windows

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"

	"codeberg.org/plexlink/plexlink/internal/console/conscreen"
)

// consoleRun plays cmd.exe in a console window: it owns a console, runs `cmd /s /c "LINE"`
// with that console as its standard handles (as a shell starts a program typed at its
// prompt), waits, and prints the exit status and the text the console then shows:
//
//	console-run LINE → "exit=<code>" and "screen=<the console's text, spaces collapsed>"
//
// A console-subsystem program in LINE is waited for and writes on the console; the
// status is LINE's last program's, as %ERRORLEVEL% would be.
func consoleRun(line string) error {
	if err := conscreen.Own(); err != nil {
		return err
	}
	conout, err := conscreen.Open()
	if err != nil {
		return fmt.Errorf("CONOUT$: %w", err)
	}
	name, _ := windows.UTF16PtrFromString("CONIN$")
	conin, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return fmt.Errorf("CONIN$: %w", err)
	}
	out := os.NewFile(uintptr(conout), "CONOUT$")
	in := os.NewFile(uintptr(conin), "CONIN$")
	defer out.Close()
	defer in.Close()

	shell := os.Getenv("ComSpec")
	if shell == "" {
		shell = `C:\windows\system32\cmd.exe`
	}
	cmd := exec.Command(shell)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd /s /c "` + line + `"`}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, out
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return err
		}
		code = ee.ExitCode()
	}
	screen, err := conscreen.Read()
	if err != nil {
		return err
	}
	fmt.Printf("exit=%d\nscreen=%s\n", code, strings.Join(strings.Fields(screen), " "))
	return nil
}
