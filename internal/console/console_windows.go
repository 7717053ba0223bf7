//go:build windows

package console

import (
	"os"

	"golang.org/x/sys/windows"
)

var (
	kernel32          = windows.NewLazySystemDLL("kernel32.dll")
	procAttachConsole = kernel32.NewProc("AttachConsole")
)

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

// AttachParent attaches to the parent's console and reopens the missing ones of os.Stdout
// and os.Stderr on it (CONOUT$, with escape sequences on), also as the process's standard
// handles. Call it first thing
// in main, before anything captures os.Stdout, and only for commands: the GUI must stay
// console-free. When there is no parent console (started from Explorer, or the parent is
// itself a GUI program) nothing changes.
func AttachParent() {
	attach, reOut, reErr := Plan(stream(windows.STD_OUTPUT_HANDLE), stream(windows.STD_ERROR_HANDLE))
	if !attach {
		return
	}
	if r, _, _ := procAttachConsole.Call(uintptr(attachParentProcess)); r == 0 {
		return // no parent console, or already attached to one (a console-subsystem build)
	}
	if reOut {
		reopen(windows.STD_OUTPUT_HANDLE, &os.Stdout, "/dev/stdout")
	}
	if reErr {
		reopen(windows.STD_ERROR_HANDLE, &os.Stderr, "/dev/stderr")
	}
}

// stream classifies a standard handle: NULL, INVALID_HANDLE_VALUE or a handle the system
// does not recognise is Missing; anything else was given to us on purpose.
func stream(which uint32) Stream {
	h, err := windows.GetStdHandle(which)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return Missing
	}
	if t, err := windows.GetFileType(h); t == windows.FILE_TYPE_UNKNOWN && err != nil {
		return Missing
	}
	return Redirected
}

func reopen(which uint32, f **os.File, name string) {
	conout, err := windows.UTF16PtrFromString("CONOUT$")
	if err != nil {
		return
	}
	h, err := windows.CreateFile(conout, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return
	}
	// The commands' progress line redraws itself with "\r\033[K"; a Windows 10+ console
	// understands that once asked to (older ones refuse, and see the bytes as before).
	var mode uint32
	if windows.GetConsoleMode(h, &mode) == nil {
		_ = windows.SetConsoleMode(h, mode|windows.ENABLE_PROCESSED_OUTPUT|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING)
	}
	_ = windows.SetStdHandle(which, h)
	*f = os.NewFile(uintptr(h), name)
}
