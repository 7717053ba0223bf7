package session

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FakeBrowser is an xdg-open that records the URLs it is asked to open instead of opening
// them. Put Dir first on the app's PATH (PathEnv does).
type FakeBrowser struct {
	Dir    string
	record string
}

// NewFakeBrowser writes the fake xdg-open into a temporary directory of tb.
func NewFakeBrowser(tb testing.TB) *FakeBrowser {
	tb.Helper()
	b := &FakeBrowser{Dir: filepath.Join(tb.TempDir(), "bin")}
	b.record = filepath.Join(b.Dir, "opened-urls")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '" + b.record + "'\n"
	if err := os.Mkdir(b.Dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "xdg-open"), []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
	return b
}

// PathEnv is "PATH=<Dir>:<this process's PATH>".
func (b *FakeBrowser) PathEnv() string {
	return "PATH=" + b.Dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// Opened lists the URLs opened so far, oldest first.
func (b *FakeBrowser) Opened() []string {
	data, _ := os.ReadFile(b.record)
	return strings.Fields(string(data))
}

// WaitOpened waits until n URLs have been opened and returns the nth.
func (b *FakeBrowser) WaitOpened(n int, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		urls := b.Opened()
		if len(urls) >= n {
			return urls[n-1], nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("want the browser opened %d time(s) within %v; it was opened for %q", n, timeout, urls)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
