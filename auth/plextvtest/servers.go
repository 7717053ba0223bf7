package plextvtest

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RouteResources is GET /resources, the account's servers and players.
const RouteResources = "GET /resources"

// MediaServer is a fake Plex Media Server: listed by GET /resources and, when the Fake
// runs as a Server, answering GET /identity on its own loopback port, only with its own
// access token. Every address it is listed under is loopback: a probe of a "dead" candidate
// hits a closed loopback port, never the network.
type MediaServer struct {
	Name        string
	MachineID   string
	Version     string
	Owned       bool
	Owner       string // sourceTitle: the owner's name, for a server shared with the account
	AccessToken string
	Presence    bool
	// URL is where the server answers (http://127.0.0.1:P); "" for one that never answers.
	URL string

	conns   []map[string]any
	hs, ths *http.Server // plain http; https (hostile Studio only)
	anyPath bool         // answers the identity at any path (hostile)
	// homeTokens: Home user uuid → that user's access token (servers shared in the Home).
	homeTokens map[string]string
	homeConns  []map[string]any // the connections a Home user is given (see startMediaServers)
	mu         sync.Mutex
	hits       map[string]int // path → requests, any token
	requests   []Request
}

// Hits reports how many requests the server received for path.
func (m *MediaServer) Hits(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hits[path]
}

// Default fake servers: one owned, one shared, one offline. Their names appear in README.
const (
	OwnedServerName   = "Living Room"
	SharedServerName  = "Grandma's Plex"
	OfflineServerName = "Old NAS"
	SharedServerOwner = "grandma"
)

// MediaServers returns the fake servers GET /resources lists (none until the Fake serves).
func (f *Fake) MediaServers() []*MediaServer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*MediaServer(nil), f.servers...)
}

