package session

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// FakeServer is a running `plexlink fake-server`, described by the JSON line it prints.
type FakeServer struct {
	APIURL       string `json:"api_url"`
	LinkURL      string `json:"link_url"`
	AccountToken string `json:"account_token"`
	// OtherAccountToken is a second account's: approving with it links a code to that one.
	OtherAccountToken string `json:"other_account_token"`
	// HomeUsers are the members of the account's Plex Home other than itself; PIN is nil
	// for a member without one.
	HomeUsers []FakeHomeUser `json:"home_users"`
	Pid       int            `json:"-"`
}

// FakeHomeUser is one member of the fake's Plex Home, as its start line names them.
type FakeHomeUser struct {
	Name       string  `json:"name"`
	Restricted bool    `json:"restricted"`
	PIN        *string `json:"pin"`
}

// StartFakeServer runs `<bin> fake-server args...` until tb ends and returns once it has
// printed its start line.
func StartFakeServer(tb testing.TB, bin string, args ...string) *FakeServer {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"fake-server"}, args...)...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		s.Scan()
		line <- s.Text()
	}()
	f := &FakeServer{Pid: cmd.Process.Pid}
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), f); err != nil || f.APIURL == "" || f.LinkURL == "" || f.AccountToken == "" {
			tb.Fatalf("plexlink fake-server: start line is not {api_url, link_url, account_token} (%v)", err)
		}
	case <-time.After(10 * time.Second):
		tb.Fatal("plexlink fake-server printed no start line within 10s")
	}
	return f
}

// Approve does what the plex.tv/link page does when the signed-in user approves code:
// PUT /pins/link with the account's token. plex.tv answers 204.
func (f *FakeServer) Approve(code string) error { return f.ApproveWith(code, f.AccountToken) }

// ApproveWith approves code as the account tok belongs to (OtherAccountToken: a browser
// signed in as someone else).
func (f *FakeServer) ApproveWith(code, tok string) error {
	req, err := http.NewRequest(http.MethodPut, f.APIURL+"/pins/link",
		strings.NewReader(url.Values{"code": {code}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Plex-Client-Identifier", "testenv-approver")
	req.Header.Set("X-Plex-Token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("PUT /pins/link code=%s: %w", code, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("PUT /pins/link code=%s: HTTP %d, want 204", code, resp.StatusCode)
	}
	return nil
}
