//go:build unix

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// controllingTerminal is /dev/tty, held open while `exec` runs, to ask whose Ctrl-C a
// SIGINT was. The zero value (no controlling terminal) is never in the foreground.
type controllingTerminal struct{ tty *os.File }

func openControllingTerminal() controllingTerminal {
	f, err := os.Open("/dev/tty") // ENXIO without a controlling terminal
	if err != nil {
		return controllingTerminal{}
	}
	return controllingTerminal{f}
}

// foreground reports whether plexlink's process group is the terminal's foreground group:
// then a Ctrl-C typed there goes to every process of the group, which includes an `exec`
// child started in plexlink's group.
func (t controllingTerminal) foreground() bool {
	if t.tty == nil {
		return false
	}
	fg, err := unix.IoctlGetInt(int(t.tty.Fd()), unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	own, err := unix.Getpgid(0)
	return err == nil && fg == own
}

func (t controllingTerminal) Close() {
	if t.tty != nil {
		_ = t.tty.Close()
	}
}
