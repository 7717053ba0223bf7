//go:build windows

package conscreen

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	kernel32           = windows.NewLazySystemDLL("kernel32.dll")
	procAllocConsole   = kernel32.NewProc("AllocConsole")
	procFreeConsole    = kernel32.NewProc("FreeConsole")
	procReadConsoleOut = kernel32.NewProc("ReadConsoleOutputCharacterW")
)

// ErrNoConsole: the process has no console whose screen buffer can be read.
var ErrNoConsole = errors.New("no readable console")

// Read returns the text of the calling process's console screen buffer, row after row
// (each row padded with spaces to the buffer's width).
func Read() (string, error) {
	h, err := Open()
	if err != nil {
		return "", ErrNoConsole
	}
	defer windows.CloseHandle(h)
	var info windows.ConsoleScreenBufferInfo
	if err := windows.GetConsoleScreenBufferInfo(h, &info); err != nil {
		return "", ErrNoConsole
	}
	n := int(info.Size.X) * int(info.Size.Y)
	if n <= 0 {
		return "", ErrNoConsole
	}
	buf := make([]uint16, n)
	var got uint32
	r, _, err := procReadConsoleOut.Call(uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(n), 0,
		uintptr(unsafe.Pointer(&got)))
	if r == 0 {
		return "", fmt.Errorf("ReadConsoleOutputCharacterW: %w", err)
	}
	return syscall.UTF16ToString(buf[:got]), nil
}

// Open opens the calling process's console screen buffer (CONOUT$) for reading and writing.
func Open() (windows.Handle, error) {
	name, _ := windows.UTF16PtrFromString("CONOUT$")
	return windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
}

// Own makes sure the calling process has a console whose screen can be read, as a shell in
// a console window has. Under Wine a process started through pipes has none usable until
// it frees and allocates one (which needs DISPLAY there: Wine's conhost is a window).
func Own() error {
	if _, err := Read(); err == nil {
		return nil
	}
	if r, _, _ := procAllocConsole.Call(); r == 0 {
		procFreeConsole.Call()
		if r, _, err := procAllocConsole.Call(); r == 0 {
			return fmt.Errorf("AllocConsole: %w (under Wine the console needs DISPLAY)", err)
		}
	}
	if _, err := Read(); err != nil {
		return fmt.Errorf("a new console's screen buffer cannot be read: %w", err)
	}
	return nil
}
