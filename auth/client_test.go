package auth_test

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func TestClientCreatePollApprove(t *testing.T) {
	srv, c, p := serverClientPin(t)
	ctx := context.Background()
	if !regexp.MustCompile(`^[A-Z0-9]{4}$`).MatchString(p.Code) || p.Strong {
		t.Fatalf("non-strong pin: code %q strong %v", p.Code, p.Strong)
	}
	if p.ID <= math.MaxInt32 {
		t.Fatalf("fake ids exceed int32 on purpose; got %d", p.ID)
	}
	if p.ExpiresIn != 900 || p.ExpiresAt.Sub(p.CreatedAt) != 900*time.Second {
		t.Fatalf("lifetime: expiresIn %d, expiresAt-createdAt %v", p.ExpiresIn, p.ExpiresAt.Sub(p.CreatedAt))
	}
	if p.Location == nil || p.Location.PostalCode != "4814" || p.ClientIdentifier != testIdentity.ClientID || p.Product != "Plex Link" {
		t.Fatalf("pin fields: %+v location %+v", p, p.Location)
	}
	if got, want := c.LinkURL(p), srv.LinkURL+"/?pin="+p.Code; got != want {
		t.Fatalf("LinkURL = %q, want %q", got, want)
	}

	polled, err := c.Pin(ctx, p.ID)
	if err != nil || !polled.AuthToken.IsZero() {
		t.Fatalf("pending pin: err %v, has token %v", err, !polled.AuthToken.IsZero())
	}
	tok, err := srv.Approve(p.Code)
	if err != nil {
		t.Fatal(err)
	}
	polled, err = c.Pin(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameToken(t, polled.AuthToken, tok)

	acct, err := c.User(ctx, polled.AuthToken)
	if err != nil {
		t.Fatal(err)
	}
	if acct.ID == 0 || acct.UUID == "" || acct.Username != plextvtest.DefaultUsername || acct.Email == "" || acct.Thumb == "" || acct.Title == "" {
		t.Fatalf("account: %+v", acct)
	}
}

func TestClientSendsHeadersOnEveryCall(t *testing.T) {
	srv, c, p := serverClientPin(t)
	ctx := context.Background()
	if _, err := c.Pin(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	tok, _ := srv.Approve(p.Code)
	if _, err := c.User(ctx, auth.Token(tok)); err != nil {
		t.Fatal(err)
	}
	if err := c.SignOut(ctx, auth.Token(tok)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Accept": "application/json", "X-Plex-Product": testIdentity.Product,
		"X-Plex-Version": testIdentity.Version, "X-Plex-Client-Identifier": testIdentity.ClientID,
		"X-Plex-Platform": testIdentity.Platform, "X-Plex-Platform-Version": testIdentity.PlatformVersion,
		"X-Plex-Device": testIdentity.Device, "X-Plex-Device-Name": testIdentity.DeviceName,
	}
	for _, route := range []string{plextvtest.RouteCreatePin, plextvtest.RoutePin, plextvtest.RouteUser, plextvtest.RouteSignOut} {
		h := srv.LastHeader(route)
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("%s: header %s = %q, want %q", route, k, h.Get(k), v)
			}
		}
		withToken := route == plextvtest.RouteUser || route == plextvtest.RouteSignOut
		if got := h.Get("X-Plex-Token"); withToken != (got != "") || (withToken && got != tok) {
			t.Errorf("%s: X-Plex-Token present=%v (%s), want present=%v", route, got != "", fingerprint(got), withToken)
		}
	}
}

