//go:build windows

package console

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The mechanism, on Windows (packaging/windows/winetest runs this under Wine): a child with
// no console of its own, started like a GUI program from a shell, calls AttachParent and
// writes; the words must land in this test's console, and a redirected stream must keep its
// pipe. The child is this test binary again (childEnv set), started with DETACHED_PROCESS.

const childEnv = "PLEXLINK_CONSOLE_TEST_CHILD"

var (
	procAllocConsole   = kernel32.NewProc("AllocConsole")
	procFreeConsole    = kernel32.NewProc("FreeConsole")
	procReadConsoleOut = kernel32.NewProc("ReadConsoleOutputCharacterW")
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode, os.Getenv(childEnv+"_MARK")))
	}
	os.Exit(m.Run())
}

// child plays the GUI-subsystem plexlink.exe: its standard handles are whatever mode says,
// then AttachParent runs and both streams are written to.
func child(mode, mark string) int {
	_ = windows.SetStdHandle(windows.STD_ERROR_HANDLE, 0)
	os.Stderr = os.NewFile(0, "/dev/stderr")
	if mode == "missing" {
		_ = windows.SetStdHandle(windows.STD_OUTPUT_HANDLE, 0)
		os.Stdout = os.NewFile(0, "/dev/stdout")
	}
	AttachParent()
	if _, err := fmt.Fprintf(os.Stdout, "out-%s\n", mark); err != nil {
		return 5
	}
	var m uint32
	if mode == "missing" && (windows.GetConsoleMode(windows.Handle(os.Stdout.Fd()), &m) != nil ||
		m&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING == 0) {
		return 7
	}
	if _, err := fmt.Fprintf(os.Stderr, "err-%s\n", mark); err != nil {
		return 6
	}
	return 3
}

// ownConsole makes sure this process has a console whose screen can be read back. Under Wine
// a test started through pipes has none usable until it frees and allocates one (which needs
// DISPLAY there: Wine's conhost is a window).
func ownConsole(t *testing.T) {
	t.Helper()
	if screen(t) != "" {
		return
	}
	if r, _, _ := procAllocConsole.Call(); r == 0 {
		procFreeConsole.Call()
		if r, _, err := procAllocConsole.Call(); r == 0 {
			t.Fatalf("AllocConsole: %v (under Wine the console needs DISPLAY)", err)
		}
	}
	if screen(t) == "" {
		t.Fatal("a new console's screen buffer cannot be read")
	}
}

// screen returns the text of this process's console screen buffer, "" when there is none.
func screen(t *testing.T) string {
	t.Helper()
	name, _ := windows.UTF16PtrFromString("CONOUT$")
	h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(h)
	var info windows.ConsoleScreenBufferInfo
	if err := windows.GetConsoleScreenBufferInfo(h, &info); err != nil {
		return ""
	}
	n := int(info.Size.X) * int(info.Size.Y)
	if n <= 0 {
		return ""
	}
	buf := make([]uint16, n)
	var got uint32
	r, _, err := procReadConsoleOut.Call(uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(n), 0,
		uintptr(unsafe.Pointer(&got)))
	if r == 0 {
		t.Fatalf("ReadConsoleOutputCharacterW: %v", err)
	}
	return " " + syscall.UTF16ToString(buf[:got]) // never "" for a readable console
}

func runChild(t *testing.T, mode string, stdout *bytes.Buffer) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	mark := hex.EncodeToString(b)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childEnv+"_MARK="+mark)
	if stdout != nil {
		cmd.Stdout = stdout
	}
	// No console of its own, as a GUI-subsystem program started from a shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.DETACHED_PROCESS}
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child (%s): %v; want exit 3 (5: stdout write failed, 6: stderr write failed, 7: no escape sequences on the console)", mode, err)
	}
	return mark
}

// waitScreen waits for want on the console: conhost draws asynchronously.
func waitScreen(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := screen(t)
		if strings.Contains(s, want) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAttachParentWritesToTheParentsConsole(t *testing.T) {
	ownConsole(t)
	mark := runChild(t, "missing", nil)
	s := waitScreen(t, "err-"+mark)
	for _, want := range []string{"out-" + mark, "err-" + mark} {
		if !strings.Contains(s, want) {
			t.Errorf("%q is not on the parent's console after AttachParent", want)
		}
	}
}

func TestAttachParentKeepsARedirectedStdout(t *testing.T) {
	ownConsole(t)
	var out bytes.Buffer
	mark := runChild(t, "redirected", &out)
	s := waitScreen(t, "err-"+mark)
	if got := strings.TrimSpace(out.String()); got != "out-"+mark {
		t.Errorf("the redirected stdout got %q, want %q", got, "out-"+mark)
	}
	if strings.Contains(s, "out-"+mark) {
		t.Error("stdout was redirected to a pipe but its words went to the console")
	}
	if !strings.Contains(s, "err-"+mark) {
		t.Error("the missing stderr was not reopened on the parent's console")
	}
}
