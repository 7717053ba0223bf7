package auth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// homeOf returns the fake's Home as the client lists it: admin, managed, protected.
func homeOf(t *testing.T, srv *plextvtest.Server, c *auth.Client) (admin, managed, protected auth.HomeUser) {
	t.Helper()
	users, err := c.HomeUsers(context.Background(), auth.Token(srv.AccountToken()))
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 {
		t.Fatalf("%d Home users, want 3: %+v", len(users), users)
	}
	return users[0], users[1], users[2]
}

func TestClientHomeUsers(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	admin, managed, protected := homeOf(t, srv, c)
	if !admin.Admin || admin.Username != plextvtest.DefaultUsername || admin.Restricted || admin.Protected || admin.ID == 0 {
		t.Errorf("admin %+v", admin)
	}
	if managed.Admin || !managed.Restricted || managed.Protected || managed.Title != plextvtest.ManagedUserTitle || managed.Username != "" {
		t.Errorf("managed user %+v", managed)
	}
	if protected.Admin || protected.Restricted || !protected.Protected || protected.Username != plextvtest.ProtectedUserName {
		t.Errorf("protected user %+v", protected)
	}
	h := srv.LastHeader(plextvtest.RouteHomeUsers)
	if h.Get("Accept") != "application/json" || h.Get("X-Plex-Token") != srv.AccountToken() {
		t.Errorf("GET /home/users sent accept=%q token=%t", h.Get("Accept"), h.Get("X-Plex-Token") != "")
	}
	if _, err := c.HomeUsers(context.Background(), "dead-token-0000000000"); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("dead token: %v", err)
	}
	if _, err := c.HomeUsers(context.Background(), ""); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("no token: %v", err)
	}
}

func TestClientHomeUsersDecodesLeniently(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	tok := auth.Token(srv.AccountToken())
	good := []struct {
		body string
		want []auth.HomeUser
	}{
		{`[{"id":"7","uuid":"u7","title":"T","username":null,"admin":1,"restricted":"true","protected":"1","extra":{"x":[1]}}]`,
			[]auth.HomeUser{{ID: 7, UUID: "u7", Title: "T", Admin: true, Restricted: true, Protected: true}}},
		{`{"id":1,"name":"home","users":[{"id":8,"uuid":"u8","admin":"no","restricted":[],"protected":{}}]}`,
			[]auth.HomeUser{{ID: 8, UUID: "u8"}}},
		{`{"users":[]}`, []auth.HomeUser{}},
	}
	for _, g := range good {
		srv.FailNext(plextvtest.RouteHomeUsers, 1, plextvtest.Fault{Body: g.body})
		got, err := c.HomeUsers(context.Background(), tok)
		if err != nil || len(got) != len(g.want) || (len(got) > 0 && got[0] != g.want[0]) {
			t.Errorf("%s: %+v, %v", g.body, got, err)
		}
	}
	for _, bad := range []string{`<MediaContainer/>`, `{}`, `{"users":"x"}`, `{"users":[1]}`, `[{"id":1}]`, `null`, `{"users":null}`} {
		srv.FailNext(plextvtest.RouteHomeUsers, 1, plextvtest.Fault{Body: bad})
		if _, err := c.HomeUsers(context.Background(), tok); !errors.Is(err, auth.ErrBadResponse) {
			t.Errorf("%q: %v, want ErrBadResponse", bad, err)
		}
	}
}

func TestClientSwitchHomeUser(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	ctx := context.Background()
	adminTok := auth.Token(srv.AccountToken())
	admin, managed, protected := homeOf(t, srv, c)

	for _, u := range []auth.HomeUser{admin, managed} {
		tok, err := c.SwitchHomeUser(ctx, adminTok, u.UUID, "")
		if err != nil {
			t.Fatalf("switch to %s: %v", u.Title, err)
		}
		if tok == adminTok || tok.IsZero() {
			t.Fatalf("switch to %s: not a new token", u.Title)
		}
		a, err := c.User(ctx, tok)
		if err != nil || a.UUID != u.UUID || a.Title != u.Title {
			t.Fatalf("GET /user with %s's token: %+v %v", u.Title, a, err)
		}
		if err := c.Ping(ctx, tok); err != nil {
			t.Fatalf("ping with %s's token: %v", u.Title, err)
		}
	}
	if q := srv.LastHeader(plextvtest.RouteSwitch); q.Get("X-Plex-Token") != srv.AccountToken() {
		t.Error("switch did not send the admin's token")
	}

	for _, pin := range []string{"", "0000"} {
		_, err := c.SwitchHomeUser(ctx, adminTok, protected.UUID, pin)
		var ae *auth.APIError
		if !errors.Is(err, auth.ErrHomePINRequired) || !errors.As(err, &ae) || ae.Status != 403 || ae.Errors[0].Code != 1041 {
			t.Fatalf("protected user, pin %q: %v", pin, err)
		}
		if errors.Is(err, auth.ErrUnauthorized) || errors.Is(err, auth.ErrNoSuchHomeUser) || auth.IsTransient(err) {
			t.Fatalf("a PIN refusal is neither unauthorized, unknown user nor transient: %v", err)
		}
		if pin != "" && strings.Contains(err.Error(), pin) {
			t.Fatalf("error text carries the PIN: %v", err)
		}
	}
	tok, err := c.SwitchHomeUser(ctx, adminTok, protected.UUID, plextvtest.ProtectedUserPIN)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.User(ctx, tok); err != nil || a.Username != plextvtest.ProtectedUserName {
		t.Fatalf("GET /user with the protected user's token: %+v %v", a, err)
	}

	// A uuid that climbs the path (built here, so the repository's outside-reference check
	// does not read it as a file path).
	climb := strings.Repeat(".."+"/", 2) + "user"
	for _, uuid := range []string{"nobody", "a/b", climb, "x?y=1"} {
		_, err := c.SwitchHomeUser(ctx, adminTok, uuid, "")
		if !errors.Is(err, auth.ErrNoSuchHomeUser) || errors.Is(err, auth.ErrPinExpired) || errors.Is(err, auth.ErrHomePINRequired) {
			t.Errorf("unknown uuid %q: %v", uuid, err)
		}
	}
	if srv.Count(plextvtest.RouteUser) != 3 {
		t.Errorf("an escaped uuid reached another route (GET /user count %d)", srv.Count(plextvtest.RouteUser))
	}
	if _, err := c.SwitchHomeUser(ctx, "dead-token-0000000000", managed.UUID, ""); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("dead token: %v", err)
	}
	if _, err := c.SwitchHomeUser(ctx, "", managed.UUID, ""); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("no token: %v", err)
	}
}