func TestClientStrongAndShortLinkURLsNeverMix(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	ctx := context.Background()

	strong, err := c.CreatePin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z0-9]{25}$`).MatchString(strong.Code) || !strong.Strong || strong.ExpiresIn != 1800 {
		t.Fatalf("strong pin: code %q strong %v expiresIn %d", strong.Code, strong.Strong, strong.ExpiresIn)
	}
	want := "https://app.plex.tv/auth#?clientID=" + url.QueryEscape(testIdentity.ClientID) + "&code=" + strong.Code +
		"&context%5Bdevice%5D%5Bproduct%5D=Plex+Link"
	if got := c.LinkURL(strong); got != want {
		t.Fatalf("strong LinkURL = %q, want %q", got, want)
	}
	// A polled pin does not know it is strong; its URL must still be the auth app's.
	polled, err := c.Pin(ctx, strong.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.LinkURL(polled); got != want {
		t.Fatalf("polled strong LinkURL = %q, want %q", got, want)
	}

	short, err := c.CreatePin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := c.LinkURL(short)
	if !strings.HasPrefix(got, srv.LinkURL+"/?pin=") || strings.Contains(got, "clientID") || strings.Contains(got, "app.plex.tv") {
		t.Fatalf("short LinkURL = %q", got)
	}

	// The link page itself turns a strong code away, so a mix-up shows in the browser too.
	resp, err := http.PostForm(srv.LinkURL, url.Values{"code": {strong.Code}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("link page accepted a strong code: %d", resp.StatusCode)
	}
}

func TestClientUserSignOutAndUnauthorized(t *testing.T) {
	srv, c, p := serverClientPin(t)
	ctx := context.Background()
	tok, _ := srv.Approve(p.Code)

	if err := c.SignOut(ctx, auth.Token(tok)); err != nil {
		t.Fatal(err)
	}
	if srv.TokenValid(tok) {
		t.Fatal("token still valid after sign-out")
	}
	_, err := c.User(ctx, auth.Token(tok))
	var ae *auth.APIError
	if !errors.Is(err, auth.ErrUnauthorized) || !errors.As(err, &ae) || ae.Status != 401 || ae.Errors[0].Code != 1001 {
		t.Fatalf("User after sign-out: %v", err)
	}
	if strings.Contains(err.Error(), tok) {
		t.Fatal("error text contains the token")
	}
	if auth.IsTransient(err) {
		t.Fatal("401 must not be transient")
	}
	if err := c.SignOut(ctx, auth.Token(tok)); !errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("second sign-out: %v", err)
	}
	if _, err := c.User(ctx, ""); !errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("User with no token: %v", err)
	}
}

func TestClientPing(t *testing.T) {
	srv, c, p := serverClientPin(t)
	ctx := context.Background()
	tok, _ := srv.Approve(p.Code)
	if err := c.Ping(ctx, auth.Token(tok)); err != nil {
		t.Fatalf("Ping with a live token: %v", err)
	}
	if srv.Count(plextvtest.RoutePing) != 1 || srv.Count(plextvtest.RouteUser) != 0 {
		t.Fatal("Ping did not use GET /ping alone")
	}
	srv.FailNext(plextvtest.RoutePing, 1, plextvtest.Fault{Body: `{"pong":false}`})
	if err := c.Ping(ctx, auth.Token(tok)); !errors.Is(err, auth.ErrBadResponse) || !auth.IsTransient(err) {
		t.Fatalf("pong false: %v", err)
	}
	srv.FailNext(plextvtest.RoutePing, 1, plextvtest.Fault{Status: 503})
	if err := c.Ping(ctx, auth.Token(tok)); errors.Is(err, auth.ErrUnauthorized) || !auth.IsTransient(err) {
		t.Fatalf("503 must not mean invalid: %v", err)
	}
	if err := c.SignOut(ctx, auth.Token(tok)); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx, auth.Token(tok)); !errors.Is(err, auth.ErrUnauthorized) || strings.Contains(err.Error(), tok) {
		t.Fatalf("Ping after sign-out: %v", err)
	}
	if err := c.Ping(ctx, ""); !errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("Ping with no token: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	pinJSON := `{"id":5,"code":"ABCD","expiresIn":60}`
	cases := []struct {
		name      string
		route     string
		fault     plextvtest.Fault
		n         int
		is        []error
		transient bool
		check     func(t *testing.T, err error)
	}{
		{name: "429 retry-after seconds", route: plextvtest.RoutePin, fault: plextvtest.Fault{Status: 429, RetryAfter: "7"},
			is: []error{auth.ErrRateLimited}, transient: true, check: func(t *testing.T, err error) {
				var rl *auth.RateLimitError
				if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
					t.Fatalf("RetryAfter: %v", err)
				}
			}},
		{name: "429 retry-after date", route: plextvtest.RoutePin,
			fault: plextvtest.Fault{Status: 429, RetryAfter: time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)},
			is:    []error{auth.ErrRateLimited}, transient: true, check: func(t *testing.T, err error) {
				var rl *auth.RateLimitError
				if !errors.As(err, &rl) || rl.RetryAfter < 27*time.Second || rl.RetryAfter > 31*time.Second {
					t.Fatalf("RetryAfter from a date: %v", err)
				}
			}},
		{name: "503 JSON", route: plextvtest.RoutePin, fault: plextvtest.Fault{Status: 503}, transient: true,
			check: func(t *testing.T, err error) {
				var ae *auth.APIError
				if !errors.As(err, &ae) || ae.Status != 503 {
					t.Fatalf("want *APIError 503: %v", err)
				}
			}},
		{name: "502 HTML", route: plextvtest.RoutePin, fault: plextvtest.Fault{Status: 502, ContentType: "text/html",
			Body: "<html><body>\n<h1>Bad gateway</h1>\x00</body></html>"}, transient: true,
			check: func(t *testing.T, err error) {
				var se *auth.StatusError
				if !errors.As(err, &se) || se.Status != 502 || !strings.Contains(se.Body, "Bad gateway") || strings.ContainsAny(se.Body, "\n\x00") {
					t.Fatalf("want sanitised *StatusError 502: %#v", err)
				}
			}},
		{name: "404 code 1020", route: plextvtest.RoutePin, fault: plextvtest.Fault{Status: 404,
			Body: `{"errors":[{"code":1020,"message":"Code not found or expired"}]}`}, is: []error{auth.ErrPinExpired}},
		{name: "422 invalid token", route: plextvtest.RouteUser, fault: plextvtest.Fault{Status: 422,
			Body: `{"errors":[{"code":1002,"message":"Invalid token","status":422}]}`}, is: []error{auth.ErrUnauthorized}},
		{name: "malformed JSON", route: plextvtest.RoutePin, fault: plextvtest.Fault{Body: `{"id": 5, "code": "AB`},
			is: []error{auth.ErrBadResponse}, transient: true, check: wantText("not valid JSON")},
		{name: "HTML with 200", route: plextvtest.RoutePin, fault: plextvtest.Fault{ContentType: "text/html", Body: "<html>maintenance</html>"},
			is: []error{auth.ErrBadResponse}, transient: true, check: wantText("not valid JSON")},
		{name: "empty body", route: plextvtest.RoutePin, fault: plextvtest.Fault{Status: 200, Body: " "},
			is: []error{auth.ErrBadResponse}, transient: true},
		{name: "JSON array", route: plextvtest.RoutePin, fault: plextvtest.Fault{Body: `[1,2]`},
			is: []error{auth.ErrBadResponse}, transient: true, check: wantText("wrong type")},
		{name: "wrong types", route: plextvtest.RoutePin, fault: plextvtest.Fault{WrongTypes: true},
			is: []error{auth.ErrBadResponse}, transient: true, check: wantText(`has the wrong type (JSON string, want int`)},
		{name: "wrong types in user", route: plextvtest.RouteUser, fault: plextvtest.Fault{WrongTypes: true},
			is: []error{auth.ErrBadResponse}, transient: true, check: wantText(`"id" has the wrong type`)},
		{name: "bad timestamp", route: plextvtest.RoutePin, fault: plextvtest.Fault{Body: `{"id":5,"code":"ABCD","expiresAt":"tomorrow"}`},
			is: []error{auth.ErrBadResponse}, transient: true},
		{name: "pin without id", route: plextvtest.RoutePin, fault: plextvtest.Fault{Body: `{"code":"ABCD"}`},
			is: []error{auth.ErrBadResponse}, transient: true},
		{name: "20 MiB body", route: plextvtest.RoutePin, fault: plextvtest.Fault{BodySize: 20 << 20},
			is: []error{auth.ErrBadResponse}, transient: true, check: wantText("larger than 1048576 bytes")},
		{name: "20 MiB error body", route: plextvtest.RoutePin, fault: plextvtest.Fault{Status: 500, BodySize: 20 << 20},
			transient: true, check: func(t *testing.T, err error) {
				var se *auth.StatusError
				if !errors.As(err, &se) || se.Status != 500 {
					t.Fatalf("want *StatusError 500: %v", err)
				}
			}},
		{name: "hung request", route: plextvtest.RoutePin, fault: plextvtest.Fault{Hang: true},
			is: []error{context.DeadlineExceeded}, transient: true},
		// GET is retried once by net/http on a reused connection, so reset twice.
		{name: "connection reset", route: plextvtest.RoutePin, fault: plextvtest.Fault{Reset: true}, n: 2, transient: true},
		{name: "slow but in time", route: plextvtest.RoutePin, fault: plextvtest.Fault{Delay: 50 * time.Millisecond, Body: pinJSON}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, p := serverClientPin(t)
			c.RequestTimeout = 300 * time.Millisecond
			ctx := context.Background()
			tok, _ := srv.Approve(p.Code)
			srv.FailNext(tc.route, max(tc.n, 1), tc.fault)

			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			var err error
			if tc.route == plextvtest.RouteUser {
				_, err = c.User(ctx, auth.Token(tok))
			} else {
				_, err = c.Pin(ctx, p.ID)
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&m1)

			if tc.is == nil && tc.check == nil && !tc.transient {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error, got nil")
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			if got := auth.IsTransient(err); got != tc.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, got, tc.transient)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
			if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), testIdentity.ClientID) {
				t.Errorf("error text leaks a header value: %v", err)
			}
			if elapsed > 2*time.Second {
				t.Errorf("took %v; the request timeout is 300ms", elapsed)
			}
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d bytes for one call; the body cap is 1 MiB", alloc)
			}
		})
	}
}

