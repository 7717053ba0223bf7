package servers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// fakeOptions probe the fake plex.tv's servers, all on loopback.
var fakeOptions = Options{LoopbackPlexTV: true}

// nets returns a fixed list of this computer's networks.
func nets(cidrs ...string) func() ([]*net.IPNet, error) {
	return func() ([]*net.IPNet, error) {
		var out []*net.IPNet
		for _, c := range cidrs {
			_, n, err := net.ParseCIDR(c)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
}

// recorder is a RoundTripper that dials nothing: it notes each URL asked for and fails.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.urls = append(r.urls, req.URL.String())
	return nil, errors.New("recorder: not dialing")
}

func urls(cs []candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.url)
	}
	return out
}

func TestCandidatesHTTPSFirstByClassThenPlainHTTPOnThisNetworkOnly(t *testing.T) {
	conns := []auth.Connection{
		{Protocol: "https", Address: "203.0.113.9", Port: 443, URI: "https://relay.example.plex.direct:443", Relay: true},
		{Protocol: "https", Address: "198.51.100.7", Port: 32400, URI: "https://198-51-100-7.abc.plex.direct:32400"},
		{Protocol: "https", Address: "192.168.1.5", Port: 32400, URI: "https://192-168-1-5.abc.plex.direct:32400", Local: true},
		{Protocol: "http", Address: "10.9.9.9", Port: 32400, URI: "http://10.9.9.9:32400", Local: true},       // private, not this network
		{Protocol: "http", Address: "nas.lan", Port: 32400, URI: "http://nas.lan:32400", Local: true},         // a name: never http
		{Protocol: "http", Address: "192.168.1.6", Port: 32400, URI: "http://192.168.1.6:32400"},              // remote flag, but this network
		{Protocol: "http", Address: "198.51.100.8", Port: 32400, URI: "http://198.51.100.8:32400"},            // public: never http
		{Protocol: "http", Address: "100.64.1.1", Port: 32400, URI: "http://100.64.1.1:32400"},                // CGNAT: not private
		{Protocol: "http", Address: "169.254.1.1", Port: 32400, URI: "http://169.254.1.1:32400", Local: true}, // link-local
	}
	o := Options{}
	home := []*net.IPNet{mustNet(t, "192.168.1.0/24"), mustNet(t, "127.0.0.0/8"), mustNet(t, "100.64.0.0/10"), mustNet(t, "169.254.0.0/16")}
	owned := o.candidates(auth.Resource{Owned: true, Connections: conns}, home)
	want := []string{
		"https://192-168-1-5.abc.plex.direct:32400", // https, local → remote → relay
		"https://198-51-100-7.abc.plex.direct:32400",
		"https://relay.example.plex.direct:443",
		"http://192.168.1.5:32400", // then plain http, only to this computer's private networks
		"http://192.168.1.6:32400",
	}
	if got := urls(owned); !reflect.DeepEqual(got, want) {
		t.Errorf("owned server candidates\n got %q\nwant %q", got, want)
	}
	if owned[0].conn != 2 || owned[1].conn != 1 || owned[2].conn != 0 || owned[3].conn != 2 || owned[4].conn != 5 {
		t.Errorf("candidates point at the wrong connections: %+v", owned)
	}
	// Away from home (a café's 192.168.1.0/24 is not this one's): plex.tv's "local" flag is
	// about the server's network, so no plain http at all.
	cafe := o.candidates(auth.Resource{Owned: true, Connections: conns}, []*net.IPNet{mustNet(t, "10.0.0.0/24")})
	if got := urls(cafe); !reflect.DeepEqual(got, want[:3]) {
		t.Errorf("on another network\n got %q\nwant %q", got, want[:3])
	}
	if got := urls(o.candidates(auth.Resource{Owned: true, HTTPSRequired: true, Connections: conns}, home)); !reflect.DeepEqual(got, want[:3]) {
		t.Errorf("httpsRequired: plain http must not be a candidate\n got %q", got)
	}
	shared := o.candidates(auth.Resource{Owned: false, Connections: conns}, home)
	if got := urls(shared); !reflect.DeepEqual(got, []string{want[1], want[2], want[4]}) {
		t.Errorf("shared server: local connections must be skipped\n got %q", got)
	}
}

