package desktop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

const childEnv = "PLEXLINK_DESKTOP_TEST_CHILD"

// Exit codes of the child helper, so the parent can tell outcomes apart.
const (
	exitAlreadyRunning = 3
	exitLocked         = 4
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

// child is a second real process: it takes the instance or the lock, says so on stdout,
// reports requests, and holds on until stdin closes (or it is killed).
func child(mode string) int {
	switch mode {
	case "instance":
		in, err := Acquire("test")
		if errors.Is(err, ErrAlreadyRunning) {
			return exitAlreadyRunning
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("ready")
		go func() {
			io.Copy(io.Discard, os.Stdin)
			in.Close()
		}()
		for r := range in.Requests() {
			fmt.Println("request", r.Command)
		}
		return 0
	case "hold": // a link run: stops when an unlink asks, after "saving" for a moment
		stop := make(chan struct{})
		unlock, err := HoldLock("link", func() { close(stop) })
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("ready")
		<-stop
		fmt.Println("stopping")
		time.Sleep(400 * time.Millisecond)
		unlock()
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "lock":
		unlock, err := TryLock("link")
		if errors.Is(err, ErrLocked) {
			return exitLocked
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		unlock()
		return 0
	}
	return 2
}

type proc struct {
	cmd   *exec.Cmd
	lines chan string
}

// startChild runs the test binary as a helper; the environment (with the test's
// XDG_RUNTIME_DIR) is inherited.
func startChild(t *testing.T, mode string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return p
}

func (p *proc) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got, ok := <-p.lines:
		if !ok || got != want {
			t.Fatalf("child said %q (open=%v), want %q", got, ok, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("child did not say %q within 10s", want)
	}
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

// runChild runs a helper to completion and returns its exit code.
func runChild(t *testing.T, mode string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.Stdin = strings.NewReader("") // a winner would exit at once
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	return 0
}

// privateRuntime points RuntimeDir at a fresh directory. It is short on purpose: t.TempDir
// paths on macOS exceed the 104-byte limit of a Unix socket path.
func privateRuntime(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("XDG_RUNTIME_DIR", dir)
	return filepath.Join(dir, "plexlink")
}

func TestSingleInstanceAcrossProcesses(t *testing.T) {
	dir := privateRuntime(t)
	first := startChild(t, "instance")
	first.expect(t, "ready")

	// A second launch (a real process) is told to go away and makes the first show itself.
	if code := runChild(t, "instance"); code != exitAlreadyRunning {
		t.Fatalf("second launch exited %d, want %d", code, exitAlreadyRunning)
	}
	first.expect(t, "request show")

	if _, err := Acquire("test"); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("Acquire while running: %v, want ErrAlreadyRunning", err)
	}
	first.expect(t, "request show")

	// The owner dies without cleaning up: its socket stays, its lock goes with it.
	first.kill(t)
	sock := filepath.Join(dir, "test.sock")
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("expected a stale socket after SIGKILL: %v", err)
	}
	in, err := Acquire("test")
	if err != nil {
		t.Fatalf("taking over from a dead instance: %v", err)
	}
	defer in.Close()
	for _, p := range []string{dir, sock} {
		if runtime.GOOS == "windows" {
			break // no mode bits; the profile ACL protects the directory
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v; other users must not reach it", p, perm)
		}
	}

	if code := runChild(t, "instance"); code != exitAlreadyRunning {
		t.Fatalf("launch after takeover exited %d, want %d", code, exitAlreadyRunning)
	}
	select {
	case r := <-in.Requests():
		if r.Command != CommandShow {
			t.Errorf("request %q, want show", r.Command)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the new owner got no show request")
	}

	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-in.Requests(); ok {
		t.Error("Requests still open after Close")
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("Close left the socket behind (stat: %v)", err)
	}
	again, err := Acquire("test")
	if err != nil {
		t.Fatalf("Acquire after Close: %v", err)
	}
	again.Close()
}

func TestSingleInstanceBadRequest(t *testing.T) {
	dir := privateRuntime(t)
	in, err := Acquire("test")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	c, err := net.Dial("unix", filepath.Join(dir, "test.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintln(c, "not json")
	ans, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(ans, "error") {
		t.Errorf("answer to garbage: %q", ans)
	}
	select {
	case r := <-in.Requests():
		t.Errorf("garbage delivered as %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
}

// An owner that holds the lock but never answers must not make a launch hang or pretend
// success.
func TestSingleInstanceOwnerNotAnswering(t *testing.T) {
	dir := privateRuntime(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	lk := flock.New(filepath.Join(dir, "test.instance.lock"))
	if ok, err := lk.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock: %v %v", ok, err)
	}
	defer lk.Unlock()
	start := time.Now()
	_, err := Acquire("test")
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Acquire: %v, want ErrNoAnswer", err)
	}
	if d := time.Since(start); d > answerTimeout+2*time.Second {
		t.Errorf("gave up after %v", d)
	}
}

func TestLinkLockAcrossProcesses(t *testing.T) {
	privateRuntime(t)
	holder := startChild(t, "lock")
	holder.expect(t, "ready")

	if _, err := TryLock("link"); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while held: %v, want ErrLocked", err)
	}
	if code := runChild(t, "lock"); code != exitLocked {
		t.Fatalf("second locker exited %d, want %d", code, exitLocked)
	}
	// Other names are independent.
	unlockOther, err := TryLock("other")
	if err != nil {
		t.Fatalf("unrelated lock: %v", err)
	}
	unlockOther()

	holder.kill(t)
	unlock, err := TryLock("link")
	if err != nil {
		t.Fatalf("TryLock after the holder died: %v", err)
	}
	if code := runChild(t, "lock"); code != exitLocked {
		t.Fatalf("locker while we hold it exited %d, want %d", code, exitLocked)
	}
	unlock()
	unlock() // idempotent
	if code := runChild(t, "lock"); code != 0 {
		t.Fatalf("locker after unlock exited %d, want 0", code)
	}
}

func TestAcquireWithSendsItsCommand(t *testing.T) {
	privateRuntime(t)
	in, err := Acquire("test")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := AcquireWith("test", Request{Command: CommandBackground}); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("AcquireWith: %v, want ErrAlreadyRunning", err)
	}
	select {
	case r := <-in.Requests():
		if r.Command != CommandBackground {
			t.Errorf("got %q, want %q", r.Command, CommandBackground)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no request")
	}
}

// An unlink (Preempt) stops a link held by another process and returns only once that
// process let go: a token it was saving lands before the unlink, never after.
func TestPreemptStopsALinkElsewhere(t *testing.T) {
	privateRuntime(t)
	holder := startChild(t, "hold")
	holder.expect(t, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	unlock, err := Preempt(ctx, "link")
	if err != nil {
		t.Fatalf("Preempt: %v", err)
	}
	holder.expect(t, "stopping")
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("Preempt returned after %v, before the holder let go", d)
	}
	if code := runChild(t, "lock"); code != exitLocked {
		t.Errorf("a new link could start while the unlink holds the lock (exit %d)", code)
	}
	unlock()
	if code := runChild(t, "lock"); code != 0 {
		t.Errorf("locker after the unlink exited %d, want 0", code)
	}
}

// A holder that does not listen (or hangs) makes the unlink fail, never pretend success.
func TestPreemptGivesUpOnAHolderThatDoesNotStop(t *testing.T) {
	privateRuntime(t)
	holder := startChild(t, "lock")
	holder.expect(t, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := Preempt(ctx, "link"); !errors.Is(err, ErrLinkStillRunning) {
		t.Fatalf("Preempt: %v, want ErrLinkStillRunning", err)
	}
	// The stop request is gone with the unlink: the next link is not stopped by it.
	stopped := make(chan struct{})
	holder.kill(t)
	unlock, err := HoldLock("link", func() { close(stopped) })
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	select {
	case <-stopped:
		t.Fatal("a stale stop request stopped a new link")
	case <-time.After(3 * preemptPoll):
	}
}
