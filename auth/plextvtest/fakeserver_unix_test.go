//go:build unix

package plextvtest_test

// SIGTERM to the test process itself: Unix only (Windows has no syscall.Kill).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func TestRunFakeServer(t *testing.T) {
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- plextvtest.RunFakeServer([]string{"--pin-ttl", "2m", "--account-token", "tok-123", "--username", "bob"}, outW, &stderr)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var start struct {
		APIURL       string   `json:"api_url"`
		LinkURL      string   `json:"link_url"`
		AccountToken string   `json:"account_token"`
		OtherToken   string   `json:"other_account_token"`
		Servers      []string `json:"servers"`
		HomeUsers    []struct {
			Name       string  `json:"name"`
			Restricted bool    `json:"restricted"`
			PIN        *string `json:"pin"`
		} `json:"home_users"`
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&start); err != nil {
		t.Fatalf("startup line %q: %v", line, err)
	}
	if start.OtherToken == "" || start.OtherToken == start.AccountToken {
		t.Errorf("startup line has no second account's token")
	}
	if h := start.HomeUsers; len(h) != 2 || h[0].Name != plextvtest.ManagedUserTitle || !h[0].Restricted || h[0].PIN != nil ||
		h[1].Name != plextvtest.ProtectedUserName || h[1].Restricted || h[1].PIN == nil || *h[1].PIN != plextvtest.ProtectedUserPIN {
		t.Errorf("startup line's home_users: %+v", h)
	}
	info := map[string]string{"api_url": start.APIURL, "link_url": start.LinkURL, "account_token": start.AccountToken}
	if strings.Join(start.Servers, "|") != plextvtest.OwnedServerName+"|"+plextvtest.SharedServerName+"|"+plextvtest.OfflineServerName {
		t.Errorf("startup line names the servers %q", start.Servers)
	}
	if !strings.HasPrefix(line, `{"api_url":"http://127.0.0.1:`) || !strings.HasSuffix(info["api_url"], "/api/v2") ||
		info["link_url"] != strings.TrimSuffix(info["api_url"], "/api/v2")+"/link" || info["account_token"] != "tok-123" {
		t.Fatalf("startup line %q", line)
	}
	req, _ := http.NewRequest("POST", info["api_url"]+"/pins", nil)
	req.Header.Set("X-Plex-Client-Identifier", clientID)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pin map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&pin)
	resp.Body.Close()
	if resp.StatusCode != 201 || pin["expiresIn"].(float64) != 120 {
		t.Fatalf("POST /pins: %d %v", resp.StatusCode, pin["expiresIn"])
	}
	http.DefaultClient.CloseIdleConnections()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fake-server did not stop on SIGTERM")
	}
	if rest, _ := io.ReadAll(outR); len(rest) != 0 {
		t.Fatalf("more than one line on stdout: %q", rest)
	}
}
