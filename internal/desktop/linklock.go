package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A link holds a named lock while it runs (HoldLock); an unlink preempts it (Preempt): it
// asks the holder to stop through a request file beside the lock, then waits for the lock.
// A link saves its token only while it holds the lock, so once Preempt returns no link that
// started before it can still land. The request is a file, not a message, because the
// holder may be any process (a terminal's `plexlink link`, the window) and may not listen.

// ErrLinkStillRunning means a link in another process did not stop when asked.
var ErrLinkStillRunning = errors.New("a link in progress (the window or a terminal's `plexlink link`) did not stop when asked; cancel it there and try again")

const (
	// preemptPoll is how often the holder looks for a stop request and the preempter for the lock.
	preemptPoll = 100 * time.Millisecond
	// requestFresh is how old a stop request may be and still count: a waiting preempter
	// renews it every poll, so an older file was left by one that died.
	requestFresh = 3 * time.Second
)

func stopRequestPath(dir, name string) string { return filepath.Join(dir, name+".stop") }

// HoldLock takes the named lock without waiting, like TryLock, and calls onStop (once, from
// another goroutine) when another process asks the holder to stop (Preempt). The holder
// should then end its work and call unlock.
func HoldLock(name string, onStop func()) (unlock func(), err error) {
	dir, err := RuntimeDir()
	if err != nil {
		return nil, err
	}
	release, err := TryLock(name)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go watchStopRequest(stopRequestPath(dir, name), onStop, done)
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			release()
		})
	}, nil
}

func watchStopRequest(path string, onStop func(), done <-chan struct{}) {
	t := time.NewTicker(preemptPoll)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) < requestFresh {
				onStop()
				return
			}
		}
	}
}

// Preempt takes the named lock, first asking its holder to stop when another process holds
// it, and waits until ctx ends. It returns ErrLinkStillRunning when the holder did not let
// go in time. A lock that cannot be used at all (no runtime directory) is no guard and is
// not waited for.
func Preempt(ctx context.Context, name string) (unlock func(), err error) {
	dir, err := RuntimeDir()
	if err != nil {
		return func() {}, nil
	}
	req := stopRequestPath(dir, name)
	defer os.Remove(req)
	t := time.NewTicker(preemptPoll)
	defer t.Stop()
	for {
		unlock, err := TryLock(name)
		if !errors.Is(err, ErrLocked) {
			if err != nil {
				return func() {}, nil
			}
			return unlock, nil
		}
		// Renewed every poll: a new holder that took the lock meanwhile is asked too.
		if err := touch(req); err != nil {
			return nil, fmt.Errorf("asking the link in progress to stop: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ErrLinkStillRunning
		case <-t.C:
		}
	}
}

func touch(path string) error {
	now := time.Now()
	if err := os.Chtimes(path, now, now); err == nil {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}
