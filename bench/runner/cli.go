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

// timeRun runs a command that prints the token and returns its wall time (fork → exit). The
// output is checked against want but never printed.
func timeRun(env []string, want string, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %w: %s", name, err, errb.String())
	}
	if got := bytes.TrimRight(out.Bytes(), "\n"); string(got) != want {
		return 0, fmt.Errorf("%s printed %d bytes, not the stored token (%d bytes)", name, len(got), len(want))
	}
	return d, nil
}
