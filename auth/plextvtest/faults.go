package plextvtest

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault replaces a route's normal answer. Fields combine: Delay then Status+Body, for example.
type Fault struct {
	Status      int           // answer with this status (0 → the route's real answer, or 200 with Body)
	RetryAfter  string        // Retry-After header value: seconds or an HTTP date
	Delay       time.Duration // wait before answering (released early if the client gives up)
	Body        string        // raw body instead of the real one (malformed JSON, HTML, …)
	ContentType string        // default application/json
	BodySize    int           // a JSON-looking body this many bytes long, streamed
	WrongTypes  bool          // the real answer with every number and bool turned into a string
	Reset       bool          // drop the connection with a TCP reset instead of answering
	Hang        bool          // never answer; released when the client gives up or the fake closes
}

type faultRun struct {
	fault Fault
	left  int
}

// FailNext makes the route's next n requests answer with fault instead. Calls queue up.
func (f *Fake) FailNext(route string, n int, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[route] = append(f.faults[route], &faultRun{fault: fault, left: n})
}

func (f *Fake) popFaultLocked(route string) *Fault {
	q := f.faults[route]
	for len(q) > 0 && q[0].left <= 0 {
		q = q[1:]
	}
	f.faults[route] = q
	if len(q) == 0 {
		return nil
	}
	q[0].left--
	fl := q[0].fault
	return &fl
}

// applyFault answers per fault and reports whether it did; false means "now serve normally".
func (f *Fake) applyFault(w http.ResponseWriter, r *http.Request, fl Fault, real func(http.ResponseWriter)) bool {
	if fl.Delay > 0 && !f.wait(r, fl.Delay) {
		return true
	}
	switch {
	case fl.Hang:
		f.wait(r, -1)
		return true
	case fl.Reset:
		resetConn(w)
		return true
	case fl.WrongTypes:
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		real(rec)
		body := rec.buf.Bytes()
		var v any
		if json.Unmarshal(body, &v) == nil {
			body, _ = json.Marshal(stringify(v))
		}
		copyHeader(w.Header(), rec.header)
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
		return true
	}
	if fl.Status == 0 && fl.Body == "" && fl.BodySize == 0 {
		return false // a pure delay
	}
	status := fl.Status
	if status == 0 {
		status = http.StatusOK
	}
	ct := fl.ContentType
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if fl.RetryAfter != "" {
		w.Header().Set("Retry-After", fl.RetryAfter)
	}
	switch {
	case fl.BodySize > 0:
		w.WriteHeader(status)
		streamBody(w, fl.BodySize)
	case fl.Body != "":
		w.WriteHeader(status)
		_, _ = w.Write([]byte(fl.Body))
	default:
		writeError(w, r, status, status, http.StatusText(status))
	}
	return true
}

// wait sleeps d (forever if d < 0) and reports whether it ran to the end, rather than
// being cut by the client leaving or the fake closing.
func (f *Fake) wait(r *http.Request, d time.Duration) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-r.Context().Done():
	case <-f.closed:
	}
	return false
}

func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST, not FIN
	}
	_ = conn.Close()
}

// streamBody writes size bytes of `{"id":1,"code":"ABCD","pad":"xxx…"}` without holding them in memory.
func streamBody(w http.ResponseWriter, size int) {
	head, tail := `{"id":1,"code":"ABCD","pad":"`, `"}`
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for left := size - len(head) - len(tail); left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return // the client stopped reading
		}
	}
	_, _ = w.Write([]byte(tail))
}

func stringify(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = stringify(e)
		}
	case []any:
		for i, e := range t {
			t[i] = stringify(e)
		}
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	return v
}

type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		if !strings.EqualFold(k, "Content-Length") {
			dst[k] = v
		}
	}
}
