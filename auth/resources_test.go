package auth_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func TestClientResources(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	res, err := c.Resources(context.Background(), auth.Token(srv.AccountToken()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res {
		if r.IsServer() {
			names = append(names, r.Name)
		}
	}
	want := []string{plextvtest.OwnedServerName, plextvtest.SharedServerName, plextvtest.OfflineServerName}
	if len(names) != len(want) || len(res) != len(want)+1 {
		t.Fatalf("servers %q among %d devices, want %q plus one player", names, len(res), want)
	}
	for i, r := range res[:3] {
		m := srv.MediaServer(want[i])
		if r.Name != want[i] || r.ClientIdentifier != m.MachineID || r.AccessToken.Reveal() != m.AccessToken || r.Owned != m.Owned {
			t.Errorf("resource %d = %+v, want the fake's %q", i, r, want[i])
		}
		if r.LastSeenAt.IsZero() || len(r.Connections) == 0 {
			t.Errorf("%s: lastSeenAt or connections missing", r.Name)
		}
	}
	if res[1].SourceTitle != plextvtest.SharedServerOwner || res[0].SourceTitle != "" {
		t.Errorf("sourceTitle: owned %q, shared %q", res[0].SourceTitle, res[1].SourceTitle)
	}
	h := srv.LastHeader(plextvtest.RouteResources)
	if h.Get("X-Plex-Token") != srv.AccountToken() || h.Get("Accept") != "application/json" {
		t.Errorf("GET /resources sent token=%t accept=%q", h.Get("X-Plex-Token") != "", h.Get("Accept"))
	}

	if _, err := c.Resources(context.Background(), "dead-token-0000000000"); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("dead token: %v, want ErrUnauthorized", err)
	}
	srv.FailNext(plextvtest.RouteResources, 1, plextvtest.Fault{Body: "<html>captive portal</html>", ContentType: "text/html"})
	if _, err := c.Resources(context.Background(), auth.Token(srv.AccountToken())); !errors.Is(err, auth.ErrBadResponse) || !auth.IsTransient(err) {
		t.Errorf("HTML answer: %v, want a transient ErrBadResponse", err)
	}
	srv.FailNext(plextvtest.RouteResources, 1, plextvtest.Fault{WrongTypes: true})
	if _, err := c.Resources(context.Background(), auth.Token(srv.AccountToken())); !errors.Is(err, auth.ErrBadResponse) {
		t.Errorf("wrong types: %v, want ErrBadResponse", err)
	}
}

// No answer of the fake may send a client off this machine: every address it lists is
// loopback, whether it answers or not, in the hostile mode too.
func TestFakeResourcesAreAllLoopback(t *testing.T) {
	for _, opts := range [][]plextvtest.Option{nil, {plextvtest.WithHostile()}} {
		srv := newServer(t, opts...)
		res, err := newClient(srv).Resources(context.Background(), auth.Token(srv.AccountToken()))
		if err != nil {
			t.Fatal(err)
		}
		checkAllLoopback(t, res)
	}
}

func checkAllLoopback(t *testing.T, res []auth.Resource) {
	t.Helper()
	for _, r := range res {
		if ip := net.ParseIP(r.PublicAddress); ip == nil || !ip.IsLoopback() {
			t.Errorf("%s: publicAddress %q is not loopback", r.Name, r.PublicAddress)
		}
		for _, c := range r.Connections {
			u, err := url.Parse(c.URI)
			if err != nil {
				t.Fatal(err)
			}
			for _, host := range []string{u.Hostname(), c.Address} {
				if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
					t.Errorf("%s: connection %q / %q is not a loopback address", r.Name, c.URI, c.Address)
				}
			}
		}
	}
}

func TestClientLinkPin(t *testing.T) {
	srv := newServer(t)
	tool := newClient(srv)
	tool.Identity.ClientID = "0d9c4c8e-6f0a-4d57-9f7e-2b1f4c3a5e61"
	pin, err := tool.CreatePin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	approver := newClient(srv)
	if err := approver.LinkPin(context.Background(), "not-a-token-00000000", pin.Code); !errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("approving with a dead token: %v, want ErrUnauthorized", err)
	}
	if err := approver.LinkPin(context.Background(), auth.Token(srv.AccountToken()), "ZZZZ"); !errors.Is(err, auth.ErrPinExpired) {
		t.Fatalf("approving an unknown code: %v, want ErrPinExpired", err)
	}
	if err := approver.LinkPin(context.Background(), auth.Token(srv.AccountToken()), pin.Code); err != nil {
		t.Fatal(err)
	}
	if got := srv.LastHeader(plextvtest.RouteLinkPin).Get("Content-Type"); got != "application/x-www-form-urlencoded" {
		t.Errorf("PUT /pins/link Content-Type %q", got)
	}
	p, err := tool.Pin(context.Background(), pin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.AuthToken.IsZero() || !srv.TokenValid(p.AuthToken.Reveal()) || p.AuthToken.Reveal() == srv.AccountToken() {
		t.Fatal("the approved pin carries no new, valid token of its own")
	}
}
