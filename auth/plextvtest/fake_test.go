package plextvtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const clientID = "client-a"

type caller struct {
	t   *testing.T
	srv *plextvtest.Server
	hc  *http.Client
}

func start(t *testing.T, opts ...plextvtest.Option) *caller {
	t.Helper()
	srv := plextvtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return &caller{t: t, srv: srv, hc: &http.Client{Timeout: 5 * time.Second}}
}

// call sends an API request; client "" omits the identifier, form != nil sends a PUT body.
func (c *caller) call(method, path, client, token string, form url.Values) (int, map[string]any, http.Header) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, body)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if client != "" {
		req.Header.Set("X-Plex-Client-Identifier", client)
	}
	if token != "" {
		req.Header.Set("X-Plex-Token", token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &v)
	return resp.StatusCode, v, resp.Header
}

func (c *caller) createPin(client string, strong bool) (id string, code string) {
	c.t.Helper()
	path := "/pins"
	if strong {
		path += "?strong=true"
	}
	status, v, _ := c.call("POST", path, client, "", nil)
	if status != http.StatusCreated {
		c.t.Fatalf("POST /pins: %d", status)
	}
	return fmt.Sprint(int64(v["id"].(float64))), v["code"].(string)
}

func errorCode(v map[string]any) float64 {
	errs, _ := v["errors"].([]any)
	if len(errs) == 0 {
		return 0
	}
	return errs[0].(map[string]any)["code"].(float64)
}

func TestMissingClientIDIs400Code1000(t *testing.T) {
	c := start(t)
	id, _ := c.createPin(clientID, false)
	for _, r := range [][2]string{{"POST", "/pins"}, {"GET", "/pins/" + id}, {"PUT", "/pins/link"}} {
		status, v, _ := c.call(r[0], r[1], "", c.srv.AccountToken(), nil)
		if status != 400 || errorCode(v) != 1000 {
			t.Errorf("%s %s without client id: %d %v", r[0], r[1], status, v)
		}
	}
}

// Real plex.tv answers calls that carry only a valid token (the plex.tv SDK's
// getTokenDetails, curl one-liners); a client id is needed only for the PIN calls.
func TestTokenOnlyCalls(t *testing.T) {
	c := start(t)
	tok := c.srv.AccountToken()
	if status, v, _ := c.call("GET", "/ping", "", tok, nil); status != 200 || v["pong"] != true {
		t.Errorf("GET /ping with a token only: %d %v", status, v)
	}
	if status, v, _ := c.call("GET", "/ping", "", "", nil); status != 401 || errorCode(v) != 1001 {
		t.Errorf("GET /ping without a token: %d %v", status, v)
	}
	if status, v, _ := c.call("GET", "/ping", clientID, "not-a-token", nil); status != 401 || errorCode(v) != 1001 {
		t.Errorf("GET /ping with a bad token: %d %v", status, v)
	}
	if status, u, _ := c.call("GET", "/user", "", tok, nil); status != 200 || u["username"] != plextvtest.DefaultUsername {
		t.Errorf("GET /user with a token only: %d %v", status, u)
	}
	if status, v, _ := c.call("GET", "/user", "", "", nil); status != 401 || errorCode(v) != 1001 {
		t.Errorf("GET /user with neither: %d %v", status, v)
	}
	if status, _, _ := c.call("DELETE", "/users/signout", "", tok, nil); status != 204 {
		t.Errorf("DELETE /users/signout with a token only: %d", status)
	}
	if status, _, _ := c.call("GET", "/ping", "", tok, nil); status != 401 {
		t.Errorf("GET /ping after sign-out: %d", status)
	}
}

func TestPinsAreVisibleOnlyToTheirClient(t *testing.T) {
	c := start(t)
	id, _ := c.createPin(clientID, false)
	if status, _, _ := c.call("GET", "/pins/"+id, clientID, "", nil); status != 200 {
		t.Fatalf("own pin: %d", status)
	}
	if status, v, _ := c.call("GET", "/pins/"+id, "client-b", "", nil); status != 404 || errorCode(v) != 1020 {
		t.Fatalf("other client's pin: %d %v", status, v)
	}
}