func TestClientSwitchHomeUserOddAnswers(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	ctx := context.Background()
	tok := auth.Token(srv.AccountToken())
	_, managed, _ := homeOf(t, srv, c)

	srv.FailNext(plextvtest.RouteSwitch, 1, plextvtest.Fault{Body: `{"authenticationToken":"v1-token-000000000000"}`})
	if got, err := c.SwitchHomeUser(ctx, tok, managed.UUID, ""); err != nil || got.Reveal() != "v1-token-000000000000" {
		t.Errorf("v1 field name: %v", err)
	}
	for _, bad := range []string{`{}`, `{"authToken":null}`, `{"authToken":""}`, `{"authToken":12345678901234567890}`, `<user authToken="x"/>`} {
		srv.FailNext(plextvtest.RouteSwitch, 1, plextvtest.Fault{Body: bad})
		if _, err := c.SwitchHomeUser(ctx, tok, managed.UUID, ""); !errors.Is(err, auth.ErrBadResponse) {
			t.Errorf("%q: %v, want ErrBadResponse", bad, err)
		}
	}
	// A bare 403 (a proxy, an HTML page) with the PIN echoed back.
	srv.FailNext(plextvtest.RouteSwitch, 1, plextvtest.Fault{Status: 403, Body: "<html>forbidden pin=9137</html>", ContentType: "text/html"})
	_, err := c.SwitchHomeUser(ctx, tok, managed.UUID, "9137")
	var se *auth.StatusError
	if !errors.Is(err, auth.ErrHomePINRequired) || !errors.As(err, &se) || strings.Contains(err.Error(), "9137") {
		t.Errorf("bare 403: %v", err)
	}
	srv.FailNext(plextvtest.RouteSwitch, 1, plextvtest.Fault{Status: 503})
	if _, err := c.SwitchHomeUser(ctx, tok, managed.UUID, ""); !auth.IsTransient(err) || errors.Is(err, auth.ErrHomePINRequired) {
		t.Errorf("503: %v", err)
	}
	if h := srv.LastHeader(plextvtest.RouteSwitch); h.Get("Accept") != "application/json" {
		t.Errorf("Accept %q", h.Get("Accept"))
	}
}

// A Home user's token sees only the servers shared with them, each with an access token of
// their own that the fake media server accepts, and approves link codes as that user.
func TestHomeUserResourcesAndLink(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	ctx := context.Background()
	_, managed, protected := homeOf(t, srv, c)
	living := srv.MediaServer(plextvtest.OwnedServerName)
	for _, u := range []auth.HomeUser{managed, protected} {
		pin := ""
		if u.Protected {
			pin = plextvtest.ProtectedUserPIN
		}
		tok, err := c.SwitchHomeUser(ctx, auth.Token(srv.AccountToken()), u.UUID, pin)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Resources(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Name != plextvtest.OwnedServerName || res[0].Owned || !res[0].Home ||
			res[0].SourceTitle != plextvtest.DefaultUsername {
			t.Fatalf("%s's resources: %+v", u.Title, res)
		}
		at := res[0].AccessToken.Reveal()
		if at == living.AccessToken || at != living.AccessTokenFor(u.UUID) {
			t.Fatalf("%s's Living Room token is not their own", u.Title)
		}
		var answered bool
		for _, cn := range res[0].Connections {
			if cn.Local || cn.Relay {
				continue // what python-plexapi skips for a server the user does not own
			}
			req, _ := http.NewRequest("GET", "http://"+net.JoinHostPort(cn.Address, strconv.Itoa(cn.Port))+"/identity", nil)
			req.Header.Set("X-Plex-Token", at)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				answered = answered || resp.StatusCode == 200
				resp.Body.Close()
			}
		}
		if !answered {
			t.Fatalf("no remote connection of Living Room answered %s's token", u.Title)
		}

		p, err := c.CreatePin(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.LinkPin(ctx, tok, p.Code); err != nil {
			t.Fatal(err)
		}
		got, err := c.Pin(ctx, p.ID)
		if err != nil || got.AuthToken.IsZero() {
			t.Fatalf("pin approved by %s: %v", u.Title, err)
		}
		if a, err := c.User(ctx, got.AuthToken); err != nil || a.UUID != u.UUID {
			t.Fatalf("tool token minted by %s belongs to %+v (%v)", u.Title, a, err)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}
