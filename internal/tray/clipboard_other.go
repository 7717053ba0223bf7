//go:build !(linux || freebsd || openbsd || netbsd || windows)

package tray

import (
	"errors"
	"time"
)

// NewClipboard has no in-process clipboard here yet: Copy token opens the window, whose
// clipboard works on every platform.
func NewClipboard() Clipboard { return noClipboard{} }

type noClipboard struct{}

func (noClipboard) Unavailable() string { return "the tray cannot set the clipboard on this system" }
func (noClipboard) CopySecret(string, time.Duration) error {
	return errors.New("the tray cannot set the clipboard on this system")
}
func (noClipboard) Close() {}
