package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Seeds shared by the decoder fuzzers; testdata/fuzz/<Fuzz…>/ holds more, and any crash
// the fuzzer finds lands there as a regression case.
var decodeSeeds = []string{
	`{"id":1,"code":"ABCD","expiresIn":900,"authToken":null}`,
	`{"id":2053423443,"code":"W2K4","product":"Plex Link","trusted":false,"qr":"https://plex.tv/api/v2/pins/qr/W2K4","clientIdentifier":"c","location":{"code":"NL","postal_code":4814,"european_union_member":"true"},"expiresIn":899,"createdAt":"2024-01-01T00:00:00Z","expiresAt":"2024-01-01T00:15:00Z","authToken":"abcdefghijklmnopqrst","newRegistration":null}`,
	`{"id":"1","code":"ABCD"}`,
	`{"id":1,"code":"ABCD","createdAt":"yesterday"}`,
	`{"id":1,"uuid":"u","username":"alice","email":"a@example.com","thumb":"https://plex.tv/users/u/avatar"}`,
	`{"errors":[{"code":1020,"message":"Code not found or expired","status":404}]}`,
	`{"errors":[{"code":"1020"}]}`,
	`<html>Bad Gateway</html>`,
	``, `null`, `[]`, `{"id":1e400}`, `{"location":[1,2]}`,
}

// tokenLike is a run long enough to be a token (plex.tv tokens are 20 characters).
var tokenLike = regexp.MustCompile(`[A-Za-z0-9]{20,}`)

// noEcho fails when err repeats a token-like run of the body: decode errors say what was
// wrong, never what was sent.
func noEcho(t *testing.T, body string, err error) {
	if err == nil {
		return
	}
	for _, run := range tokenLike.FindAllString(body, -1) {
		if strings.Contains(err.Error(), run) {
			t.Fatalf("error %q repeats part of the body", err)
		}
	}
}

func FuzzDecodePin(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := decodePin([]byte(body))
		noEcho(t, body, err)
		switch {
		case err != nil && !errors.Is(err, ErrBadResponse):
			t.Fatalf("error %v does not wrap ErrBadResponse", err)
		case err == nil && (p == nil || p.ID == 0 || p.Code == ""):
			t.Fatalf("accepted a pin without id or code: %+v", p)
		}
	})
}

func FuzzDecodeAccount(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a, err := decodeAccount([]byte(body))
		noEcho(t, body, err)
		switch {
		case err != nil && !errors.Is(err, ErrBadResponse):
			t.Fatalf("error %v does not wrap ErrBadResponse", err)
		case err == nil && (a == nil || (a.ID == 0 && a.UUID == "")):
			t.Fatalf("accepted an account without id or uuid: %+v", a)
		}
	})
}

// FuzzErrorBody covers decodeErrorBody through the error an answer becomes: whatever the
// body, the error is typed, its text short and free of the token.
func FuzzErrorBody(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s, 404)
		f.Add(s, 401)
	}
	f.Add(`{"errors":[{"code":1001,"message":"token abcdefghijklmnopqrst bad"}]}`, 401)
	const tok = Token("abcdefghijklmnopqrst")
	f.Fuzz(func(t *testing.T, body string, status int) {
		if status < 400 || status > 599 {
			status = 400 + (status%200+200)%200
		}
		items, _ := decodeErrorBody([]byte(body))
		_ = items
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		err := statusError(resp, []byte(body), tok)
		var ae *APIError
		var se *StatusError
		var rl *RateLimitError
		if !errors.As(err, &ae) && !errors.As(err, &se) && !errors.As(err, &rl) {
			t.Fatalf("status %d became %T", status, err)
		}
		msg := err.Error()
		if strings.Contains(msg, tok.Reveal()) {
			t.Fatal("the error text carries the token")
		}
		if se != nil && len([]rune(se.Body)) > 201 {
			t.Fatalf("StatusError.Body is %d runes", len([]rune(se.Body)))
		}
		if status == http.StatusNotFound && !errors.Is(err, ErrPinExpired) {
			t.Fatal("404 is not ErrPinExpired")
		}
	})
}