func TestCandidatesReduceURIsAndRefuseOthersLoopback(t *testing.T) {
	lo := []*net.IPNet{mustNet(t, "127.0.0.0/8")}
	conns := []auth.Connection{
		{URI: "ftp://x:1"}, {URI: "::not a url"}, {URI: "http://127.0.0.1:9/"}, {URI: "http://127.0.0.1:9"},
		{URI: "http://user:pw@127.0.0.1:10/admin/do?x=#frag"}, {URI: "HTTPS://Host.Example:443/p"},
		{URI: "https://h.example"}, {URI: "http://127.0.0.1:99999"}, {URI: "https://localhost:8443"},
	}
	want := []string{"https://host.example:443", "https://h.example:443", "https://localhost:8443", "http://127.0.0.1:9", "http://127.0.0.1:10"}
	if got := urls(Options{}.candidates(auth.Resource{Owned: true, Connections: conns}, lo)); !reflect.DeepEqual(got, want) {
		t.Errorf("owned\n got %q\nwant %q", got, want)
	}
	// Someone else's server at a loopback address would make this computer probe its own
	// services: refused, unless plex.tv is itself the loopback fake.
	if got := urls(Options{}.candidates(auth.Resource{Connections: conns}, lo)); !reflect.DeepEqual(got, want[:2]) {
		t.Errorf("shared, real plex.tv\n got %q\nwant %q", got, want[:2])
	}
	if got := urls(Options{LoopbackPlexTV: true}.candidates(auth.Resource{Connections: conns}, lo)); !reflect.DeepEqual(got, want) {
		t.Errorf("shared, plex.tv on loopback\n got %q\nwant %q", got, want)
	}
	for raw, want := range map[string]string{
		"https://[::1]:32400/x": "https://[::1]:32400", "http://10.0.0.2": "http://10.0.0.2:80",
		"https://a.plex.direct:32400?X-Plex-Token=t": "https://a.plex.direct:32400",
	} {
		if o, ok := reduce(raw); !ok || o.String() != want {
			t.Errorf("reduce(%q) = %q, %t; want %q", raw, o, ok, want)
		}
	}
	for _, raw := range []string{"", "https://", "https://[fe80::1%25eth0]:1", "mailto:a@b", "http://h:0", "javascript:alert(1)"} {
		if o, ok := reduce(raw); ok {
			t.Errorf("reduce(%q) = %q, want refused", raw, o)
		}
	}
}

func mustNet(t *testing.T, cidr string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A public address, a name and a private address off this computer's networks never get
// plain http, whatever plex.tv says; the probe's requests are recorded, nothing is dialed.
func TestProbeNeverSendsPlainHTTPOffThisNetwork(t *testing.T) {
	rec := &recorder{}
	res := []auth.Resource{{
		Name: "Far", ClientIdentifier: "far", Provides: "server", Owned: true, AccessToken: "tok-far",
		Connections: []auth.Connection{
			{Protocol: "https", Address: "198.51.100.7", Port: 32400, URI: "https://198-51-100-7.abc.plex.direct:32400"},
			{Protocol: "http", Address: "198.51.100.7", Port: 32400, URI: "http://198.51.100.7:32400/"},
			{Protocol: "http", Address: "192.168.1.5", Port: 32400, URI: "http://192.168.1.5:32400", Local: true},
			{Protocol: "http", Address: "nas.lan", Port: 32400, URI: "http://nas.lan:32400", Local: true},
		},
	}}
	list := Probe(context.Background(), Options{Client: &http.Client{Transport: rec}, Networks: nets("10.0.0.0/8")}, res, true)
	if want := []string{"https://198-51-100-7.abc.plex.direct:32400/identity"}; !reflect.DeepEqual(rec.urls, want) {
		t.Errorf("requests %q, want only %q", rec.urls, want)
	}
	if s := list[0]; s.URL != "" || s.Connections[0].Skipped || !s.Connections[1].Skipped || !s.Connections[2].Skipped {
		t.Errorf("probed %+v", s)
	}
}

// pms is a fake media server: /identity with its own token answers its machine id. It
// records what it is asked, and whether the token came with it.
type pms struct {
	id, tok string
	mu      sync.Mutex
	reqs    []string // request URIs
	tokens  int      // requests that carried a token
}

func (p *pms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.reqs = append(p.reqs, r.RequestURI)
	if r.Header.Get("X-Plex-Token") != "" {
		p.tokens++
	}
	p.mu.Unlock()
	if r.URL.Path != "/identity" || r.Header.Get("X-Plex-Token") != p.tok {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"MediaContainer": map[string]any{"machineIdentifier": p.id}})
}