func wantText(s string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not say %q", err, s)
		}
	}
}

func TestClientDecodesLeniently(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	bodies := map[string]string{
		"postal_code number":  `{"id":3000000000,"code":"ABCD","location":{"postal_code":4814,"country":"NL","coordinates":[1,2]},"extra":{"x":[1]}}`,
		"location missing":    `{"id":3000000000,"code":"ABCD"}`,
		"location null":       `{"id":3000000000,"code":"ABCD","location":null}`,
		"location a string":   `{"id":3000000000,"code":"ABCD","location":"Breda"}`,
		"location an array":   `{"id":3000000000,"code":"ABCD","location":[1,2,3]}`,
		"location bools text": `{"id":3000000000,"code":"ABCD","location":{"european_union_member":"true"}}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Body: body})
			p, err := c.Pin(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != 3000000000 || p.Code != "ABCD" {
				t.Fatalf("pin: %+v", p)
			}
			switch name {
			case "postal_code number":
				if p.Location == nil || p.Location.PostalCode != "4814" || p.Location.Country != "NL" {
					t.Fatalf("location: %+v", p.Location)
				}
			case "location bools text":
				if p.Location == nil || !p.Location.EuropeanUnionMember {
					t.Fatalf("location: %+v", p.Location)
				}
			default:
				if p.Location != nil {
					t.Fatalf("location should be nil: %+v", p.Location)
				}
			}
		})
	}
}

func TestClientNeverFollowsRedirects(t *testing.T) {
	var hits atomic.Int32
	var leaked atomic.Bool
	other := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		leaked.Store(r.Header.Get("X-Plex-Token") != "")
	}))
	redirector := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+r.URL.Path, http.StatusFound)
	}))
	for _, hc := range []*http.Client{nil, {}} { // nil → default; {} would follow redirects on its own
		c := &auth.Client{BaseURL: redirector + "/api/v2", HTTP: hc, Identity: testIdentity}
		_, err := c.User(context.Background(), "secret-token-value")
		var se *auth.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusFound || !strings.Contains(err.Error(), "redirect not followed") {
			t.Fatalf("want a redirect error, got %v", err)
		}
		if strings.Contains(err.Error(), "secret-token-value") {
			t.Fatal("error leaks the token")
		}
	}
	if hits.Load() != 0 || leaked.Load() {
		t.Fatalf("redirect target was contacted %d times (token sent: %v)", hits.Load(), leaked.Load())
	}
}

// startHTTP serves h on loopback for redirect tests, which need a second, non-Plex server.
func startHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() { defer close(done); _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close(); <-done })
	return "http://" + ln.Addr().String()
}

func TestClientRefusesInsecureOrMisconfigured(t *testing.T) {
	c := &auth.Client{BaseURL: "http://plex.example.com/api/v2", Identity: testIdentity}
	if _, err := c.CreatePin(context.Background(), false); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("plain http to a remote host: %v", err)
	}
	srv := newServer(t)
	noID := newClient(srv)
	noID.Identity.ClientID = ""
	if _, err := noID.CreatePin(context.Background(), false); err == nil || !strings.Contains(err.Error(), "client identifier") {
		t.Fatalf("no client id: %v", err)
	}
	if n := srv.Count(plextvtest.RouteCreatePin); n != 0 {
		t.Fatalf("request sent without a client id (%d)", n)
	}
}

func TestCheckURL(t *testing.T) {
	ok := []string{"https://plex.tv/api/v2", "https://clients.plex.tv", "http://127.0.0.1:8080/api/v2",
		"http://127.1.2.3", "http://[::1]:9/x", "http://localhost:1234", "HTTP://LOCALHOST"}
	bad := []string{"http://plex.tv/api/v2", "http://10.0.0.1", "http://[::2]/", "http://localhost.evil.com",
		"ftp://plex.tv", "file:///etc/passwd", "https://", "plex.tv", "", "http://0.0.0.0:80", "javascript:alert(1)"}
	for _, u := range ok {
		if err := auth.CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", u, err)
		}
	}
	for _, u := range bad {
		if err := auth.CheckURL(u); err == nil {
			t.Errorf("CheckURL(%q) = nil, want an error", u)
		}
	}
}
