//go:build windows

package main

import (
	"fmt"
	"strings"
	"syscall"
	"time"
	"unicode/utf16"
	"unsafe"

	"codeberg.org/plexlink/plexlink/internal/tray"
)

// clipReport drives the tray's Windows clipboard the way the tray does, and reads the
// clipboard back with the Win32 API itself, as another program would:
//
//	clip-secret → "text=<ok|wrong> formats=<registered names>" after the copy, then
//	              "after=<empty|kept>" once the clear time passed, then the same for a copy
//	              the user replaced ("replaced=<kept|cleared>").
func clipReport() error {
	const value = "clipboard-test-value-1" // not a token: a fixed test string
	cb := tray.NewClipboard()
	defer cb.Close()
	if why := cb.Unavailable(); why != "" {
		return fmt.Errorf("unavailable: %s", why)
	}
	if err := cb.CopySecret(value, time.Second); err != nil {
		return err
	}
	text, formats, err := readClipboard()
	if err != nil {
		return err
	}
	fmt.Printf("text=%s formats=%s\n", okIf(text == value), strings.Join(formats, ","))
	time.Sleep(2 * time.Second)
	text, _, err = readClipboard()
	if err != nil {
		return err
	}
	fmt.Printf("after=%s\n", map[bool]string{true: "empty", false: "kept"}[text == ""])

	// The user copies something else before the clear: it must be left alone.
	if err := cb.CopySecret(value, time.Second); err != nil {
		return err
	}
	if err := writeClipboard("the user's own text"); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	text, _, err = readClipboard()
	if err != nil {
		return err
	}
	fmt.Printf("replaced=%s\n", map[bool]string{true: "kept", false: "cleared"}[text == "the user's own text"])
	return nil
}

func okIf(b bool) string {
	if b {
		return "ok"
	}
	return "wrong"
}

var (
	user32           = syscall.NewLazyDLL("user32.dll")
	kernel32         = syscall.NewLazyDLL("kernel32.dll")
	procOpen         = user32.NewProc("OpenClipboard")
	procClose        = user32.NewProc("CloseClipboard")
	procEmpty        = user32.NewProc("EmptyClipboard")
	procEnum         = user32.NewProc("EnumClipboardFormats")
	procFormatName   = user32.NewProc("GetClipboardFormatNameW")
	procGetData      = user32.NewProc("GetClipboardData")
	procSetData      = user32.NewProc("SetClipboardData")
	procGlobalAlloc  = kernel32.NewProc("GlobalAlloc")
	procGlobalLock   = kernel32.NewProc("GlobalLock")
	procGlobalUnlock = kernel32.NewProc("GlobalUnlock")
	procGlobalSize   = kernel32.NewProc("GlobalSize")
	procMoveMemory   = kernel32.NewProc("RtlMoveMemory")
)

func open() error {
	for i := 0; i < 50; i++ {
		if r, _, _ := procOpen.Call(0); r != 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("OpenClipboard failed")
}

// readClipboard returns the Unicode text ("" if none) and the registered format names.
func readClipboard() (string, []string, error) {
	if err := open(); err != nil {
		return "", nil, err
	}
	defer procClose.Call()
	var names []string
	for f, _, _ := procEnum.Call(0); f != 0; f, _, _ = procEnum.Call(f) {
		buf := make([]uint16, 256)
		if n, _, _ := procFormatName.Call(f, uintptr(unsafe.Pointer(&buf[0])), 256); n > 0 {
			names = append(names, syscall.UTF16ToString(buf[:n]))
		}
	}
	h, _, _ := procGetData.Call(13) // CF_UNICODETEXT
	if h == 0 {
		return "", names, nil
	}
	size, _, _ := procGlobalSize.Call(h)
	p, _, _ := procGlobalLock.Call(h)
	if p == 0 || size < 2 {
		return "", names, nil
	}
	u := make([]uint16, size/2)
	procMoveMemory.Call(uintptr(unsafe.Pointer(&u[0])), p, size)
	procGlobalUnlock.Call(h)
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u)), names, nil
}

// writeClipboard puts plain text there as an ordinary program would.
func writeClipboard(text string) error {
	if err := open(); err != nil {
		return err
	}
	defer procClose.Call()
	procEmpty.Call()
	u := utf16.Encode([]rune(text + "\x00"))
	h, _, _ := procGlobalAlloc.Call(2, uintptr(len(u)*2))
	p, _, _ := procGlobalLock.Call(h)
	procMoveMemory.Call(p, uintptr(unsafe.Pointer(&u[0])), uintptr(len(u)*2))
	procGlobalUnlock.Call(h)
	if r, _, err := procSetData.Call(13, h); r == 0 {
		return fmt.Errorf("SetClipboardData: %w", err)
	}
	return nil
}