func (p *pms) seen() ([]string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.reqs...), p.tokens
}

func conn(u string, local bool) auth.Connection {
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"))
	n, _ := strconv.Atoi(port)
	return auth.Connection{Protocol: strings.SplitN(u, ":", 2)[0], Address: host, Port: n, URI: u, Local: local}
}

// tlsAndPlain starts one server behind an https listener (which answers only when ok) and
// a plain http one, both on loopback, and the resource plex.tv would list for it.
func tlsAndPlain(t *testing.T, httpsAnswers, httpsRequired bool) (*httptest.Server, *pms, *httptest.Server, *pms, auth.Resource) {
	t.Helper()
	tp, pp := &pms{id: "studio", tok: "tok-studio"}, &pms{id: "studio", tok: "tok-studio"}
	if !httpsAnswers {
		tp.tok = "something else"
	}
	ts := httptest.NewTLSServer(tp)
	t.Cleanup(ts.Close)
	ps := httptest.NewServer(pp)
	t.Cleanup(ps.Close)
	r := auth.Resource{Name: "Studio", ClientIdentifier: "studio", Provides: "server", Owned: true,
		AccessToken: "tok-studio", HTTPSRequired: httpsRequired,
		Connections: []auth.Connection{conn(ps.URL, true), conn(ts.URL, false)}}
	return ts, tp, ps, pp, r
}

func TestHTTPSAnsweringMeansNoTokenOverPlainHTTP(t *testing.T) {
	for _, all := range []bool{false, true} {
		ts, tp, _, pp, r := tlsAndPlain(t, true, false)
		o := Options{Client: ts.Client(), Networks: nets("127.0.0.0/8")}
		var s Server
		if all {
			s = Probe(context.Background(), o, []auth.Resource{r}, true)[0]
		} else {
			s = Connect(context.Background(), o, List([]auth.Resource{r})[0])
		}
		if s.URL != ts.URL {
			t.Errorf("all=%t: url %q, want the https one %q", all, s.URL, ts.URL)
		}
		if reqs, _ := pp.seen(); len(reqs) != 0 {
			t.Errorf("all=%t: the plain http connection was asked %q while https answered", all, reqs)
		}
		if reqs, _ := tp.seen(); !reflect.DeepEqual(reqs, []string{"/identity"}) {
			t.Errorf("all=%t: https server saw %q", all, reqs)
		}
		if c := s.Connections; all && (!c[0].Skipped || c[0].OK || !c[1].OK || c[1].Skipped) {
			t.Errorf("all=%t: connections %+v; want the http one skipped and the https one ok", all, c)
		}
	}
}

