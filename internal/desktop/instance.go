package desktop

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// ErrAlreadyRunning means another process of this user owns the instance; Acquire has
// already asked it to show its window, so the caller should exit 0.
var ErrAlreadyRunning = errors.New("Plex Link is already running")

// ErrLocked means another process holds the named lock (e.g. the GUI is linking).
var ErrLocked = errors.New("locked by another Plex Link process")

// ErrNoAnswer means a process holds the instance lock but its socket does not answer
// (it is starting up, shutting down or hung).
var ErrNoAnswer = errors.New("the running Plex Link does not answer")

// Request is a message from a later launch to the running instance.
type Request struct {
	Command string `json:"command"` // "show"
}

// Commands a later launch sends. The running instance should ignore commands it does not know.
const (
	CommandShow       = "show"       // a double-click: show the window
	CommandBackground = "background" // a login start (--background): stay as you are
)

// answerTimeout bounds how long a later launch waits for the running one.
const answerTimeout = 3 * time.Second

// RuntimeDir is the private per-user directory (0700) for sockets and locks:
// $XDG_RUNTIME_DIR/plexlink when set (Linux sessions), else os.UserConfigDir()/plexlink.
func RuntimeDir() (string, error) {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" {
		var err error
		if base, err = os.UserConfigDir(); err != nil {
			return "", fmt.Errorf("runtime dir: %w", err)
		}
	}
	dir := filepath.Join(base, "plexlink")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("runtime dir: %w", err)
	}
	return dir, nil
}

// Instance is the running, primary process for a name.
type Instance struct {
	lock     *flock.Flock
	ln       net.Listener
	sock     string
	reqs     chan Request
	done     chan struct{}
	wg       sync.WaitGroup
	closeOne sync.Once
}

// Acquire makes this process the single instance for name. Ownership is an advisory file
// lock, so a crashed owner (whose lock the kernel dropped) is taken over together with its
// stale socket. When another live process owns it, Acquire sends it "show" and returns
// ErrAlreadyRunning.
func Acquire(name string) (*Instance, error) {
	return AcquireWith(name, Request{Command: CommandShow})
}

// AcquireWith is Acquire sending r instead of "show" to a running instance.
func AcquireWith(name string, r Request) (*Instance, error) {
	dir, err := RuntimeDir()
	if err != nil {
		return nil, err
	}
	lk := flock.New(filepath.Join(dir, name+".instance.lock"))
	ok, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("single instance: %w", err)
	}
	sock := filepath.Join(dir, name+".sock")
	if !ok {
		if err := send(sock, r); err != nil {
			return nil, err
		}
		return nil, ErrAlreadyRunning
	}
	// We hold the lock, so any socket file left behind belongs to a dead process.
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		lk.Unlock()
		return nil, fmt.Errorf("single instance: %w", err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		lk.Unlock()
		return nil, fmt.Errorf("single instance: %w", err)
	}
	// The directory is already private; this also protects a socket in a shared base dir.
	// (Windows has no mode bits; the profile directory's ACL protects the socket there.)
	if err := chmodSocket(sock); err != nil {
		ln.Close()
		lk.Unlock()
		return nil, fmt.Errorf("single instance: %w", err)
	}
	in := &Instance{lock: lk, ln: ln, sock: sock, reqs: make(chan Request, 8), done: make(chan struct{})}
	in.wg.Add(1)
	go in.serve()
	return in, nil
}

func chmodSocket(p string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	return os.Chmod(p, 0o600)
}

// Requests delivers messages from later launches. It is closed by Close.
func (in *Instance) Requests() <-chan Request { return in.reqs }

// Close stops listening and releases the instance for the next launch.
func (in *Instance) Close() error {
	var err error
	in.closeOne.Do(func() {
		close(in.done)
		err = in.ln.Close()
		in.wg.Wait()
		close(in.reqs)
		os.Remove(in.sock)
		if uerr := in.lock.Unlock(); err == nil {
			err = uerr
		}
	})
	return err
}

func (in *Instance) serve() {
	defer in.wg.Done()
	for {
		c, err := in.ln.Accept()
		if err != nil {
			select {
			case <-in.done:
				return
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		in.handle(c)
	}
}

// handle serves one connection inline: launches are rare and each is bounded by a deadline,
// so a misbehaving client cannot hold the loop for long.
func (in *Instance) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(answerTimeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	var r Request
	if err := json.Unmarshal([]byte(line), &r); err != nil || r.Command == "" {
		fmt.Fprintln(c, "error: bad request")
		return
	}
	select {
	case in.reqs <- r:
	default: // the UI has not drained earlier requests; one pending "show" is enough
	}
	fmt.Fprintln(c, "ok")
}

// send delivers r to the owner, retrying briefly: the owner may hold the lock but not be
// listening yet.
func send(sock string, r Request) error {
	msg, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("single instance: %w", err)
	}
	deadline := time.Now().Add(answerTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if lastErr = trySend(sock, msg, deadline); lastErr == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%w: %v", ErrNoAnswer, lastErr)
}

func trySend(sock string, msg []byte, deadline time.Time) error {
	c, err := net.DialTimeout("unix", sock, time.Until(deadline))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	if _, err := c.Write(append(msg, '\n')); err != nil {
		return err
	}
	ans, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(ans) != "ok" {
		return fmt.Errorf("unexpected answer %q", strings.TrimSpace(ans))
	}
	return nil
}

// TryLock takes the named per-user lock without waiting (e.g. "link": the GUI and
// `plexlink link` both take it while linking). It returns ErrLocked when another process
// holds it; the lock dies with the process.
func TryLock(name string) (unlock func(), err error) {
	dir, err := RuntimeDir()
	if err != nil {
		return nil, err
	}
	lk := flock.New(filepath.Join(dir, name+".lock"))
	ok, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		return nil, ErrLocked
	}
	var once sync.Once
	return func() { once.Do(func() { lk.Unlock() }) }, nil
}
