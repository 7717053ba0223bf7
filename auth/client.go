// Package auth talks to plex.tv: the PIN calls (Client), the linking engine that drives
// them (Linker) and the typed errors both return. It knows nothing about the UI or the
// keychain.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	DefaultBaseURL  = "https://plex.tv/api/v2"
	DefaultLinkPage = "https://plex.tv/link"
	DefaultAuthApp  = "https://app.plex.tv/auth"

	// DefaultRequestTimeout bounds one HTTP exchange, body included.
	DefaultRequestTimeout = 15 * time.Second
	// MaxBodySize caps what is read of any response; plex.tv's answers are a few KB.
	MaxBodySize = 1 << 20
)

// Identity is what plex.tv shows in the account's "Authorized Devices". ClientID must be
// the same persisted value for every call: a new one is a new device.
type Identity struct {
	Product, Version, ClientID, Platform, PlatformVersion, Device, DeviceName string
}

// Client calls plex.tv's API v2. The zero value (plus an Identity) talks to plex.tv.
type Client struct {
	BaseURL        string        // "" → DefaultBaseURL
	LinkPage       string        // "" → DefaultLinkPage; non-strong link URL is LinkPage + "/?pin=" + code
	AuthApp        string        // "" → DefaultAuthApp
	HTTP           *http.Client  // nil → http.DefaultTransport; redirects are never followed either way
	RequestTimeout time.Duration // per request; 0 → 15s
	Identity       Identity
}

// Pin is plex.tv's PIN object.
type Pin struct {
	ID               int64
	Code             string
	Strong           bool // set by CreatePin, not part of the JSON
	Product          string
	Trusted          bool
	QR               string
	ClientIdentifier string
	Location         *Location // nil when absent or not an object
	ExpiresIn        int       // seconds remaining, by the server's count
	CreatedAt        time.Time
	ExpiresAt        time.Time
	AuthToken        Token // empty until the user approves the code
	NewRegistration  *bool
	// expiresInSet tells a missing expiresIn from an explicit 0 (an expired PIN).
	expiresInSet bool
}

// Location is the pin's geo data. plex.tv sends it partial or not at all; every field is optional.
type Location struct {
	Code, ContinentCode, Country, City, TimeZone, PostalCode, Subdivisions, Coordinates string
	EuropeanUnionMember, InPrivacyRestrictedCountry, InPrivacyRestrictedRegion          bool
}

// Account is the part of GET /user this project uses.
type Account struct {
	ID                                  int64
	UUID, Username, Title, Email, Thumb string
}

// CheckURL accepts https URLs and plain http only to a loopback host (127.0.0.0/8, ::1,
// localhost): anything else would send the token in clear text over the network.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("invalid URL %q: no host", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("refusing plain http to %s: only https, or http to a loopback address, is allowed", u.Hostname())
	default:
		return fmt.Errorf("unsupported URL scheme %q in %q: use https", u.Scheme, raw)
	}
}

// IsLoopbackURL reports whether raw names a loopback host (a local fake, never plex.tv).
func IsLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && isLoopback(u.Hostname())
}

// Origin is raw reduced to scheme://host[:port], lower-cased, with the scheme's default port
// dropped: what decides which server a token is sent to. "" for a URL without a host.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	if port != "" || strings.Contains(host, ":") {
		host = net.JoinHostPort(host, port)
		if port == "" {
			host = strings.TrimSuffix(host, ":")
		}
	}
	return scheme + "://" + host
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LinkURL builds the page the user approves the code on. It is never taken from the
// server. Strong codes only work in the auth app and short codes only on the link page,
// so the kind is decided by p.Strong or, for a polled pin, by the code's length
// (non-strong codes are exactly 4 characters).
func (c *Client) LinkURL(p *Pin) string {
	if p == nil || p.Code == "" {
		return ""
	}
	if p.Strong || len(p.Code) > 4 {
		return orDefault(c.AuthApp, DefaultAuthApp) + "#?clientID=" + url.QueryEscape(c.Identity.ClientID) +
			"&code=" + url.QueryEscape(p.Code) +
			"&" + url.QueryEscape("context[device][product]") + "=" + url.QueryEscape(c.Identity.Product)
	}
	return strings.TrimRight(orDefault(c.LinkPage, DefaultLinkPage), "/") + "/?pin=" + url.QueryEscape(p.Code)
}

// CreatePin asks for a new code (POST /pins). strong=false gives a 4-character code for the link page.
func (c *Client) CreatePin(ctx context.Context, strong bool) (*Pin, error) {
	path := "/pins"
	if strong {
		path += "?strong=true"
	}
	r, err := c.do(ctx, http.MethodPost, path, "", nil)
	if err != nil {
		return nil, err
	}
	p, err := decodePin(r.body)
	if err != nil {
		return nil, r.bad(err)
	}
	p.Strong = strong
	return p, nil
}

// Pin polls a code (GET /pins/{id}); AuthToken is set once the user approved it.
func (c *Client) Pin(ctx context.Context, id int64) (*Pin, error) {
	r, err := c.do(ctx, http.MethodGet, "/pins/"+strconv.FormatInt(id, 10), "", nil)
	if err != nil {
		return nil, err
	}
	p, err := decodePin(r.body)
	if err != nil {
		return nil, r.bad(err)
	}
	return p, nil
}