func TestPlainHTTPOnlyWhenHTTPSFailedAndNotRequired(t *testing.T) {
	ts, _, ps, pp, r := tlsAndPlain(t, false, false)
	o := Options{Client: ts.Client(), Networks: nets("127.0.0.0/8")}
	if s := Connect(context.Background(), o, List([]auth.Resource{r})[0]); s.URL != ps.URL {
		t.Errorf("https refused: url %q, want the plain http fallback %q", s.URL, ps.URL)
	}
	if reqs, _ := pp.seen(); !reflect.DeepEqual(reqs, []string{"/identity"}) {
		t.Errorf("plain server saw %q", reqs)
	}

	ts, _, _, pp, r = tlsAndPlain(t, false, true)
	o.Client = ts.Client()
	if s := Probe(context.Background(), o, []auth.Resource{r}, true)[0]; s.URL != "" || !s.Connections[0].Skipped {
		t.Errorf("httpsRequired: %+v; want no url and the http connection skipped", s)
	}
	if reqs, tokens := pp.seen(); len(reqs) != 0 || tokens != 0 {
		t.Errorf("httpsRequired, yet the plain server saw %q", reqs)
	}

	// The same server on loopback, but loopback is not among this computer's networks.
	ts, _, _, pp, r = tlsAndPlain(t, false, false)
	o = Options{Client: ts.Client(), Networks: nets("192.168.1.0/24")}
	if s := Connect(context.Background(), o, List([]auth.Resource{r})[0]); s.URL != "" {
		t.Errorf("off this computer's networks: url %q", s.URL)
	}
	if reqs, _ := pp.seen(); len(reqs) != 0 {
		t.Errorf("off this computer's networks, yet the plain server saw %q", reqs)
	}
}

func TestProbeRequestsOnlyIdentityAndHandsOutTheOrigin(t *testing.T) {
	p := &pms{id: "pathy", tok: "tok-pathy"}
	srv := httptest.NewServer(p)
	defer srv.Close()
	r := auth.Resource{Name: "Pathy", ClientIdentifier: "pathy", Provides: "server", AccessToken: "tok-pathy",
		Connections: []auth.Connection{{Protocol: "http", Address: "", URI: "http://u:pw@" + srv.Listener.Addr().String() + "/admin/do?x=#f"}}}
	s := Connect(context.Background(), Options{LoopbackPlexTV: true, Networks: nets("127.0.0.0/8")}, List([]auth.Resource{r})[0])
	if s.URL != srv.URL || s.Connections[0].URI != srv.URL {
		t.Errorf("url %q, connection %q; want both %q", s.URL, s.Connections[0].URI, srv.URL)
	}
	if reqs, _ := p.seen(); !reflect.DeepEqual(reqs, []string{"/identity"}) {
		t.Errorf("server was asked %q, want exactly /identity", reqs)
	}
}

// A server someone shares may claim your server's machine id and be listed first. Asked by
// id, your own server is meant; asked by name, the name decides; and the server picked is
// the one probed, so its token never goes with another's URL.
func TestDuplicateMachineIDOwnedWinsAndThePickedServerIsProbed(t *testing.T) {
	mine, impostor := &pms{id: "m1", tok: "tok-mine"}, &pms{id: "m1", tok: "tok-impostor"}
	ms, is := httptest.NewServer(mine), httptest.NewServer(impostor)
	defer ms.Close()
	defer is.Close()
	res := []auth.Resource{
		{Name: "Impostor", ClientIdentifier: "m1", Provides: "server", AccessToken: "tok-impostor", Connections: []auth.Connection{conn(is.URL, false)}},
		{Name: "Mine", ClientIdentifier: "m1", Provides: "server", Owned: true, AccessToken: "tok-mine", Connections: []auth.Connection{conn(ms.URL, true)}},
	}
	o := Options{LoopbackPlexTV: true, Networks: nets("127.0.0.0/8")}
	list := List(res)
	for q, want := range map[string]string{"m1": ms.URL, "Mine": ms.URL, "mine": ms.URL, "Impostor": is.URL} {
		s, err := Find(list, q)
		if err != nil {
			t.Fatalf("Find(%q): %v", q, err)
		}
		got := Connect(context.Background(), o, s)
		if got.URL != want || (want == ms.URL) != (got.Token == "tok-mine") {
			t.Errorf("--server %q: url %q with %s's token; want %q", q, got.URL, got.Name, want)
		}
	}
	_, err := Find(List(res[:1:1]), "m1")
	if err != nil {
		t.Errorf("one server with the id: %v", err)
	}
	twoShared := List([]auth.Resource{res[0], res[0]})
	twoShared[1].Name = "Impostor 2"
	var amb *AmbiguousError
	if _, err := Find(twoShared, "m1"); !errors.As(err, &amb) || !amb.ByID || !strings.Contains(err.Error(), "Impostor 2") {
		t.Errorf("two shared servers claiming one id: %v, want an AmbiguousError naming them", err)
	}
}

