package plextvtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"time"
)

// WithHostile adds, to the default servers, servers that someone sharing a server with the
// account could set up to trick a client (see startHostileServers). Off by default:
// `plexlink fake-server --hostile`.
func WithHostile() Option { return func(f *Fake) { f.hostile = true } }

// The hostile servers' names. HostileServerName and HostileOwner carry terminal escape
// sequences (retitle, erase line, recolour; C0, C1 and DEL).
const (
	ImpostorServerName = "Impostor"
	ImpostorOwner      = "impostor"
	HostileServerName  = "Evil\x1b]0;pwned\x07 Plex\x1b[2K\u009b31m\x7f"
	HostileOwner       = "mal\x1b[31mlory\u0085\r"
	DualServerName     = "Studio"
)

// Request is what a fake media server was asked: the request URI as sent, whether an
// X-Plex-Token came with it (never the token itself) and whether it came over TLS.
type Request struct {
	URI   string `json:"uri"`
	Token bool   `json:"token"`
	TLS   bool   `json:"tls"`
}

// RequestsPath, on any fake media server, answers the JSON array of Requests it received
// (itself excluded), so a test in another process can see what a client sent.
const RequestsPath = "/_fake/requests"

// Requests returns what the server was asked, in order.
func (m *MediaServer) Requests() []Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Request(nil), m.requests...)
}

func (m *MediaServer) serveRequests(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m.Requests())
}

// HostileCA returns the PEM certificate the hostile https server presents (nil without
// WithHostile, or before the servers start). It is self-signed for 127.0.0.1 and ::1: a
// client that trusts it (SSL_CERT_FILE) gets an https connection that answers.
func (f *Fake) HostileCA() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.hostileCA...)
}

// startHostileServers adds, around the default servers:
//   - Impostor (shared by "impostor"), listed first: it claims Living Room's machine id and
//     answers GET /identity with it, with its own token, at a loopback address.
//   - a server with an escape-laden name and owner, shared, whose connection uri carries a
//     path and a query (http://127.0.0.1:P/admin/do?x=). It answers the identity at any
//     path (so a client that keeps the path would hand it out) and records what it is asked;
//     its plain address is a closed port.
//   - Studio (owned): a local https connection (TLS, HostileCA) and a local plain http one,
//     both answering: a client must not send the token over plain http while https answers.
func (f *Fake) startHostileServers() error {
	living := f.servers[0]
	imp, err := f.newMediaServer(ImpostorServerName, false, ImpostorOwner)
	if err != nil {
		return err
	}
	imp.MachineID = living.MachineID
	ip := port(imp.URL)
	imp.conns = []map[string]any{conn("http", "127.0.0.1", ip, fmt.Sprintf("http://127.0.0.1:%d", ip), false, false, false)}

	evil, err := f.newMediaServer(HostileServerName, false, HostileOwner)
	if err != nil {
		return err
	}
	evil.anyPath = true
	dead, err := closedPort()
	if err != nil {
		return err
	}
	evil.conns = []map[string]any{conn("http", "127.0.0.1", dead, fmt.Sprintf("http://127.0.0.1:%d/admin/do?x=", port(evil.URL)), false, false, false)}

	studio, err := f.newMediaServer(DualServerName, true, "")
	if err != nil {
		return err
	}
	cert, certPEM, err := selfSigned()
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	studio.ths = &http.Server{Handler: studio, ReadHeaderTimeout: 5 * time.Second, ErrorLog: quietLog}
	go func() { _ = studio.ths.Serve(ln) }()
	tp, hp := ln.Addr().(*net.TCPAddr).Port, port(studio.URL)
	studio.URL = fmt.Sprintf("https://127.0.0.1:%d", tp)
	studio.conns = []map[string]any{
		conn("https", "127.0.0.1", tp, studio.URL, true, false, false),
		conn("http", "127.0.0.1", hp, fmt.Sprintf("http://127.0.0.1:%d", hp), true, false, false),
	}

	f.mu.Lock()
	f.servers = append(append([]*MediaServer{imp}, f.servers...), evil, studio)
	f.hostileCA = certPEM
	f.mu.Unlock()
	return nil
}

// quietLog drops the https server's complaints (a plain http request on its port).
var quietLog = log.New(io.Discard, "", 0)

// selfSigned makes a certificate for 127.0.0.1 and ::1 that is its own CA.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "plextvtest hostile media server"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
