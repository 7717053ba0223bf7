// Package servers finds the account's Plex Media Servers and the connection to each that
// works from this machine, much as python-plexapi's MyPlexResource.connect does
// (docs/PLEX-TV-TOOLS.md), but careful with the server's token: https candidates first,
// ranked local → remote → relay; plain http only when no https candidate answered, never
// for a server that requires https, and only to a private or loopback IP address on a
// network this computer is on. Every candidate is reduced to scheme://host:port and asked
// GET /identity with the server's own token.
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
	"codeberg.org/plexlink/plexlink/internal/termtext"
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
	URL         string // the best connection that answered, scheme://host:port; "" when none did
	Token       auth.Token
	Connections []Connection

	resource auth.Resource // what plex.tv listed: Connect probes exactly this one
}

// Connection is one of plex.tv's connections for the server, as probed.
type Connection struct {
	URI          string // reduced to scheme://host:port (plex.tv's text when it is no such URL)
	Local, Relay bool
	OK           bool // its uri or its plain address answered GET /identity
	// Skipped: not tried. Refused (a local address of a server this account does not own,
	// plain http that may not carry the token, a malformed uri) or not needed (an https
	// connection answered).
	Skipped bool
}

// Options say how and where the probe may look. The zero value is what the command line
// uses against the real plex.tv.
type Options struct {
	// Client sends the probes; nil is a client with the system's roots that never sends
	// plain http through a proxy. Redirects are never followed either way.
	Client *http.Client
	// Networks lists the subnets of this computer's network interfaces; nil reads
	// net.Interfaces. Plain http goes only to an address inside one of them.
	Networks func() ([]*net.IPNet, error)
	// LoopbackPlexTV says plex.tv itself answers on loopback (a test's fake): only then
	// may a server someone else owns be probed at a loopback address.
	LoopbackPlexTV bool
}

// IsLoopbackURL reports whether base (plex.tv's API URL) points at this machine.
func IsLoopbackURL(base string) bool {
	u, err := url.Parse(base)
	return err == nil && isLoopback(u.Hostname())
}

// ErrNoServers is returned by Find for a name or id that matches no server.
var ErrNoServers = errors.New("no such server")

// AmbiguousError is a name several servers share, or a machine id that several servers
// someone else shares claim.
type AmbiguousError struct {
	Name    string
	ByID    bool
	Matches []Server
}

func (e *AmbiguousError) Error() string {
	if e.ByID {
		names := make([]string, len(e.Matches))
		for i, s := range e.Matches {
			names[i] = strconv.Quote(termtext.Clean(s.Name))
		}
		return fmt.Sprintf("%d servers claim machine id %q, none of them or several yours; give the name instead (%s)",
			len(e.Matches), termtext.Clean(e.Name), strings.Join(names, ", "))
	}
	ids := make([]string, len(e.Matches))
	for i, s := range e.Matches {
		ids[i] = termtext.Clean(s.MachineID)
	}
	return fmt.Sprintf("%d servers are named %q; give the machine id instead (%s)", len(e.Matches), termtext.Clean(e.Name), strings.Join(ids, ", "))
}

// List returns the servers among resources, in plex.tv's order, without probing.
func List(resources []auth.Resource) []Server {
	var out []Server
	for _, r := range resources {
		if !r.IsServer() {
			continue
		}
		s := Server{Name: r.Name, MachineID: r.ClientIdentifier, Owned: r.Owned, Token: r.AccessToken, resource: r}
		if !r.Owned {
			s.Owner = r.SourceTitle
		}
		for _, c := range r.Connections {
			uri := c.URI
			if o, ok := reduce(c.URI); ok {
				uri = o.String()
			}
			s.Connections = append(s.Connections, Connection{URI: uri, Local: c.Local, Relay: c.Relay})
		}
		out = append(out, s)
	}
	return out
}

