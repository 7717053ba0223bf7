// Package plextvtest is a faithful fake of the plex.tv calls Plex Link uses: the PIN API
// under /api/v2, the /link approval page, fault injection for tests, and the
// `plexlink fake-server` command. Its answers follow auth/testdata/plex-tv-pins.openapi.yaml
// (checked by auth's spec test) and docs/PLEX-TV-API.md. It does not import auth,
// so auth's own tests can use it.
package plextvtest

import (
	"crypto/rand"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Route names for Count, LastHeader and FailNext.
const (
	RouteCreatePin = "POST /pins"
	RoutePin       = "GET /pins/{id}"
	RouteLinkPin   = "PUT /pins/link"
	RouteUser      = "GET /user"
	RouteSignOut   = "DELETE /users/signout"
	RoutePing      = "GET /ping"
	RouteLinkPage  = "GET /link"
	RouteLinkForm  = "POST /link"
	RouteAvatar    = "GET /users/{uuid}/avatar"
	RouteHomeUsers = "GET /home/users"
	RouteSwitch    = "POST /home/users/{uuid}/switch"
	// The v1 XML API python-plexapi uses for Home users (https://plex.tv/api/home/users).
	RouteHomeUsersV1 = "GET /api/home/users"
	RouteSwitchV1    = "POST /api/home/users/{id}/switch"
)

const (
	DefaultPinTTL       = 900 * time.Second
	DefaultStrongPinTTL = 1800 * time.Second
	DefaultUsername     = "demo"
	// firstPinID is above the int32 range, like real ids will soon be: clients must use int64.
	firstPinID = int64(math.MaxInt32) + 1000
)

// Option configures a Fake.
type Option func(*Fake)

// WithClock replaces time.Now, e.g. to expire pins without waiting.
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// WithPinTTL sets the lifetime of non-strong pins (default 900 s).
func WithPinTTL(d time.Duration) Option { return func(f *Fake) { f.ttl = d } }

// WithStrongPinTTL sets the lifetime of strong pins (default 1800 s).
func WithStrongPinTTL(d time.Duration) Option { return func(f *Fake) { f.strongTTL = d } }

// WithAccountToken sets the demo account's own token (the one PUT /pins/link takes);
// default a random one.
func WithAccountToken(tok string) Option { return func(f *Fake) { f.accountToken = tok } }

// WithUsername sets the demo account's username (default "demo").
func WithUsername(u string) Option { return func(f *Fake) { f.user.username = u } }

// WithExpiredPinsAnswered makes expired pins answer 200 with expiresIn 0 instead of 404,
// as one source reports plex.tv doing.
func WithExpiredPinsAnswered() Option { return func(f *Fake) { f.answerExpired = true } }

// Fake is the fake plex.tv as an http.Handler. Safe for concurrent use.
type Fake struct {
	mu            sync.Mutex
	now           func() time.Time
	ttl           time.Duration
	strongTTL     time.Duration
	answerExpired bool
	accountToken  string
	user          account
	other         account             // a second account, to relink as someone else
	managed       account             // Home user: managed (restricted), no PIN
	protected     account             // Home user: a full account with a Home PIN
	otherToken    string              // its own token (PUT /pins/link with it approves as other)
	owners        map[string]*account // tokens of accounts other than user
	tokens        map[string]bool     // every token that GET /user accepts
	issued        []string            // every token ever handed out, for secrecy scans
	pins          map[int64]*pin
	nextID        int64
	counts        map[string]int
	lastHeader    map[string]http.Header
	faults        map[string][]*faultRun
	servers       []*MediaServer
	hostile       bool         // WithHostile
	hostileCA     []byte       // PEM of the hostile https server's certificate
	hang          net.Listener // accepts and never answers (a candidate of Old NAS)

	closed   chan struct{}
	shutdown bool
	inflight sync.WaitGroup
}

type account struct {
	id       int64
	uuid     string
	username string // "" for a managed user, who has only a title
	title    string // "" → username
	joined   time.Time
	// Plex Home: the demo account is the Home's admin; managed and protected are its members.
	admin, restricted bool
	pin               string // the Home PIN; "" when the user is not protected
}

func (a *account) name() string {
	if a.title != "" {
		return a.title
	}
	return a.username
}

type pin struct {
	id       int64
	code     string
	strong   bool
	clientID string
	product  string
	created  time.Time
	expires  time.Time
	token    string // minted at approval; "" until then
}

// New returns a Fake with no listener; see NewServer for one on loopback.
func New(opts ...Option) *Fake {
	f := &Fake{
		now: time.Now, ttl: DefaultPinTTL, strongTTL: DefaultStrongPinTTL,
		user:  account{id: 13692262, uuid: "dae343c1f45beb4f", username: DefaultUsername},
		other: account{id: 27413981, uuid: "f3b1c2d4a5e6f708", username: "other"},
		managed: account{id: 31415926, uuid: "a1b2c3d4e5f60718", title: ManagedUserTitle,
			restricted: true},
		protected: account{id: 27182818, uuid: "0f1e2d3c4b5a6978", username: ProtectedUserName,
			pin: ProtectedUserPIN},
		owners: map[string]*account{},
		tokens: map[string]bool{}, pins: map[int64]*pin{}, nextID: firstPinID,
		counts: map[string]int{}, lastHeader: map[string]http.Header{}, faults: map[string][]*faultRun{},
		closed: make(chan struct{}),
	}
	for _, o := range opts {
		o(f)
	}
	if f.accountToken == "" {
		f.accountToken = randomString(20, alnum)
	}
	f.tokens[f.accountToken] = true
	f.otherToken = randomString(20, alnum)
	f.tokens[f.otherToken] = true
	f.owners[f.otherToken] = &f.other
	f.issued = append(f.issued, f.accountToken, f.otherToken)
	f.user.joined = f.now().Add(-365 * 24 * time.Hour).Truncate(time.Second)
	f.user.admin = true
	f.other.joined, f.managed.joined, f.protected.joined = f.user.joined, f.user.joined, f.user.joined
	return f
}

// AccountToken is the demo account's own token (what the plex.tv/link page would use).
func (f *Fake) AccountToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accountToken
}

