// Package servers finds the account's Plex Media Servers and the connection to each that
// works from this machine, the way python-plexapi's MyPlexResource.connect does: candidates
// ranked local → remote → relay, each connection's uri before its plain address, probed in
// parallel with GET /identity and the server's own token (docs/PLEX-TV-TOOLS.md).
package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
)

// ProbeTimeout bounds one GET /identity: a server that has not answered by then is, for
// a script about to use it, not reachable.
const ProbeTimeout = 3 * time.Second

// Server is a media server and what the probe found.
type Server struct {
	Name        string
	MachineID   string
	Owned       bool
	Owner       string // who shared it; "" for the account's own servers
	URL         string // the best connection that answered; "" when none did
	Token       auth.Token
	Connections []Connection
}

// Connection is one of plex.tv's connections for the server, as probed.
type Connection struct {
	URI          string
	Local, Relay bool
	OK           bool // its uri or its plain address answered GET /identity
	Skipped      bool // not tried: the local address of a server this account does not own
}

// ErrNoServers is returned by Find for a name or id that matches no server.
var ErrNoServers = errors.New("no such server")

// AmbiguousError is a name several servers share.
type AmbiguousError struct {
	Name    string
	Matches []Server
}

func (e *AmbiguousError) Error() string {
	ids := make([]string, len(e.Matches))
	for i, s := range e.Matches {
		ids[i] = s.MachineID
	}
	return fmt.Sprintf("%d servers are named %q; give the machine id instead (%s)", len(e.Matches), e.Name, strings.Join(ids, ", "))
}

// List returns the servers among resources, in plex.tv's order, without probing.
func List(resources []auth.Resource) []Server {
	var out []Server
	for _, r := range resources {
		if !r.IsServer() {
			continue
		}
		s := Server{Name: r.Name, MachineID: r.ClientIdentifier, Owned: r.Owned, Token: r.AccessToken}
		if !r.Owned {
			s.Owner = r.SourceTitle
		}
		for _, c := range r.Connections {
			s.Connections = append(s.Connections, Connection{URI: c.URI, Local: c.Local, Relay: c.Relay, Skipped: c.Local && !r.Owned})
		}
		out = append(out, s)
	}
	return out
}

// Find picks the server named name (exactly, then ignoring case) or with that machine id.
func Find(list []Server, name string) (Server, error) {
	for _, s := range list {
		if s.MachineID == name {
			return s, nil
		}
	}
	for _, exact := range []bool{true, false} {
		var m []Server
		for _, s := range list {
			if s.Name == name || !exact && strings.EqualFold(s.Name, name) {
				m = append(m, s)
			}
		}
		switch {
		case len(m) == 1:
			return m[0], nil
		case len(m) > 1:
			return Server{}, &AmbiguousError{Name: name, Matches: m}
		}
	}
	return Server{}, fmt.Errorf("%w named %q", ErrNoServers, name)
}

// candidate is one URL to try and the connection it belongs to.
type candidate struct {
	url  string
	conn int
}

// candidates ranks where to look for the server. Plain http goes only to a local (LAN)
// connection or loopback: anything else would send the server's token over the internet
// in clear text.
func candidates(r auth.Resource) []candidate {
	rank := func(c auth.Connection) int {
		switch {
		case c.Relay:
			return 2
		case c.Local:
			return 0
		default:
			return 1
		}
	}
	var out []candidate
	seen := map[string]bool{}
	add := func(u string, i int, c auth.Connection) {
		u = strings.TrimRight(u, "/")
		p, err := url.Parse(u)
		if u == "" || err != nil || p.Host == "" || seen[u] {
			return
		}
		switch p.Scheme {
		case "https":
		case "http":
			if !c.Local && !isLoopback(p.Hostname()) {
				return
			}
		default:
			return
		}
		seen[u] = true
		out = append(out, candidate{url: u, conn: i})
	}
	for tier := 0; tier <= 2; tier++ {
		for i, c := range r.Connections {
			if rank(c) != tier || c.Local && !r.Owned {
				continue
			}
			add(c.URI, i, c)
			if c.Address != "" && c.Port > 0 {
				add("http://"+net.JoinHostPort(c.Address, strconv.Itoa(c.Port)), i, c)
			}
		}
	}
	return out
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}

// Probe lists the servers among resources and finds each one's URL, all in parallel.
// With all, every candidate is tried (so Connections say which work); without, a server is
// settled as soon as its best-ranked answering candidate is known.
func Probe(ctx context.Context, hc *http.Client, resources []auth.Resource, all bool) []Server {
	list := List(resources)
	var wg sync.WaitGroup
	i := 0
	for _, r := range resources {
		if !r.IsServer() {
			continue
		}
		wg.Add(1)
		go func(s *Server, r auth.Resource) {
			defer wg.Done()
			probeOne(ctx, hc, s, r, all)
		}(&list[i], r)
		i++
	}
	wg.Wait()
	return list
}

// URLOf probes one server and returns its best URL ("" when nothing answered).
func URLOf(ctx context.Context, hc *http.Client, resources []auth.Resource, machineID string) string {
	for _, r := range resources {
		if r.IsServer() && r.ClientIdentifier == machineID {
			s := List([]auth.Resource{r})[0]
			probeOne(ctx, hc, &s, r, false)
			return s.URL
		}
	}
	return ""
}

func probeOne(ctx context.Context, hc *http.Client, s *Server, r auth.Resource, all bool) {
	cands := candidates(r)
	if len(cands) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i  int
		ok bool
	}
	results := make(chan result, len(cands))
	for i, c := range cands {
		go func() { results <- result{i, identify(ctx, hc, c.url, r)} }()
	}
	done := make([]bool, len(cands))
	ok := make([]bool, len(cands))
	for range cands {
		res := <-results
		done[res.i], ok[res.i] = true, res.ok
		if res.ok {
			s.Connections[cands[res.i].conn].OK = true
		}
		if !all && settled(done, ok) {
			break
		}
	}
	for i, c := range cands {
		if ok[i] {
			s.URL = c.url
			return
		}
	}
}

// settled reports whether the best-ranked answer is known: some candidate answered and
// every better-ranked one has failed.
func settled(done, ok []bool) bool {
	for i := range done {
		if !done[i] {
			return false
		}
		if ok[i] {
			return true
		}
	}
	return true
}

// identify asks base for the server's identity with the server's token. Only the server
// plex.tv described counts: another machine answering at that address (a reused LAN
// address, a captive portal) is not it.
func identify(ctx context.Context, hc *http.Client, base string, r auth.Resource) bool {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/identity", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", "application/json")
	if !r.AccessToken.IsZero() {
		req.Header.Set("X-Plex-Token", r.AccessToken.Reveal())
	}
	c := http.Client{}
	if hc != nil {
		c = *hc
	}
	// A redirect would carry the token to wherever it points.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var id struct {
		MediaContainer struct {
			MachineIdentifier string `json:"machineIdentifier"`
		} `json:"MediaContainer"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&id) != nil {
		return false
	}
	return id.MediaContainer.MachineIdentifier == r.ClientIdentifier
}