// User returns the account a token belongs to (GET /user). Only ErrUnauthorized means
// the token is invalid; any other error says nothing about the token.
func (c *Client) User(ctx context.Context, tok Token) (*Account, error) {
	if tok == "" {
		return nil, fmt.Errorf("plex.tv GET /user: no token: %w", ErrUnauthorized)
	}
	r, err := c.do(ctx, http.MethodGet, "/user", tok, nil)
	if err != nil {
		return nil, err
	}
	a, err := decodeAccount(r.body)
	if err != nil {
		return nil, r.bad(err)
	}
	return a, nil
}

// SignOut invalidates the token on plex.tv (DELETE /users/signout).
func (c *Client) SignOut(ctx context.Context, tok Token) error {
	if tok == "" {
		return fmt.Errorf("plex.tv DELETE /users/signout: no token: %w", ErrUnauthorized)
	}
	_, err := c.do(ctx, http.MethodDelete, "/users/signout", tok, nil)
	return err
}

// Ping asks plex.tv whether the token still works (GET /ping), the keep-alive Seerr and
// Tautulli use: cheaper than GET /user. As with User, only ErrUnauthorized means "invalid".
func (c *Client) Ping(ctx context.Context, tok Token) error {
	if tok == "" {
		return fmt.Errorf("plex.tv GET /ping: no token: %w", ErrUnauthorized)
	}
	r, err := c.do(ctx, http.MethodGet, "/ping", tok, nil)
	if err != nil {
		return err
	}
	var w struct {
		Pong bool `json:"pong"`
	}
	if err := decodeJSON(r.body, "ping", &w); err != nil {
		return r.bad(err)
	}
	if !w.Pong {
		return r.bad(fmt.Errorf("%w: pong is not true", ErrBadResponse))
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

var errRedirect = errors.New("redirect not followed")

func (c *Client) httpClient() *http.Client {
	hc := http.Client{}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	// Never follow: a redirect would re-send X-Plex-Token to wherever it points.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// reply is a 2xx answer, kept with what a BadResponseError reports about it.
type reply struct {
	route, contentType string
	status             int
	body               []byte // at most MaxBodySize
	tok                Token
}

// bad wraps a decoding failure with what was sent.
func (r reply) bad(reason error) error {
	return fmt.Errorf("plex.tv %s: %w", r.route, &BadResponseError{
		Status: r.status, ContentType: r.contentType, Head: bodyHead(r.body, r.tok), Reason: reason,
	})
}

// do performs one request (form, if not nil, as its urlencoded body) and returns the body
// of a 2xx answer. Errors name the method and path but never carry request headers or the token.
func (c *Client) do(ctx context.Context, method, path string, tok Token, form url.Values) (reply, error) {
	route := method + " " + strings.SplitN(path, "?", 2)[0]
	fail := func(err error) (reply, error) { return reply{}, fmt.Errorf("plex.tv %s: %w", route, err) }

	base := strings.TrimRight(orDefault(c.BaseURL, DefaultBaseURL), "/")
	if err := CheckURL(base); err != nil {
		return fail(err)
	}
	if c.Identity.ClientID == "" {
		return fail(errors.New("no client identifier configured"))
	}
	timeout := c.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return fail(err)
	}
	c.setHeaders(req.Header, tok)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}

	resp, err := c.httpClient().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL; the route is enough
		}
		return fail(err)
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	tooBig := len(data) > MaxBodySize

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if tooBig || readErr != nil {
			data = nil
		}
		return fail(statusError(resp, data, tok))
	}
	if readErr != nil {
		return fail(fmt.Errorf("reading response: %w", readErr))
	}
	r := reply{route: route, contentType: resp.Header.Get("Content-Type"), status: resp.StatusCode, body: data, tok: tok}
	if tooBig {
		return reply{}, r.bad(fmt.Errorf("%w: body larger than %d bytes", ErrBadResponse, MaxBodySize))
	}
	return r, nil
}

func (c *Client) setHeaders(h http.Header, tok Token) {
	h.Set("Accept", "application/json")
	id := c.Identity
	for _, kv := range [][2]string{
		{"X-Plex-Product", id.Product},
		{"X-Plex-Version", id.Version},
		{"X-Plex-Client-Identifier", id.ClientID},
		{"X-Plex-Platform", id.Platform},
		{"X-Plex-Platform-Version", id.PlatformVersion},
		{"X-Plex-Device", id.Device},
		{"X-Plex-Device-Name", id.DeviceName},
	} {
		if kv[1] != "" {
			h.Set(kv[0], kv[1])
		}
	}
	if tok != "" {
		h.Set("X-Plex-Token", tok.Reveal())
	}
}

func statusError(resp *http.Response, body []byte, tok Token) error {
	var err error
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		err = &StatusError{Status: resp.StatusCode, Body: errRedirect.Error()}
	} else if items, ok := decodeErrorBody(body); ok {
		for i := range items {
			items[i].Message = sanitize(items[i].Message, tok)
		}
		err = &APIError{Status: resp.StatusCode, Errors: items}
	} else {
		err = &StatusError{Status: resp.StatusCode, Body: sanitize(string(body), tok)}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return &RateLimitError{RetryAfter: parseRetryAfter(resp.Header, time.Now()), Err: err}
	}
	return err
}