// Username is the demo account's username.
func (f *Fake) Username() string { return f.user.username }

// Count reports how many requests a route has received (faulted ones included).
func (f *Fake) Count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[route]
}

// LastHeader returns a copy of the headers of the route's latest request (nil if none).
func (f *Fake) LastHeader(route string) http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastHeader[route].Clone()
}

// TokenValid reports whether GET /user currently accepts tok.
func (f *Fake) TokenValid(tok string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[tok]
}

// IssuedTokens returns every token the fake has handed out: the account's, each approval's
// and each media server's, revoked ones included. Secrecy tests look for them in output.
func (f *Fake) IssuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string(nil), f.issued...)
	for _, m := range f.servers {
		out = append(out, m.AccessToken)
		for _, u := range f.homeLocked() {
			if tok := m.AccessTokenFor(u.uuid); tok != "" {
				out = append(out, tok)
			}
		}
	}
	return out
}

// Approve links a code to the demo account, as the user would on plex.tv/link, and returns
// the new token minted for it (each approval mints a fresh one).
func (f *Fake) Approve(code string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.approveLocked(code, false, nil)
}

// Expire makes a code expire now.
func (f *Fake) Expire(code string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.findCodeLocked(code); p != nil {
		p.expires = f.now()
		return true
	}
	return false
}

// Close releases hung and delayed requests; Server.Close calls it.
func (f *Fake) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.shutdown {
		f.shutdown = true
		close(f.closed)
	}
}

type approveError struct {
	status int
	msg    string
}

func (e *approveError) Error() string { return e.msg }

var (
	errUnknownCode = &approveError{http.StatusNotFound, "Code not found or expired"}
	errStrongCode  = &approveError{http.StatusBadRequest,
		"This is a strong code; it only works through app.plex.tv/auth, not on the link page"}
)

func (f *Fake) approveLocked(code string, linkPage bool, owner *account) (string, error) {
	p := f.findCodeLocked(code)
	if p == nil || !f.now().Before(p.expires) {
		return "", errUnknownCode
	}
	if linkPage && p.strong {
		return "", errStrongCode
	}
	if owner == nil {
		owner = &f.user
	}
	p.token = f.mintLocked(owner)
	return p.token, nil
}

func (f *Fake) findCodeLocked(code string) *pin {
	for _, p := range f.pins {
		// Short codes are typed by people: match them case-insensitively, like plex.tv/link.
		if p.code == code || (!p.strong && strings.EqualFold(p.code, code)) {
			return p
		}
	}
	return nil
}

