//go:build windows

// Command credhelper is the Wine test's window into Windows: it reads what the Credential
// Manager holds with the Win32 API itself (CredReadW, not the app's go-keyring), and prints
// only a hash of it, so the test can compare the app's `token` with the stored credential
// without a token in any output.
//
//	credhelper ping                → "ok" (the Go runtime starts: ProcessPrng is there)
//	credhelper cred-sha256 TARGET  → "sha256:<hex>" or "absent"
//	credhelper env-report          → PLEX_URL=<value>, PLEX_TOKEN=sha256:<hex>|unset,
//	                                 PLEXLINK_EXEC=<value>, one a line; exits 3 (what
//	                                 `plexlink exec` hands a Windows program, and its exit code)
//	credhelper clip-secret         → the tray's secret clipboard, read back (see clip.go)
//	credhelper console-run LINE    → `cmd /c LINE` in a console window: its exit status and
//	                                 what the console shows (see console.go)
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// credential is CREDENTIALW.
type credential struct {
	Flags              uint32
	Type               uint32
	TargetName         *uint16
	Comment            *uint16
	LastWritten        syscall.Filetime
	CredentialBlobSize uint32
	CredentialBlob     *byte
	Persist            uint32
	AttributeCount     uint32
	Attributes         uintptr
	TargetAlias        *uint16
	UserName           *uint16
}

const (
	credTypeGeneric = 1
	errorNotFound   = syscall.Errno(1168)
)

var (
	advapi32     = syscall.NewLazyDLL("advapi32.dll")
	procCredRead = advapi32.NewProc("CredReadW")
	procCredFree = advapi32.NewProc("CredFree")
)

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "ping":
		fmt.Println("ok")
	case len(os.Args) == 3 && os.Args[1] == "cred-sha256":
		out, err := credSHA256(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "credhelper:", err)
			os.Exit(1)
		}
		fmt.Println(out)
	case len(os.Args) == 2 && os.Args[1] == "env-report":
		fmt.Printf("PLEX_URL=%s\n", os.Getenv("PLEX_URL"))
		if tok, ok := os.LookupEnv("PLEX_TOKEN"); ok {
			fmt.Printf("PLEX_TOKEN=sha256:%x\n", sha256.Sum256([]byte(tok)))
		} else {
			fmt.Println("PLEX_TOKEN=unset")
		}
		fmt.Printf("PLEXLINK_EXEC=%s\n", os.Getenv("PLEXLINK_EXEC"))
		os.Exit(3)
	case len(os.Args) == 2 && os.Args[1] == "clip-secret":
		if err := clipReport(); err != nil {
			fmt.Fprintln(os.Stderr, "credhelper:", err)
			os.Exit(1)
		}
	case len(os.Args) == 3 && os.Args[1] == "console-run":
		if err := consoleRun(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "credhelper:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: credhelper ping | cred-sha256 TARGET | env-report | clip-secret | console-run LINE")
		os.Exit(2)
	}
}

func credSHA256(target string) (string, error) {
	name, err := syscall.UTF16PtrFromString(target)
	if err != nil {
		return "", err
	}
	var c *credential
	r, _, err := procCredRead.Call(uintptr(unsafe.Pointer(name)), credTypeGeneric, 0, uintptr(unsafe.Pointer(&c)))
	if r == 0 {
		if err == errorNotFound {
			return "absent", nil
		}
		return "", fmt.Errorf("CredReadW %s: %w", target, err)
	}
	defer procCredFree.Call(uintptr(unsafe.Pointer(c)))
	blob := unsafe.Slice(c.CredentialBlob, c.CredentialBlobSize)
	return fmt.Sprintf("sha256:%x", sha256.Sum256(blob)), nil
}
