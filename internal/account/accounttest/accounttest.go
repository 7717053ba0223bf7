// Package accounttest builds the one fixture the tests of the account service's users share:
// the real account.Service over the fake plex.tv on loopback, with every keychain item (the
// account token, each tool's token, the tools' index) in a storage.MemoryStore and
// config.json in a temporary directory. It imports no GUI toolkit, so the command line's
// tests, the tray's and the window's can all use it.
package accounttest

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/storage"
)

// PollInterval is how often a fixture's links poll plex.tv: fast, the fake does not mind.
const PollInterval = 10 * time.Millisecond

// Fixture is an account service over the fake plex.tv, with in-memory keychain items.
type Fixture struct {
	Server    *plextvtest.Server
	Service   *account.Service
	Store     *storage.MemoryStore // the account token's keychain item
	ToolIndex *storage.MemoryStore // the keychain item naming the tools with a token

	mu    sync.Mutex
	tools map[string]*storage.MemoryStore
}

type options struct {
	fake     []plextvtest.Option
	product  string
	clientID string
	linked   bool
}

// Option configures New.
type Option func(*options)

// WithFake passes options to the fake plex.tv (plextvtest.NewServer).
func WithFake(opts ...plextvtest.Option) Option {
	return func(o *options) { o.fake = append(o.fake, opts...) }
}

// WithIdentity sets the product name and client identifier the service sends plex.tv.
func WithIdentity(product, clientID string) Option {
	return func(o *options) { o.product, o.clientID = product, clientID }
}

// Linked starts the fixture with the fake's account token stored, as after a link.
func Linked() Option { return func(o *options) { o.linked = true } }

// New starts the fake plex.tv (closed when tb ends) and wires a service to it.
func New(tb testing.TB, opts ...Option) *Fixture {
	tb.Helper()
	o := options{product: "Plex Link", clientID: "accounttest-client"}
	for _, opt := range opts {
		opt(&o)
	}
	srv := plextvtest.NewServer(o.fake...)
	tb.Cleanup(srv.Close)
	fx := &Fixture{
		Server:    srv,
		Store:     storage.NewMemoryStore(""),
		ToolIndex: storage.NewMemoryStore(""),
		tools:     map[string]*storage.MemoryStore{},
	}
	fx.Service = &account.Service{
		Client: &auth.Client{BaseURL: srv.URL, LinkPage: srv.LinkURL, RequestTimeout: 2 * time.Second,
			Identity: auth.Identity{Product: o.product, ClientID: o.clientID}},
		Tokens:       fx.Store,
		Config:       storage.OpenConfig(filepath.Join(tb.TempDir(), "config.json")),
		ToolTokens:   func(tool string) storage.TokenStore { return fx.ToolStore(tool) },
		ToolIndex:    fx.ToolIndex,
		PollInterval: PollInterval,
	}
	if o.linked {
		fx.Link(tb)
	}
	return fx
}

// Link stores the fake's current account token, as a link would (without the PIN flow).
func (fx *Fixture) Link(tb testing.TB) {
	tb.Helper()
	if err := fx.Store.Save(fx.Server.AccountToken()); err != nil {
		tb.Fatal(err)
	}
}

// Token is the stored account token, "" when none is.
func (fx *Fixture) Token(tb testing.TB) string {
	tb.Helper()
	tok, err := fx.Store.Load()
	if errors.Is(err, storage.ErrNotLinked) {
		return ""
	}
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// ToolStore is the keychain item of a tool's own token (made on first use).
func (fx *Fixture) ToolStore(tool string) *storage.MemoryStore {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	if fx.tools[tool] == nil {
		fx.tools[tool] = storage.NewMemoryStore("")
	}
	return fx.tools[tool]
}