func (f *Fake) newPinLocked(strong bool, clientID, product string) *pin {
	now := f.now()
	p := &pin{id: f.nextID, strong: strong, clientID: clientID, product: product, created: now}
	f.nextID++
	for p.code == "" || f.findCodeLocked(p.code) != nil {
		if strong {
			p.code = randomString(25, lowerAlnum)
		} else {
			p.code = randomString(4, upperAlnum)
		}
	}
	ttl := f.ttl
	if strong {
		ttl = f.strongTTL
	}
	p.expires = now.Add(ttl)
	f.pins[p.id] = p
	return p
}

// pinJSON renders a pin with every field the spec marks required.
func (f *Fake) pinJSON(p *pin, qrBase string) map[string]any {
	left := max(math.Ceil(p.expires.Sub(f.now()).Seconds()), 0)
	var tok any
	if p.token != "" {
		tok = p.token
	}
	return map[string]any{
		"id": p.id, "code": p.code, "product": p.product, "trusted": false,
		"qr": qrBase + "/pins/qr/" + p.code, "clientIdentifier": p.clientID,
		"location": map[string]any{
			"code": "NL", "european_union_member": true, "continent_code": "EU",
			"country": "The Netherlands", "city": "Breda", "time_zone": "Europe/Amsterdam",
			"postal_code": "4814", "in_privacy_restricted_country": true,
			"in_privacy_restricted_region": true, "subdivisions": "North Brabant",
			"coordinates": "51.5869, 4.7471",
		},
		"expiresIn": int64(left),
		"createdAt": p.created.UTC().Format(time.RFC3339),
		"expiresAt": p.expires.UTC().Format(time.RFC3339),
		"authToken": tok, "newRegistration": nil,
	}
}

// userJSON renders GET /user (and a Home switch) for the token's account with every field
// the spec marks required. The thumb points back at this fake, so nothing a test or demo
// does reaches the internet.
func (f *Fake) userJSON(tok, host string) map[string]any {
	u := f.user
	if o := f.owners[tok]; o != nil {
		u = *o
	}
	home, homeSize := f.inHome(&u), 1
	if home {
		homeSize = len(f.homeLocked())
	}
	email := u.username + "@example.com"
	if u.username == "" {
		// A managed user has no username; the spec requires an email address.
		email = "managed+" + u.uuid + "@example.com"
	}
	return map[string]any{
		"id": u.id, "uuid": u.uuid, "username": u.username, "title": u.name(),
		"friendlyName": u.name(), "email": email,
		"thumb":     "http://" + host + "/users/" + u.uuid + "/avatar?c=1",
		"authToken": tok, "adsConsent": nil, "adsConsentReminderAt": nil, "adsConsentSetAt": nil,
		"anonymous": false, "backupCodesCreated": false, "confirmed": true, "country": "NL",
		"emailOnlyAuth": false, "experimentalFeatures": false, "entitlements": []string{},
		"guest": false, "hasPassword": u.username != "", "home": home, "homeAdmin": home && u.admin,
		"homeSize": homeSize, "joinedAt": u.joined.Unix(), "locale": nil, "mailingListActive": false,
		"mailingListStatus": "unsubscribed", "maxHomeSize": 15,
		"profile": map[string]any{
			"autoSelectAudio": true, "defaultAudioLanguage": "en", "defaultSubtitleLanguage": "en",
			"autoSelectSubtitle": 0, "defaultSubtitleAccessibility": 0, "defaultSubtitleForced": 0,
			"watchedIndicator": 1, "mediaReviewsVisibility": 0,
		},
		"protected": u.pin != "", "rememberExpiresAt": f.now().Add(30 * 24 * time.Hour).Unix(),
		"restricted": u.restricted, "roles": []string{}, "scrobbleTypes": "", "services": []any{},
		"subscriptions": []any{},
		"subscription": map[string]any{
			"active": false, "subscribedAt": nil, "status": "Inactive", "paymentService": nil,
			"plan": nil, "features": []string{},
		},
		"subscriptionDescription": nil, "twoFactorEnabled": false, "attributionPartner": nil,
	}
}

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("plextvtest: crypto/rand: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func parseBool(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}