// Find picks the server with that machine id or named name (exactly, then ignoring case).
// A machine id is not proof: a server someone shares can claim yours. Of several servers
// with one machine id, the one this account owns is the one meant.
func Find(list []Server, name string) (Server, error) {
	var byID, owned []Server
	for _, s := range list {
		if s.MachineID == name {
			byID = append(byID, s)
			if s.Owned {
				owned = append(owned, s)
			}
		}
	}
	switch {
	case len(byID) == 1:
		return byID[0], nil
	case len(owned) == 1:
		return owned[0], nil
	case len(byID) > 1:
		return Server{}, &AmbiguousError{Name: name, ByID: true, Matches: byID}
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

// origin is a connection reduced to what the probe may use: scheme, host and port.
type origin struct {
	scheme, host string
	port         int
}

func (o origin) String() string {
	return o.scheme + "://" + net.JoinHostPort(o.host, strconv.Itoa(o.port))
}

// reduce turns a connection URI into scheme://host:port: no user info, path, query or
// fragment (a server's path would change what is requested and handed out), and the
// scheme's default port written out. Only http and https are kept.
func reduce(raw string) (origin, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Opaque != "" {
		return origin{}, false
	}
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname())}
	if o.host == "" || strings.ContainsAny(o.host, "%/ ") {
		return origin{}, false
	}
	switch p := u.Port(); {
	case p != "":
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return origin{}, false
		}
		o.port = n
	case o.scheme == "https":
		o.port = 443
	case o.scheme == "http":
		o.port = 80
	}
	if o.scheme != "http" && o.scheme != "https" {
		return origin{}, false
	}
	return o, true
}

// class ranks a connection: local, then remote, then relay.
func class(c auth.Connection) int {
	switch {
	case c.Relay:
		return 2
	case c.Local:
		return 0
	default:
		return 1
	}
}

// candidate is one URL to try, the connection it belongs to and its rank.
type candidate struct {
	url   string
	conn  int
	https bool
	class int
}

// candidates lists, in order of preference, where the server may be asked for: its https
// candidates by class, then its plain http ones by class. A shared server's local
// connections are someone else's LAN and are left out, as are loopback addresses of a
// server this account does not own (unless plex.tv is itself on loopback). Plain http,
// which shows the token to every machine on the way, goes only to a private or loopback
// IP literal on one of nets, and never for a server with httpsRequired.
func (o Options) candidates(r auth.Resource, nets []*net.IPNet) []candidate {
	var https, plain []candidate
	seen := map[string]bool{}
	for cl := 0; cl <= 2; cl++ {
		for i, c := range r.Connections {
			if class(c) != cl || c.Local && !r.Owned {
				continue
			}
			raws := []string{c.URI}
			if c.Address != "" && c.Port > 0 {
				raws = append(raws, "http://"+net.JoinHostPort(c.Address, strconv.Itoa(c.Port)))
			}
			for _, raw := range raws {
				u, ok := reduce(raw)
				if !ok || seen[u.String()] || !o.allowed(u, r, nets) {
					continue
				}
				seen[u.String()] = true
				cand := candidate{url: u.String(), conn: i, https: u.scheme == "https", class: cl}
				if cand.https {
					https = append(https, cand)
				} else {
					plain = append(plain, cand)
				}
			}
		}
	}
	return append(https, plain...)
}

func (o Options) allowed(u origin, r auth.Resource, nets []*net.IPNet) bool {
	ip := net.ParseIP(u.host)
	if isLoopback(u.host) && !r.Owned && !o.LoopbackPlexTV {
		return false
	}
	if u.scheme == "https" {
		return true
	}
	return !r.HTTPSRequired && ip != nil && (ip.IsPrivate() || ip.IsLoopback()) && onNetwork(ip, nets)
}

func isLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

func onNetwork(ip net.IP, nets []*net.IPNet) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// interfaceNetworks lists the subnets of this computer's interfaces (lo's 127.0.0.0/8 too).
func interfaceNetworks() ([]*net.IPNet, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []*net.IPNet
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

func (o Options) networks() []*net.IPNet {
	get := o.Networks
	if get == nil {
		get = interfaceNetworks
	}
	nets, err := get()
	if err != nil {
		return nil // no plain http at all
	}
	return nets
}

// defaultClient never sends plain http through a proxy: the probe's plain http goes only
// to this computer's own networks, and a proxy would see the token.
var defaultClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		if r.URL.Scheme != "https" {
			return nil, nil
		}
		return http.ProxyFromEnvironment(r)
	}
	return &http.Client{Transport: t}
}()