// MediaServer returns the fake server with that name, or nil.
func (f *Fake) MediaServer(name string) *MediaServer {
	for _, m := range f.MediaServers() {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ServeMediaServers starts the fake media servers for a Fake used as a plain handler (a
// Server starts them itself) and returns the function that stops them.
func (f *Fake) ServeMediaServers() (stop func(), err error) {
	if err := f.startMediaServers(); err != nil {
		return nil, err
	}
	return f.closeMediaServers, nil
}

// startMediaServers starts the default servers on loopback:
//   - Living Room (owned): its local https uri fails (the server speaks plain http, as when
//     a router blocks *.plex.direct), so the probe falls back to http://address:port; its
//     remote and relay candidates are closed ports.
//   - Grandma's Plex (shared by "grandma"): a local candidate that a client must skip (local
//     addresses of someone else's server are someone else's LAN), an IPv6 candidate on a
//     closed port, and a remote one that answers.
//     It is shared with both Home users (each with an access token of their own).
//   - Old NAS (owned, offline): closed ports, and a remote address that accepts connections
//     and never answers, so a client's probe timeout is exercised.
func (f *Fake) startMediaServers() error {
	living, err := f.newMediaServer(OwnedServerName, true, "")
	if err != nil {
		return err
	}
	grandma, err := f.newMediaServer(SharedServerName, false, SharedServerOwner)
	if err != nil {
		return err
	}
	nas := &MediaServer{Name: OfflineServerName, MachineID: randomString(40, "0123456789abcdef"),
		Version: pmsVersion, Owned: true, AccessToken: randomString(20, alnum), hits: map[string]int{}}
	dead := make([]int, 5)
	for i := range dead {
		if dead[i], err = closedPort(); err != nil {
			return err
		}
	}
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go holdConnections(hang, f.closed)
	hp := hang.Addr().(*net.TCPAddr).Port
	lp, gp := port(living.URL), port(grandma.URL)
	living.conns = []map[string]any{
		conn("https", "127.0.0.1", lp, fmt.Sprintf("https://127.0.0.1:%d", lp), true, false, false),
		conn("https", "127.0.0.1", dead[0], fmt.Sprintf("https://127.0.0.1:%d", dead[0]), false, false, false),
		conn("https", "127.0.0.1", dead[1], fmt.Sprintf("https://127.0.0.1:%d", dead[1]), false, true, false),
	}
	grandma.conns = []map[string]any{
		conn("http", "127.0.0.1", gp, fmt.Sprintf("http://127.0.0.1:%d", gp), true, false, false),
		conn("https", "::1", dead[2], fmt.Sprintf("https://[::1]:%d", dead[2]), false, false, true),
		conn("http", "127.0.0.1", gp, fmt.Sprintf("http://127.0.0.1:%d", gp), false, false, false),
	}
	// A Home user does not own Living Room, so clients skip its local candidates
	// (python-plexapi's preferred_connections does): they get a remote one that answers.
	living.homeConns = []map[string]any{
		living.conns[0],
		conn("http", "127.0.0.1", lp, fmt.Sprintf("http://127.0.0.1:%d", lp), false, false, false),
		living.conns[2],
	}
	living.shareWithHome(&f.managed, &f.protected)
	nas.conns = []map[string]any{
		conn("https", "127.0.0.1", dead[3], fmt.Sprintf("https://127.0.0.1:%d", dead[3]), true, false, false),
		conn("https", "127.0.0.1", hp, fmt.Sprintf("https://127.0.0.1:%d", hp), false, false, false),
		conn("https", "127.0.0.1", dead[4], fmt.Sprintf("https://127.0.0.1:%d", dead[4]), false, true, false),
	}
	f.mu.Lock()
	f.servers = []*MediaServer{living, grandma, nas}
	f.hang = hang
	f.mu.Unlock()
	if f.hostile {
		return f.startHostileServers()
	}
	return nil
}

const pmsVersion = "1.41.3.9314-a0bfb8370"

func (f *Fake) newMediaServer(name string, owned bool, owner string) (*MediaServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &MediaServer{
		Name: name, MachineID: randomString(40, "0123456789abcdef"), Version: pmsVersion,
		Owned: owned, Owner: owner, AccessToken: randomString(20, alnum), Presence: true,
		URL: "http://" + ln.Addr().String(), hits: map[string]int{},
	}
	m.hs = &http.Server{Handler: m, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = m.hs.Serve(ln) }()
	return m, nil
}

func (f *Fake) closeMediaServers() {
	for _, m := range f.MediaServers() {
		if m.hs != nil {
			_ = m.hs.Close()
		}
		if m.ths != nil {
			_ = m.ths.Close()
		}
	}
	f.mu.Lock()
	hang := f.hang
	f.mu.Unlock()
	if hang != nil {
		_ = hang.Close()
	}
}

// holdConnections accepts and then says nothing until the listener closes.
func holdConnections(ln net.Listener, closed <-chan struct{}) {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns = append(conns, c)
		select {
		case <-closed:
			return
		default:
		}
	}
}

// closedPort returns a loopback port that was free a moment ago and is now closed.
func closedPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	p := ln.Addr().(*net.TCPAddr).Port
	return p, ln.Close()
}

func port(u string) int {
	_, hp, _ := strings.Cut(u, "://")
	_, p, _ := net.SplitHostPort(hp)
	n, _ := strconv.Atoi(p)
	return n
}

func conn(proto, addr string, port int, uri string, local, relay, ipv6 bool) map[string]any {
	return map[string]any{"protocol": proto, "address": addr, "port": port, "uri": uri,
		"local": local, "relay": relay, "IPv6": ipv6}
}

// ServeHTTP answers /, /identity and the library paths (library.go) like a Plex Media
// Server, JSON when asked for it and XML otherwise, only with one of the server's tokens
// (header or query parameter): its AccessToken or the access token of a Home user it is
// shared with.
func (m *MediaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == RequestsPath {
		m.serveRequests(w)
		return
	}
	tok := r.Header.Get("X-Plex-Token")
	if tok == "" {
		tok = r.URL.Query().Get("X-Plex-Token")
	}
	m.mu.Lock()
	m.hits[r.URL.Path]++
	m.requests = append(m.requests, Request{URI: r.RequestURI, Token: tok != "", TLS: r.TLS != nil})
	m.mu.Unlock()
	known := r.URL.Path == "/identity" || r.URL.Path == "/" || isLibraryPath(r.URL.Path)
	if !known && !m.anyPath {
		http.NotFound(w, r)
		return
	}
	if !m.accepts(tok) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>")
		return
	}
	if m.serveLibrary(w, r) {
		return
	}
	c := map[string]any{"size": 0, "claimed": true, "machineIdentifier": m.MachineID, "version": m.Version}
	if r.URL.Path == "/" {
		c["friendlyName"] = m.Name
		c["myPlex"] = true
		c["platform"] = "Linux"
		c["platformVersion"] = "6.1.0"
		c["multiuser"] = true
		c["allowSharing"] = m.Owned
	}
	respondPMS(w, r, c)
}

