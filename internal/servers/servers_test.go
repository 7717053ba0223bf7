package servers

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func fakeResources(t *testing.T, opts ...plextvtest.Option) (*plextvtest.Server, []auth.Resource) {
	t.Helper()
	srv := plextvtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c := &auth.Client{BaseURL: srv.URL, Identity: auth.Identity{Product: "test", ClientID: "5b0e2c34-8a0e-4d8f-9d3c-0f1e2d3c4b5a"}}
	res, err := c.Resources(context.Background(), auth.Token(srv.AccountToken()))
	if err != nil {
		t.Fatal(err)
	}
	return srv, res
}

func TestProbeFindsTheConnectionThatAnswers(t *testing.T) {
	srv, res := fakeResources(t)
	start := time.Now()
	list := Probe(context.Background(), fakeOptions, res, true)
	// Old NAS has a candidate that accepts and never answers: the probe gives up on it.
	if d := time.Since(start); d > ProbeTimeout+time.Second {
		t.Errorf("probing took %s; one silent server must cost at most the %s probe timeout", d, ProbeTimeout)
	}
	if len(list) != 3 {
		t.Fatalf("%d servers, want 3 (the player is not one)", len(list))
	}
	living, grandma, nas := list[0], list[1], list[2]
	if living.URL != srv.MediaServer(plextvtest.OwnedServerName).URL {
		t.Errorf("Living Room: url %q, want the plain-address fallback %q", living.URL, srv.MediaServer(plextvtest.OwnedServerName).URL)
	}
	if !living.Connections[0].OK || living.Connections[1].OK || living.Connections[2].OK {
		t.Errorf("Living Room connections: %+v", living.Connections)
	}
	if grandma.Owner != plextvtest.SharedServerOwner || grandma.Owned {
		t.Errorf("Grandma's Plex: owned %t owner %q", grandma.Owned, grandma.Owner)
	}
	if c := grandma.Connections[0]; !c.Skipped || c.OK {
		t.Errorf("Grandma's local connection must be skipped, not probed: %+v", c)
	}
	if !grandma.Connections[2].OK || grandma.URL == "" {
		t.Errorf("Grandma's remote connection should answer: %+v", grandma)
	}
	if nas.URL != "" {
		t.Errorf("Old NAS answered at %q; all its ports are closed", nas.URL)
	}
	start = time.Now()
	if got := Connect(context.Background(), fakeOptions, mustFind(t, list, grandma.MachineID)).URL; got != grandma.URL {
		t.Errorf("Connect = %q, want %q", got, grandma.URL)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Connect took %s for a server whose best connection answers at once", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start = time.Now()
	if got := Connect(ctx, fakeOptions, mustFind(t, list, nas.MachineID)).URL; got != "" || time.Since(start) > time.Second {
		t.Errorf("Connect(Old NAS) = %q after %s; want \"\" within the caller's 500ms", got, time.Since(start))
	}
}

func mustFind(t *testing.T, list []Server, name string) Server {
	t.Helper()
	s, err := Find(list, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The fake media servers answer only with their own token, and the probe insists on the
// machine id plex.tv listed: another server at the same address is not the one asked for.
func TestProbeNeedsTheServersOwnTokenAndIdentity(t *testing.T) {
	srv, res := fakeResources(t)
	living := srv.MediaServer(plextvtest.OwnedServerName)
	resp, err := http.Get(living.URL + "/identity")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("fake server without a token: HTTP %d, want 401", resp.StatusCode)
	}
	swapped := append([]auth.Resource(nil), res...)
	swapped[0].AccessToken = swapped[1].AccessToken // Grandma's token sent to Living Room
	if got := Probe(context.Background(), fakeOptions, swapped, true)[0].URL; got != "" {
		t.Errorf("probe with another server's token found %q", got)
	}
	swapped = append([]auth.Resource(nil), res...)
	swapped[0].ClientIdentifier = "someone-else"
	if got := Probe(context.Background(), fakeOptions, swapped, true)[0].URL; got != "" {
		t.Errorf("probe accepted a server whose machine id differs: %q", got)
	}
	if living.Hits("/identity") == 0 {
		t.Error("the fake media server saw no /identity request")
	}
}

func TestFind(t *testing.T) {
	list := []Server{{Name: "Plex", MachineID: "a1"}, {Name: "plex", MachineID: "b2"}, {Name: "NAS", MachineID: "c3"}}
	for _, tc := range []struct {
		q, want string
		err     error
	}{
		{"a1", "a1", nil}, {"plex", "b2", nil}, {"Plex", "a1", nil}, {"nas", "c3", nil}, {"PLEX", "", &AmbiguousError{}}, {"x", "", ErrNoServers},
	} {
		s, err := Find(list, tc.q)
		switch tc.err.(type) {
		case nil:
			if err != nil || s.MachineID != tc.want {
				t.Errorf("Find(%q) = %q, %v; want %q", tc.q, s.MachineID, err, tc.want)
			}
		case *AmbiguousError:
			var amb *AmbiguousError
			if !errors.As(err, &amb) || len(amb.Matches) != 2 {
				t.Errorf("Find(%q) = %v, want ambiguous between 2", tc.q, err)
			}
		default:
			if !errors.Is(err, tc.err) {
				t.Errorf("Find(%q) = %v, want %v", tc.q, err, tc.err)
			}
		}
	}
}
