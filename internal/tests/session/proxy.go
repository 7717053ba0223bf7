package session

import (
	"net"
	"sync"
	"testing"
)

// RecordingProxy is a proxy on loopback that counts the connections made to it and closes
// them unanswered: set as HTTPS_PROXY and HTTP_PROXY, it both proves that no request was
// attempted and keeps any from leaving the machine. It returns the proxy URL and the count.
func RecordingProxy(tb testing.TB) (proxyURL string, hits func() int) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}