// stubTransport answers POST /pins with the fuzzed pin and anything else with 404.
type stubTransport struct{ pin string }

func (s stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	status, body := http.StatusNotFound, `{"errors":[{"code":1020,"message":"x"}]}`
	if r.Method == http.MethodPost {
		status, body = http.StatusCreated, s.pin
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// FuzzLinkerOpensOnlyItsLinkPage: whatever pin JSON the server sends, the one URL the engine
// opens is the page it was configured with, carrying exactly the server's code, escaped.
// A short code goes to LinkPage + "/?pin=", a longer (strong-looking) one to the auth app.
func FuzzLinkerOpensOnlyItsLinkPage(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	for _, code := range []string{"AB&C", "A#?x", "../../evil.example", "https://evil.example/", "A B", "%41%42", "ÄÖÜ", "a\r\nb", "javascript:alert(1)", `"><`} {
		f.Add(`{"id":7,"code":` + jsonString(code) + `,"expiresIn":900}`)
	}
	const linkPage, authApp = "https://plex.example/link", "https://app.plex.example/auth"
	f.Fuzz(func(t *testing.T, body string) {
		c := &Client{BaseURL: "https://plex.example/api/v2", LinkPage: linkPage, AuthApp: authApp,
			HTTP: &http.Client{Transport: stubTransport{body}}, Identity: Identity{ClientID: "cid", Product: "Plex Link"}}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		opened := make(chan string, 1)
		var code string
		l := &Linker{Client: c, PollInterval: time.Hour, MaxBackoff: time.Millisecond,
			OpenURL: func(u string) error { opened <- u; return nil },
			OnEvent: func(ev Event) {
				if ev.State == StatePinReady {
					code = ev.Code
				}
				if ev.State == StateWaiting {
					cancel()
				}
			}}
		if _, err := l.Link(ctx); err == nil {
			t.Fatal("Link succeeded against a stub that never approves")
		}
		if code == "" {
			return // no pin: nothing to open
		}
		var u string
		select {
		case u = <-opened:
		case <-time.After(time.Second):
			return // CheckURL refused the URL: nothing opened
		}
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatalf("opened an unparsable URL %q: %v", u, err)
		}
		var got string
		switch {
		case strings.HasPrefix(u, linkPage+"/?pin="):
			if parsed.Host != "plex.example" || parsed.Path != "/link/" || parsed.Fragment != "" {
				t.Fatalf("opened %q: host/path/fragment not the link page's", u)
			}
			got = parsed.Query().Get("pin")
		case strings.HasPrefix(u, authApp+"#?clientID="):
			if parsed.Host != "app.plex.example" || parsed.Path != "/auth" || len(code) <= 4 {
				t.Fatalf("opened %q for a %d-character code", u, len(code))
			}
			q, err := url.ParseQuery(strings.TrimPrefix(parsed.EscapedFragment(), "?"))
			if err != nil {
				t.Fatalf("opened %q: fragment does not parse: %v", u, err)
			}
			got = q.Get("code")
		default:
			t.Fatalf("opened %q, not a page the app built", u)
		}
		if got != code {
			t.Fatalf("opened URL carries code %q, the server sent %q", got, code)
		}
	})
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20:
			b.WriteString(`\u00` + "0123456789abcdef"[r>>4:r>>4+1] + "0123456789abcdef"[r&15:r&15+1])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func FuzzDecodeHomeUsers(f *testing.F) {
	for _, s := range append(decodeSeeds,
		`{"id":1,"name":"demo's home","users":[{"id":13692262,"uuid":"dae343c1f45beb4f","title":"demo","username":"demo","admin":true,"restricted":false,"protected":false}]}`,
		`[{"id":"7","uuid":"u","admin":1,"restricted":"true","protected":"1"}]`,
		`{"users":[{"uuid":null}]}`, `{"users":{}}`, `[null]`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		users, err := decodeHomeUsers([]byte(body))
		noEcho(t, body, err)
		if err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("error %v does not wrap ErrBadResponse", err)
		}
		for _, u := range users {
			if u.UUID == "" {
				t.Fatalf("accepted a Home user without uuid: %+v", u)
			}
		}
	})
}