// Probe lists the servers among resources and finds each one's URL, all servers in
// parallel. With all, every https candidate is tried at once (so Connections say which
// work), and every allowed plain http one when none answered; without, a server is
// settled class by class as soon as its best-ranked answering candidate is known.
func Probe(ctx context.Context, o Options, resources []auth.Resource, all bool) []Server {
	list := List(resources)
	nets := o.networks()
	var wg sync.WaitGroup
	for i := range list {
		wg.Add(1)
		go func(s *Server) {
			defer wg.Done()
			o.probe(ctx, s, nets, all)
		}(&list[i])
	}
	wg.Wait()
	return list
}

// Connect probes s, the server List or Find returned, and returns it with its URL ("" when
// nothing answered) and what each connection did.
func Connect(ctx context.Context, o Options, s Server) Server {
	s.Connections = append([]Connection(nil), s.Connections...)
	o.probe(ctx, &s, o.networks(), false)
	return s
}

func (o Options) probe(ctx context.Context, s *Server, nets []*net.IPNet, all bool) {
	s.URL = ""
	cands := o.candidates(s.resource, nets)
	tried := make([]bool, len(s.Connections))
	defer func() {
		for i := range s.Connections {
			s.Connections[i].Skipped = !tried[i]
		}
	}()
	// Phases: https by class (all https at once with all), then plain http.
	var phases [][]candidate
	for _, c := range cands {
		last := len(phases) - 1
		if last < 0 || c.https != phases[last][0].https || !all && c.https && c.class != phases[last][0].class {
			phases = append(phases, nil)
			last++
		}
		phases[last] = append(phases[last], c)
	}
	// An address that took a TLS connection and then said nothing will not answer plain
	// http either: waiting for it twice would double the time a dead server costs.
	silent := map[string]bool{}
	for _, ph := range phases {
		var run []candidate
		for _, c := range ph {
			if !c.https && silent[hostPort(c.url)] {
				continue
			}
			tried[c.conn] = true
			run = append(run, c)
		}
		if i := o.race(ctx, s, run, all, silent); i >= 0 {
			s.URL = run[i].url
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func hostPort(u string) string {
	_, hp, _ := strings.Cut(u, "://")
	return hp
}

// race probes cands in parallel and returns the index of the best-ranked one that
// answered (-1 if none), noting in silent the addresses that never answered. Without all
// it stops as soon as the best answer is known.
func (o Options) race(ctx context.Context, s *Server, cands []candidate, all bool, silent map[string]bool) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i int
		r outcome
	}
	results := make(chan result, len(cands))
	for i, c := range cands {
		go func() { results <- result{i, o.identify(ctx, c.url, s.resource)} }()
	}
	done := make([]bool, len(cands))
	ok := make([]bool, len(cands))
	for range cands {
		res := <-results
		done[res.i], ok[res.i] = true, res.r == answered
		if res.r == answered {
			s.Connections[cands[res.i].conn].OK = true
		}
		if res.r == silence {
			silent[hostPort(cands[res.i].url)] = true
		}
		if !all && settled(done, ok) {
			break
		}
	}
	for i := range cands {
		if ok[i] {
			return i
		}
	}
	return -1
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

type outcome int

const (
	failed   outcome = iota
	answered         // the server plex.tv described, at that address
	silence          // no answer within ProbeTimeout
)

// identify asks base (scheme://host:port) for the server's identity with the server's
// token. Only the server plex.tv described counts: another machine answering at that
// address (a reused LAN address, a captive portal) is not it.
func (o Options) identify(parent context.Context, base string, r auth.Resource) outcome {
	ctx, cancel := context.WithTimeout(parent, ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/identity", nil)
	if err != nil {
		return failed
	}
	req.Header.Set("Accept", "application/json")
	if !r.AccessToken.IsZero() {
		req.Header.Set("X-Plex-Token", r.AccessToken.Reveal())
	}
	c := *defaultClient
	if o.Client != nil {
		c = *o.Client
	}
	// A redirect would carry the token to wherever it points.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		if parent.Err() == nil && ctx.Err() != nil {
			return silence
		}
		return failed
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return failed
	}
	var id struct {
		MediaContainer struct {
			MachineIdentifier string `json:"machineIdentifier"`
		} `json:"MediaContainer"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&id) != nil || id.MediaContainer.MachineIdentifier != r.ClientIdentifier {
		return failed
	}
	return answered
}
