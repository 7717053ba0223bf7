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

	"golang.org/x/sys/windows"

	"codeberg.org/plexlink/plexlink/internal/console/conscreen"
)

// The mechanism, on Windows (packaging/windows/winetest runs this under Wine): a child with
// no console of its own, started like a GUI program from a shell, calls AttachParent and
// writes; the words must land in this test's console, and a redirected stream must keep its
// pipe. The child is this test binary again (childEnv set), started with DETACHED_PROCESS.

const childEnv = "PLEXLINK_CONSOLE_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode, os.Getenv(childEnv+"_MARK")))
	}
	os.Exit(m.Run())
}

// child plays the GUI-subsystem "Plex Link.exe": its standard handles are whatever mode says,
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

// ownConsole makes sure this process has a console whose screen can be read back.
func ownConsole(t *testing.T) {
	t.Helper()
	if err := conscreen.Own(); err != nil {
		t.Fatal(err)
	}
}

// screen returns the text of this process's console screen buffer.
func screen(t *testing.T) string {
	t.Helper()
	s, err := conscreen.Read()
	if err != nil {
		t.Fatal(err)
	}
	return s
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
