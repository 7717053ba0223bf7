package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"codeberg.org/plexlink/plexlink/storage"
)

// linkResult is one `plexlink link --no-browser` run.
type linkResult struct {
	latency  time.Duration // PUT /pins/link sent → new token readable in the keychain
	polls    int           // GET /pins/{id} during the run
	pollSpan time.Duration // first poll → last poll
}

var pinInURL = regexp.MustCompile(`[?&]pin=([A-Z0-9]{4})\b`)

// linkOnce runs the CLI link flow against fake and approves the code after wait. The token
// is detected by reading the keychain in-process (go-keyring, as the app does) every 5 ms.
func linkOnce(bin string, env []string, fake *fakePlex, service string, wait time.Duration) (linkResult, error) {
	kc := storage.NewKeychain(service)
	before, err := kc.Load()
	if err != nil && !errors.Is(err, storage.ErrNotLinked) {
		return linkResult{}, fmt.Errorf("reading the keychain before linking: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "link", "--no-browser")
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return linkResult{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return linkResult{}, err
	}
	defer func() { _ = cmd.Wait() }()
	code := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := pinInURL.FindStringSubmatch(sc.Text()); m != nil {
				code <- m[1]
				break
			}
		}
		close(code)
		_, _ = io.Copy(io.Discard, out) // "Linked as …"
	}()
	var pin string
	select {
	case pin = <-code:
	case <-time.After(15 * time.Second):
	}
	if pin == "" {
		return linkResult{}, fmt.Errorf("plexlink link printed no link URL with a code; stderr: %s", stderr.String())
	}
	time.Sleep(wait)
	approved := time.Now()
	if err := fake.approver.Approve(pin); err != nil {
		return linkResult{}, err
	}
	for {
		tok, err := kc.Load()
		if err == nil && tok != before {
			break
		}
		if time.Since(approved) > 15*time.Second {
			return linkResult{}, fmt.Errorf("no new token in the keychain 15s after approval; stderr: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := linkResult{latency: time.Since(approved)}
	if err := cmd.Wait(); err != nil {
		return linkResult{}, fmt.Errorf("plexlink link: %w; stderr: %s", err, stderr.String())
	}
	polls := fake.requests(start, time.Now(), isPoll)
	r.polls = len(polls)
	if len(polls) > 1 {
		r.pollSpan = polls[len(polls)-1].at.Sub(polls[0].at)
	}
	return r, nil
}

// timeRun runs a command and returns its wall time (fork → exit). It fails when the command
// fails or when check (nil: none) rejects its standard output, which is never printed.
func timeRun(env []string, check func(stdout string) error, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, errb.String())
	}
	if check != nil {
		if err := check(strings.TrimRight(out.String(), "\n")); err != nil {
			return 0, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
	}
	return d, nil
}

// command is one side of a side-by-side row: a program, its arguments and what it must print.
type command struct {
	env   []string
	check func(stdout string) error
	args  []string // program first
}

// sideBySide runs a once and b once, untimed (caches, a tool token minted on first use),
// then n times each, alternating, and returns both wall times in ms.
func sideBySide(n int, a, b command) (as, bs []float64, err error) {
	for i := -2; i < 2*n; i++ {
		c := a
		if i%2 != 0 {
			c = b
		}
		d, err := timeRun(c.env, c.check, c.args[0], c.args[1:]...)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case i < 0:
		case i%2 == 0:
			as = append(as, ms(d))
		default:
			bs = append(bs, ms(d))
		}
	}
	return as, bs, nil
}

// printsExactly checks that a command printed want (a token: its length is all an error says).
func printsExactly(want string) func(string) error {
	return func(got string) error {
		if got != want {
			return fmt.Errorf("printed %d bytes, not the %d expected", len(got), len(want))
		}
		return nil
	}
}

// printsPrefix checks that a command's output starts with prefix.
func printsPrefix(prefix string) func(string) error {
	return func(got string) error {
		if !strings.HasPrefix(got, prefix) {
			return fmt.Errorf("printed %q, want a line starting %q", got, prefix)
		}
		return nil
	}
}
