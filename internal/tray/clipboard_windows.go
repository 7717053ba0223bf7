package tray

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

// NewClipboard copies through the Win32 clipboard from a hidden message-only window the
// tray owns, marked the way password managers mark secrets (KeePassXC's formats):
// ExcludeClipboardContentFromMonitorProcessing keeps clipboard monitors and history away,
// CanIncludeInClipboardHistory=0 and CanUploadToCloudClipboard=0 keep Windows' own history
// and cloud sync away.
func NewClipboard() Clipboard { return &winClipboard{} }

var (
	user32                   = windows.NewLazySystemDLL("user32.dll")
	kernel32                 = windows.NewLazySystemDLL("kernel32.dll")
	procOpenClipboard        = user32.NewProc("OpenClipboard")
	procCloseClipboard       = user32.NewProc("CloseClipboard")
	procEmptyClipboard       = user32.NewProc("EmptyClipboard")
	procSetClipboardData     = user32.NewProc("SetClipboardData")
	procRegisterClipboardFmt = user32.NewProc("RegisterClipboardFormatW")
	procGetClipboardData     = user32.NewProc("GetClipboardData")
	procCreateWindowEx       = user32.NewProc("CreateWindowExW")
	procDestroyWindow        = user32.NewProc("DestroyWindow")
	procGlobalAlloc          = kernel32.NewProc("GlobalAlloc")
	procGlobalLock           = kernel32.NewProc("GlobalLock")
	procGlobalUnlock         = kernel32.NewProc("GlobalUnlock")
	procGlobalFree           = kernel32.NewProc("GlobalFree")
	procGlobalSize           = kernel32.NewProc("GlobalSize")
	procMoveMemory           = kernel32.NewProc("RtlMoveMemory")
)

const (
	cfUnicodeText = 13
	gmemMoveable  = 0x0002
	hwndMessage   = ^uintptr(2) // HWND_MESSAGE, (HWND)-3
)

// secretFormats are registered clipboard formats and the DWORD each carries.
var secretFormats = []struct {
	name  string
	value uint32
}{
	{"ExcludeClipboardContentFromMonitorProcessing", 0},
	{"CanIncludeInClipboardHistory", 0},
	{"CanUploadToCloudClipboard", 0},
}

// winClipboard runs every clipboard call on one locked OS thread, the thread that owns its
// window: the clipboard belongs to a window, and a window to the thread that made it.
type winClipboard struct {
	once  sync.Once
	calls chan func()
	hwnd  uintptr
	err   error

	mu    sync.Mutex
	gen   int    // counts copies, so an old timer does not clear a newer copy
	held  string // what we put there and have not cleared; "" none
	timer *time.Timer
}

func (c *winClipboard) start() {
	c.once.Do(func() {
		c.calls = make(chan func())
		ready := make(chan struct{})
		go func() {
			runtime.LockOSThread() // never unlocked: the thread dies with the window
			cls, _ := windows.UTF16PtrFromString("STATIC")
			h, _, err := procCreateWindowEx.Call(0, uintptr(unsafe.Pointer(cls)), 0, 0, 0, 0, 0, 0, hwndMessage, 0, 0, 0)
			if h == 0 {
				c.err = fmt.Errorf("creating the clipboard window: %w", err)
			}
			c.hwnd = h
			close(ready)
			for f := range c.calls {
				f()
			}
		}()
		<-ready
	})
}

// do runs f on the clipboard thread and waits for it.
func (c *winClipboard) do(f func() error) error {
	c.start()
	if c.err != nil {
		return c.err
	}
	done := make(chan error, 1)
	c.calls <- func() { done <- f() }
	return <-done
}

func (c *winClipboard) Unavailable() string {
	if err := c.do(func() error { return nil }); err != nil {
		return err.Error()
	}
	return ""
}

func (c *winClipboard) CopySecret(text string, clearAfter time.Duration) error {
	err := c.do(func() error {
		if err := c.open(); err != nil {
			return err
		}
		defer procCloseClipboard.Call()
		if r, _, err := procEmptyClipboard.Call(); r == 0 {
			return fmt.Errorf("EmptyClipboard: %w", err)
		}
		u := utf16.Encode([]rune(text + "\x00"))
		if err := setData(cfUnicodeText, unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), len(u)*2)); err != nil {
			return err
		}
		for _, f := range secretFormats {
			name, _ := windows.UTF16PtrFromString(f.name)
			id, _, err := procRegisterClipboardFmt.Call(uintptr(unsafe.Pointer(name)))
			if id == 0 {
				return fmt.Errorf("RegisterClipboardFormat(%s): %w", f.name, err)
			}
			v := f.value
			if err := setData(id, unsafe.Slice((*byte)(unsafe.Pointer(&v)), 4)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	gen := c.gen
	c.held = text
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(clearAfter, func() { c.clear(gen) })
	return nil
}

// clear empties the clipboard if it still holds our copy number gen: what the user copied
// since is left alone. (The sequence number cannot tell: Wine's and remote desktops'
// clipboard bridges bump it without a copy.)
func (c *winClipboard) clear(gen int) {
	c.mu.Lock()
	if gen != c.gen || c.held == "" {
		c.mu.Unlock()
		return
	}
	held := c.held
	c.held = ""
	c.mu.Unlock()
	_ = c.do(func() error {
		if err := c.open(); err != nil {
			return err
		}
		defer procCloseClipboard.Call()
		if clipboardText() == held {
			procEmptyClipboard.Call()
		}
		return nil
	})
}

// clipboardText is the clipboard's Unicode text; the clipboard is open.
func clipboardText() string {
	h, _, _ := procGetClipboardData.Call(cfUnicodeText)
	if h == 0 {
		return ""
	}
	size, _, _ := procGlobalSize.Call(h)
	p, _, _ := procGlobalLock.Call(h)
	if p == 0 || size < 2 {
		return ""
	}
	defer procGlobalUnlock.Call(h)
	u := make([]uint16, size/2)
	procMoveMemory.Call(uintptr(unsafe.Pointer(&u[0])), p, size&^1)
	for i, r := range u {
		if r == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}

func (c *winClipboard) Close() {
	c.mu.Lock()
	gen := c.gen
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.clear(gen)
	if c.calls != nil && c.err == nil {
		_ = c.do(func() error { procDestroyWindow.Call(c.hwnd); return nil })
	}
}

// open opens the clipboard for our window, retrying briefly: another program may hold it.
func (c *winClipboard) open() error {
	var err error
	for i := 0; i < 10; i++ {
		var r uintptr
		if r, _, err = procOpenClipboard.Call(c.hwnd); r != 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("OpenClipboard: %w", err)
}

// setData hands a copy of b to the clipboard, which then owns the memory.
func setData(format uintptr, b []byte) error {
	h, _, err := procGlobalAlloc.Call(gmemMoveable, uintptr(len(b)))
	if h == 0 {
		return fmt.Errorf("GlobalAlloc: %w", err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("GlobalLock: %w", err)
	}
	procMoveMemory.Call(p, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	procGlobalUnlock.Call(h)
	if r, _, err := procSetClipboardData.Call(format, h); r == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("SetClipboardData: %w", err)
	}
	return nil
}