func TestApprovalsMintNewTokensAndSignOutRevokes(t *testing.T) {
	c := start(t)
	id, code := c.createPin(clientID, false)
	t1, err := c.srv.Approve(code)
	if err != nil {
		t.Fatal(err)
	}
	t2, _ := c.srv.Approve(code)
	if t1 == t2 || t1 == c.srv.AccountToken() || len(t1) != 20 {
		t.Fatal("each approval must mint a fresh 20-character token")
	}
	_, v, _ := c.call("GET", "/pins/"+id, clientID, "", nil)
	if v["authToken"] != t2 {
		t.Fatal("pin does not carry the latest token")
	}
	if status, u, _ := c.call("GET", "/user", clientID, t2, nil); status != 200 || u["username"] != plextvtest.DefaultUsername || u["authToken"] != t2 {
		t.Fatalf("GET /user: %d", status)
	}
	if status, _, _ := c.call("DELETE", "/users/signout", clientID, t2, nil); status != 204 {
		t.Fatalf("sign out: %d", status)
	}
	if status, v, _ := c.call("GET", "/user", clientID, t2, nil); status != 401 || errorCode(v) != 1001 {
		t.Fatalf("GET /user after sign-out: %d %v", status, v)
	}
	if status, _, _ := c.call("DELETE", "/users/signout", clientID, t2, nil); status != 401 {
		t.Fatalf("second sign-out: %d", status)
	}
	if !c.srv.TokenValid(t1) {
		t.Fatal("signing out one token revoked another")
	}
}

func TestPutPinsLink(t *testing.T) {
	c := start(t)
	id, code := c.createPin(clientID, false)
	if status, v, _ := c.call("PUT", "/pins/link", "browser", "bad-token", url.Values{"code": {code}}); status != 401 || errorCode(v) != 1001 {
		t.Fatalf("bad token: %d %v", status, v)
	}
	if status, v, _ := c.call("PUT", "/pins/link", "browser", c.srv.AccountToken(), url.Values{"code": {"ZZZZ"}}); status != 404 || errorCode(v) != 1020 {
		t.Fatalf("unknown code: %d %v", status, v)
	}
	if status, _, _ := c.call("PUT", "/pins/link", "browser", c.srv.AccountToken(), url.Values{"code": {code}}); status != 204 {
		t.Fatalf("approve: %d", status)
	}
	if _, v, _ := c.call("GET", "/pins/"+id, clientID, "", nil); v["authToken"] == nil {
		t.Fatal("pin not approved")
	}
}

func TestPinLifetimeAndClock(t *testing.T) {
	var off atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	c := start(t, plextvtest.WithClock(now), plextvtest.WithPinTTL(time.Minute), plextvtest.WithStrongPinTTL(2*time.Minute))
	id, code := c.createPin(clientID, false)
	_, v, _ := c.call("GET", "/pins/"+id, clientID, "", nil)
	if v["expiresIn"].(float64) != 60 {
		t.Fatalf("expiresIn %v", v["expiresIn"])
	}
	sid, scode := c.createPin(clientID, true)
	if len(scode) != 25 || strings.ToLower(scode) != scode {
		t.Fatalf("strong code %q", scode)
	}
	off.Store(int64(61 * time.Second))
	if status, v, _ := c.call("GET", "/pins/"+id, clientID, "", nil); status != 404 || errorCode(v) != 1020 {
		t.Fatalf("expired pin: %d %v", status, v)
	}
	if _, err := c.srv.Approve(code); err == nil {
		t.Fatal("approved an expired code")
	}
	if status, v, _ := c.call("GET", "/pins/"+sid, clientID, "", nil); status != 200 || v["expiresIn"].(float64) != 59 {
		t.Fatalf("strong pin at 61s: %d %v", status, v["expiresIn"])
	}
}

