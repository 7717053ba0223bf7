package main

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// fakePlex is the fake plex.tv on loopback with a log of every request it received, so the
// benchmark can count polls and idle requests without trusting the app's own account.
type fakePlex struct {
	*plextvtest.Fake
	approver session.FakeServer // PUT /pins/link over HTTP, as the plex.tv/link page does
	srv      *http.Server

	mu  sync.Mutex
	log []request
}

type request struct {
	at     time.Time
	method string
	path   string
}

func startFake() (*fakePlex, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakePlex{Fake: plextvtest.New(plextvtest.WithUsername("bench-user"))}
	base := "http://" + ln.Addr().String()
	f.approver = session.FakeServer{APIURL: base + "/api/v2", LinkURL: base + "/link", AccountToken: f.AccountToken()}
	f.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.log = append(f.log, request{time.Now(), r.Method, r.URL.Path})
		f.mu.Unlock()
		f.Fake.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := f.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return f, nil
}

func (f *fakePlex) env() []string {
	return []string{"PLEXLINK_SERVER_URL=" + f.approver.APIURL, "PLEXLINK_LINK_URL=" + f.approver.LinkURL}
}

// requests returns the requests received in [from, to) that match keep (nil: all).
func (f *fakePlex) requests(from, to time.Time, keep func(request) bool) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []request
	for _, r := range f.log {
		if !r.at.Before(from) && r.at.Before(to) && (keep == nil || keep(r)) {
			out = append(out, r)
		}
	}
	return out
}

// isPoll matches GET /api/v2/pins/{id}, the engine's poll.
func isPoll(r request) bool {
	id, ok := strings.CutPrefix(r.path, "/api/v2/pins/")
	return ok && r.method == http.MethodGet && id != "" && strings.Trim(id, "0123456789") == ""
}

func (f *fakePlex) close() {
	_ = f.srv.Close()
	f.Fake.Close()
}