func isLibraryPath(p string) bool { return p == "/library" || strings.HasPrefix(p, "/library/") }

// accepts reports whether tok is one of the server's tokens.
func (m *MediaServer) accepts(tok string) bool {
	if tok == "" {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if tok == m.AccessToken {
		return true
	}
	for _, t := range m.homeTokens {
		if t == tok {
			return true
		}
	}
	return false
}

// AccessTokenFor returns the access token a Home user (by uuid) sends to this server, ""
// when the server is not shared with that user.
func (m *MediaServer) AccessTokenFor(userUUID string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.homeTokens[userUUID]
}

// shareWithHome gives each Home user an access token of their own for this server.
func (m *MediaServer) shareWithHome(users ...*account) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.homeTokens == nil {
		m.homeTokens = map[string]string{}
	}
	for _, u := range users {
		m.homeTokens[u.uuid] = randomString(20, alnum)
	}
}

// resourcesJSON renders GET /resources for the token's account, with every field
// docs/PLEX-TV-TOOLS.md lists. The main account (and the second one) see the media servers
// plus a player, which clients must filter out; a Home user sees only the servers shared
// with them in the Home, each with that user's own access token.
func (f *Fake) resourcesJSON(acct *account) []map[string]any {
	seen := f.now().UTC().Add(-time.Minute).Format(time.RFC3339)
	device := func(m *MediaServer) map[string]any {
		return map[string]any{
			"name": m.Name, "product": "Plex Media Server", "productVersion": m.Version,
			"platform": "Linux", "platformVersion": "6.1.0", "device": "PC",
			"clientIdentifier": m.MachineID, "createdAt": seen, "lastSeenAt": seen,
			"provides": "server", "ownerId": nil, "sourceTitle": nil,
			"publicAddress": "127.0.0.1", "accessToken": m.AccessToken, "owned": m.Owned,
			"home": false, "synced": false, "relay": true, "presence": m.Presence,
			"httpsRequired": false, "publicAddressMatches": true, "dnsRebindingProtection": false,
			"natLoopbackSupported": false, "connections": m.conns,
		}
	}
	out := []map[string]any{}
	if f.inHome(acct) && !acct.admin {
		for _, m := range f.servers {
			if tok := m.AccessTokenFor(acct.uuid); tok != "" {
				d := device(m)
				d["owned"], d["home"], d["ownerId"], d["sourceTitle"] = false, true, f.user.id, f.user.username
				d["accessToken"], d["connections"] = tok, m.homeConns
				out = append(out, d)
			}
		}
		return out
	}
	for _, m := range f.servers {
		d := device(m)
		if !m.Owned {
			d["ownerId"], d["sourceTitle"] = 24681357, m.Owner
		}
		out = append(out, d)
	}
	out = append(out, map[string]any{
		"name": "Firefox", "product": "Plex Web", "productVersion": "4.145.1",
		"platform": "Firefox", "platformVersion": "133.0", "device": "Linux",
		"clientIdentifier": "plexweb-" + f.user.uuid, "createdAt": seen, "lastSeenAt": seen,
		"provides": "client,player,pubsub-player", "ownerId": nil, "sourceTitle": nil,
		"publicAddress": "127.0.0.1", "accessToken": nil, "owned": true, "home": false,
		"synced": false, "relay": false, "presence": false, "httpsRequired": false,
		"publicAddressMatches": true, "dnsRebindingProtection": false,
		"natLoopbackSupported": false, "connections": []any{},
	})
	return out
}