func TestLinkPage(t *testing.T) {
	c := start(t, plextvtest.WithUsername("alice"))
	id, code := c.createPin(clientID, false)
	get := func(q string) (int, string) {
		resp, err := c.hc.Get(c.srv.LinkURL + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(code string) (int, string) {
		resp, err := c.hc.PostForm(c.srv.LinkURL, url.Values{"code": {code}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, page := get("/?pin=" + code); status != 200 || !strings.Contains(page, `value="`+code+`"`) ||
		!strings.Contains(page, `id="approve"`) || strings.Contains(page, "expired") {
		t.Fatalf("GET /link?pin=: %d\n%s", status, page)
	}
	if status, page := get("?pin=<b>QQ"); status != 200 || strings.Contains(page, "<b>QQ") || !strings.Contains(page, "not found or has expired") {
		t.Fatalf("unknown pre-filled code: %d\n%s", status, page)
	}
	if status, page := post("NOPE"); status != 404 || !strings.Contains(page, "not found or has expired") {
		t.Fatalf("unknown code: %d\n%s", status, page)
	}
	if status, page := post(strings.ToLower(code)); status != 200 || !strings.Contains(page, "linked to alice") {
		t.Fatalf("approve: %d\n%s", status, page)
	}
	if _, v, _ := c.call("GET", "/pins/"+id, clientID, "", nil); v["authToken"] == nil {
		t.Fatal("the page did not approve the pin")
	}
	_, strong := c.createPin(clientID, true)
	if status, page := post(strong); status != 400 || !strings.Contains(page, "strong code") {
		t.Fatalf("strong code on the link page: %d\n%s", status, page)
	}
}

func TestFaultKnobs(t *testing.T) {
	c := start(t)
	id, _ := c.createPin(clientID, false)
	pin := "/pins/" + id
	c.srv.FailNext(plextvtest.RoutePin, 2, plextvtest.Fault{Status: 429, RetryAfter: "3"})
	c.srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Body: "{oops", Delay: 60 * time.Millisecond})
	for i := 0; i < 2; i++ {
		if status, _, h := c.call("GET", pin, clientID, "", nil); status != 429 || h.Get("Retry-After") != "3" {
			t.Fatalf("call %d: %d %q", i, status, h.Get("Retry-After"))
		}
	}
	t0 := time.Now()
	if status, v, _ := c.call("GET", pin, clientID, "", nil); status != 200 || v != nil || time.Since(t0) < 60*time.Millisecond {
		t.Fatalf("malformed+delay: %d %v after %v", status, v, time.Since(t0))
	}
	if status, v, _ := c.call("GET", pin, clientID, "", nil); status != 200 || v["code"] == nil {
		t.Fatalf("faults did not run out: %d", status)
	}
	if n := c.srv.Count(plextvtest.RoutePin); n != 4 {
		t.Fatalf("count %d, want 4", n)
	}

	c.srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{WrongTypes: true})
	if _, v, _ := c.call("GET", pin, clientID, "", nil); fmt.Sprintf("%T %T", v["id"], v["trusted"]) != "string string" {
		t.Fatalf("wrong types: %T %T", v["id"], v["trusted"])
	}

	c.srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{BodySize: 3 << 20})
	resp, err := c.hc.Get(c.srv.URL + pin) // no client id needed: the fault answers first
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n != 3<<20 {
		t.Fatalf("huge body: %d bytes", n)
	}

	c.srv.FailNext(plextvtest.RoutePin, 2, plextvtest.Fault{Reset: true})
	if _, err := c.hc.Get(c.srv.URL + pin); err == nil {
		t.Fatal("reset: no error")
	}
	c.srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Hang: true})
	short := &http.Client{Timeout: 100 * time.Millisecond}
	if _, err := short.Get(c.srv.URL + pin); err == nil {
		t.Fatal("hang: no error")
	}
}

// Close must release a hung handler rather than wait for the client.
func TestCloseReleasesHungRequests(t *testing.T) {
	srv := plextvtest.NewServer()
	srv.FailNext(plextvtest.RouteUser, 1, plextvtest.Fault{Hang: true})
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/user")
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for srv.Count(plextvtest.RouteUser) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close blocked on a hung request")
	}
	<-errc
}

func TestConcurrentUse(t *testing.T) {
	c := start(t)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			client := fmt.Sprintf("client-%d", i%4)
			id, code := c.createPin(client, i%3 == 0)
			if i%2 == 0 {
				c.srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Status: 503})
			}
			tok, err := c.srv.Approve(code)
			if err != nil {
				t.Error(err)
				return
			}
			c.call("GET", "/pins/"+id, client, "", nil)
			c.call("GET", "/user", client, tok, nil)
			_ = c.srv.Count(plextvtest.RoutePin)
			_ = c.srv.LastHeader(plextvtest.RouteUser)
		}(i)
	}
	wg.Wait()
	if n := c.srv.Count(plextvtest.RouteCreatePin); n != 16 {
		t.Fatalf("%d pins", n)
	}
}

func TestRunFakeServerRefusesRemoteAddr(t *testing.T) {
	for _, args := range [][]string{{"--addr", "0.0.0.0:0"}, {"--addr", ":0"}, {"--addr", "192.0.2.1:0"}, {"--pin-ttl", "10ms"}, {"stray"}} {
		var stdout, stderr bytes.Buffer
		if code := plextvtest.RunFakeServer(args, &stdout, &stderr); code != 2 || stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}