func TestErrorsNameServersWithoutControlCharacters(t *testing.T) {
	list := []Server{{Name: "E\x1b]0;x\x07vil", MachineID: "a\x1b[2J"}, {Name: "e\x1b]0;x\x07vil", MachineID: "b\u009b"}}
	_, err := Find(list, "E\x1b]0;X\x07VIL")
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07\u009b") {
		t.Errorf("ambiguous error %q carries control characters", err)
	}
}

func TestSilentHTTPSAddressIsNotAskedAgainOverHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	accepted := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			defer c.Close()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	r := auth.Resource{Name: "Hang", ClientIdentifier: "hang", Provides: "server", Owned: true, AccessToken: "t",
		Connections: []auth.Connection{{Address: "127.0.0.1", Port: addr.Port, URI: "https://" + addr.String(), Local: true}}}
	start := time.Now()
	s := Probe(context.Background(), Options{Networks: nets("127.0.0.0/8")}, []auth.Resource{r}, true)[0]
	if d := time.Since(start); s.URL != "" || d > ProbeTimeout+time.Second {
		t.Errorf("url %q after %s; a silent server must cost one probe timeout", s.URL, d)
	}
	mu.Lock()
	defer mu.Unlock()
	if accepted != 1 {
		t.Errorf("%d connections; the silent https address must not be asked again over http", accepted)
	}
}

// The hostile fake plex.tv, in process, with its https server's certificate trusted.
func TestProbeHostileFake(t *testing.T) {
	srv, res := fakeResources(t, plextvtest.WithHostile())
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.HostileCA())
	o := Options{LoopbackPlexTV: true, Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	list := List(res)
	living := srv.MediaServer(plextvtest.OwnedServerName)
	for _, q := range []string{plextvtest.OwnedServerName, living.MachineID} {
		s := Connect(context.Background(), o, mustFind(t, list, q))
		if s.Name != plextvtest.OwnedServerName || s.Token.Reveal() != living.AccessToken || s.URL != living.URL {
			t.Errorf("--server %q: %s at %q", q, s.Name, s.URL)
		}
	}
	evil := srv.MediaServer(plextvtest.HostileServerName)
	if s := Connect(context.Background(), o, mustFind(t, list, plextvtest.HostileServerName)); s.URL != evil.URL {
		t.Errorf("the server with a path in its uri: url %q, want %q", s.URL, evil.URL)
	}
	if got := evil.Requests(); len(got) != 1 || got[0].URI != "/identity" {
		t.Errorf("the server with a path in its uri was asked %+v", got)
	}
	studio := srv.MediaServer(plextvtest.DualServerName)
	all := Probe(context.Background(), o, res, true)
	if s := all[len(all)-1]; s.URL != studio.URL || !s.Connections[0].OK || !s.Connections[1].Skipped {
		t.Errorf("Studio: %+v", s)
	}
	for _, r := range studio.Requests() {
		if r.Token && !r.TLS {
			t.Errorf("Studio got a token over plain http (%s) while its https connection answers", r.URI)
		}
	}
}
