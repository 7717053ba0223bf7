// Package earlylog holds back what the standard logger prints while packages initialise.
//
// Fyne's lang package logs "Fyne error: Error parsing user locale C" from its init function
// when LANG is C.UTF-8 (common in CI, containers and SSH sessions). plexlink is one binary
// for the tray app and the command line, so that line would pollute `plexlink token` and
// friends, whose output scripts read. Go initialises packages in import-path order once
// their imports are ready (Go spec, "Package initialization"), and this module's path
// sorts before fyne.io, so this package's init runs before Fyne's and can catch the line.
// main drops it, or replays it when debug logging is on.
package earlylog

import (
	"bytes"
	"io"
	"log"
	"os"
	"sync"
)

var (
	mu  sync.Mutex
	buf bytes.Buffer
	on  = true
)

type holder struct{}

func (holder) Write(p []byte) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	if on {
		return buf.Write(p)
	}
	return os.Stderr.Write(p)
}

func init() { log.SetOutput(holder{}) }

// Release stops holding: the standard logger writes to w from now on, and, when replay is
// true, what was held is written there first.
func Release(w io.Writer, replay bool) {
	mu.Lock()
	defer mu.Unlock()
	if replay {
		_, _ = w.Write(buf.Bytes())
	}
	buf.Reset()
	on = false
	log.SetOutput(w)
}
