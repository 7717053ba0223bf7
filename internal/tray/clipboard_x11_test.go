//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/display"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// xclipOut reads the CLIPBOARD as a real X client does.
func xclipOut(t *testing.T, x *display.Display, target string) (string, error) {
	t.Helper()
	args := []string{"-o", "-selection", "clipboard"}
	if target != "" {
		args = append(args, "-t", target)
	}
	cmd := exec.Command("xclip", args...)
	cmd.Env = x.Env(nil)
	out, err := cmd.Output()
	return string(out), err
}

func TestClipboardX11(t *testing.T) {
	session.RequireTool(t, "Xvfb", "xvfb")
	session.RequireTool(t, "xclip", "xclip")
	x, err := display.StartXvfb()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Stop() })
	const secret = "tray-clipboard-test-token"
	cb := &x11Clipboard{display: x.Name}
	t.Cleanup(cb.Close)
	if why := cb.Unavailable(); why != "" {
		t.Fatal(why)
	}
	if err := cb.CopySecret(secret, time.Second); err != nil {
		t.Fatal(err)
	}
	if got, err := xclipOut(t, x, ""); err != nil || got != secret {
		t.Fatalf("xclip reads %q (%v), want the token", got, err)
	}
	if got, err := xclipOut(t, x, "UTF8_STRING"); err != nil || got != secret {
		t.Fatalf("UTF8_STRING: %q (%v)", got, err)
	}
	if got, err := xclipOut(t, x, "text/plain"); err != nil || got != secret {
		t.Fatalf("text/plain: %q (%v)", got, err)
	}
	targets, err := xclipOut(t, x, "TARGETS")
	if err != nil || !strings.Contains(targets, "x-kde-passwordManagerHint") || !strings.Contains(targets, "UTF8_STRING") {
		t.Fatalf("TARGETS %q (%v): want UTF8_STRING and x-kde-passwordManagerHint", targets, err)
	}
	if got, err := xclipOut(t, x, "x-kde-passwordManagerHint"); err != nil || got != "secret" {
		t.Fatalf("x-kde-passwordManagerHint is %q (%v), want secret", got, err)
	}
	// After the timeout the clipboard is empty.
	time.Sleep(1500 * time.Millisecond)
	if got, err := xclipOut(t, x, ""); err == nil && got != "" {
		t.Fatalf("after the timeout the clipboard still holds %d bytes", len(got))
	}
	cb.mu.Lock()
	connected := cb.conn != nil
	cb.mu.Unlock()
	if connected {
		t.Error("the clipboard keeps its X connection after clearing")
	}

	// Copy again; the user copies something else before the timeout: it is left alone.
	if err := cb.CopySecret(secret, time.Second); err != nil {
		t.Fatal(err)
	}
	other := exec.Command("xclip", "-selection", "clipboard", "-i")
	other.Env = x.Env(nil)
	other.Stdin = strings.NewReader("what the user copied")
	// xclip forks a server that keeps the selection (until someone else takes it) and
	// returns; no pipes, or waiting for it would wait for the server.
	if err := other.Run(); err != nil {
		t.Fatalf("xclip -i: %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	if got, err := xclipOut(t, x, ""); err != nil || got != "what the user copied" {
		t.Fatalf("after the timeout the clipboard holds %q (%v), want what the user copied", got, err)
	}

	// Quit clears a copy that is still there.
	if err := cb.CopySecret(secret, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := xclipOut(t, x, ""); got != secret {
		t.Fatalf("xclip reads %q, want the token", got)
	}
	cb.Close()
	if got, err := xclipOut(t, x, ""); err == nil && got != "" {
		t.Fatalf("after Close the clipboard still holds %d bytes", len(got))
	}
}

func TestClipboardWithoutDisplay(t *testing.T) {
	cb := &x11Clipboard{}
	if why := cb.Unavailable(); !strings.Contains(why, "DISPLAY") {
		t.Errorf("Unavailable() = %q", why)
	}
	if err := cb.CopySecret("x", time.Second); err == nil {
		t.Error("CopySecret without a display succeeded")
	}
}
