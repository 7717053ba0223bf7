package plextvtest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a Fake listening on a real socket.
type Server struct {
	*Fake
	URL     string // API base, e.g. http://127.0.0.1:P/api/v2
	LinkURL string // the approval page, e.g. http://127.0.0.1:P/link
	Addr    string // host:port

	hs   *http.Server
	done chan struct{}
}

// NewServer starts a Fake on a free loopback port. Like httptest.NewServer it panics if
// it cannot listen; Close it when done.
func NewServer(opts ...Option) *Server {
	s, err := Listen("127.0.0.1:0", opts...)
	if err != nil {
		panic(fmt.Sprintf("plextvtest: %v", err))
	}
	return s
}

// Listen starts a Fake on addr.
func Listen(addr string, opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := New(opts...)
	if err := f.startMediaServers(); err != nil {
		ln.Close()
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	s := &Server{
		Fake: f, URL: base + apiPrefix, LinkURL: base + "/link", Addr: ln.Addr().String(),
		hs:   &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(fmt.Sprintf("plextvtest: serve: %v", err))
		}
	}()
	return s, nil
}

// Close stops the server, drops open connections and waits for every handler to return
// (hung ones included), so tests can check for leaked goroutines right after.
func (s *Server) Close() {
	s.Fake.Close()
	_ = s.hs.Close()
	s.closeMediaServers()
	<-s.done
	s.inflight.Wait()
}
