package plextvtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"testing"
)

func TestHostileServers(t *testing.T) {
	srv := NewServer(WithHostile())
	defer srv.Close()
	ms := srv.MediaServers()
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	want := []string{ImpostorServerName, OwnedServerName, SharedServerName, OfflineServerName, HostileServerName, DualServerName}
	if len(names) != len(want) {
		t.Fatalf("servers %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("servers %q, want %q", names, want)
		}
	}
	if ms[0].MachineID != ms[1].MachineID || ms[0].AccessToken == ms[1].AccessToken {
		t.Error("the impostor must claim Living Room's machine id, with a token of its own")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.HostileCA()) {
		t.Fatal("HostileCA is no PEM certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	studio := srv.MediaServer(DualServerName)
	req, _ := http.NewRequest(http.MethodGet, studio.URL+"/identity", nil)
	req.Header.Set("X-Plex-Token", studio.AccessToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("Studio over https: HTTP %d", resp.StatusCode)
	}
	resp, err = http.Get(ms[4].URL + RequestsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reqs []Request
	if err := json.NewDecoder(resp.Body).Decode(&reqs); err != nil || len(reqs) != 0 {
		t.Errorf("a fresh server's requests: %v %v", reqs, err)
	}
	if got := studio.Requests(); len(got) != 1 || got[0] != (Request{URI: "/identity", Token: true, TLS: true}) {
		t.Errorf("Studio's requests %+v", got)
	}
	plain := NewServer()
	defer plain.Close()
	if plain.HostileCA() != nil || len(plain.MediaServers()) != 3 {
		t.Error("hostile servers without WithHostile")
	}
}
