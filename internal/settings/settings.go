// Package settings holds what every Plex Link process reads the same way — the plex.tv
// addresses, the keychain service, the version — and opens the account service from them.
// The command line (cmd/plexlink) and the desktop app (internal/app) both start here, so a
// terminal and the window always agree on which token they mean.
package settings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/storage"
)

// Version is the app version, set at build time with
// -ldflags "-X codeberg.org/plexlink/plexlink/internal/settings.Version=…".
var Version = "0.1.0"

// ProductName is what plex.tv shows in the user's Authorized Devices list.
const ProductName = "Plex Link"

// LoopbackService is the keychain service of a loopback fake plex.tv named with --server-url
// when no other is chosen: the real account's token is never read for a local fake.
const LoopbackService = "plexlink-loopback"

// DemoService is the keychain service of the demo (the desktop app's --demo).
const DemoService = "plexlink-demo"

// Settings are the plex.tv addresses a process was started with (flags, else the
// PLEXLINK_SERVER_URL / PLEXLINK_LINK_URL environment); "" means plex.tv's own.
type Settings struct {
	ServerURL string
	LinkURL   string
	// Getenv reads the environment (PLEXLINK_KEYRING_SERVICE); nil → os.Getenv.
	Getenv func(string) string
}

// FromEnv is the settings the environment gives.
func FromEnv(getenv func(string) string) Settings {
	return Settings{ServerURL: getenv("PLEXLINK_SERVER_URL"), LinkURL: getenv("PLEXLINK_LINK_URL"), Getenv: getenv}
}

func (s Settings) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

// KeyringService is the keychain service: PLEXLINK_KEYRING_SERVICE or plexlink, and never
// plexlink for a loopback --server-url.
func (s Settings) KeyringService() string {
	svc := s.getenv("PLEXLINK_KEYRING_SERVICE")
	if svc == "" {
		svc = storage.DefaultService
	}
	if svc == storage.DefaultService && auth.IsLoopbackURL(s.ServerURL) {
		return LoopbackService
	}
	return svc
}

// configFor pairs the local state with the keychain service, so a demo or test service
// never overwrites the real account's details.
func configFor(service string) (*storage.ConfigStore, error) {
	path, err := storage.DefaultConfigPath()
	if err != nil {
		return nil, err
	}
	if service != storage.DefaultService {
		path = filepath.Join(filepath.Dir(path), "config-"+Sanitize(service)+".json")
	}
	return storage.OpenConfig(path), nil
}

// Sanitize makes s safe as part of a file name.
func Sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Open builds the account service from the settings; warnings (a corrupt config moved
// aside) go to warn. The client identifier is created once per install and reused, since
// plex.tv lists each new one as a new device.
func (s Settings) Open(warn io.Writer) (*account.Service, error) {
	base := s.ServerURL
	if base == "" {
		base = auth.DefaultBaseURL
	}
	if err := auth.CheckURL(base); err != nil {
		return nil, fmt.Errorf("--server-url: %w", err)
	}
	linkPage := s.LinkURL
	if linkPage == "" {
		linkPage = auth.DefaultLinkPage
	}
	if err := auth.CheckURL(linkPage); err != nil {
		return nil, fmt.Errorf("--link-url: %w", err)
	}
	service := s.KeyringService()
	cfg, err := configFor(service)
	if err != nil {
		return nil, err
	}
	clientID, err := cfg.ClientID()
	if err != nil {
		return nil, fmt.Errorf("reading the local config: %w", err)
	}
	if w := cfg.Warning(); w != "" && warn != nil {
		fmt.Fprintf(warn, "plexlink: %s\n", w)
	}
	host, _ := os.Hostname()
	client := &auth.Client{
		BaseURL:  base,
		LinkPage: linkPage,
		Identity: auth.Identity{
			Product:    ProductName,
			Version:    Version,
			ClientID:   clientID,
			Platform:   platformName(),
			Device:     runtime.GOOS + "/" + runtime.GOARCH,
			DeviceName: host,
		},
	}
	return &account.Service{
		Client: client, Tokens: storage.NewKeychain(service), Config: cfg,
		ToolTokens: func(tool string) storage.TokenStore { return storage.NewToolKeychain(service, tool) },
		ToolIndex:  storage.NewToolIndexKeychain(service),
		UserTokens: func(uuid string) storage.TokenStore { return storage.NewUserKeychain(service, uuid) },
		StopLinks:  s.PreemptLinks,
	}, nil
}

// platformName uses the names Plex's own clients send in X-Plex-Platform.
func platformName() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	default:
		return "Linux"
	}
}

// ErrLinkBusy is what the window or the terminal says when the other one is linking.
var ErrLinkBusy = errors.New("another Plex Link is linking right now (the window or a terminal's `plexlink link`); finish or cancel it there, then try again")

// ErrStoppedByUnlink is why a link ends when an unlink elsewhere asked it to stop.
var ErrStoppedByUnlink = errors.New("linking stopped: `plexlink unlink` (or Unlink in the app) ran meanwhile")

// linkLockName is per keychain service: the demo and the real app may link side by side.
func linkLockName(service string) string { return "link-" + Sanitize(service) }

// PreemptLinks stops a link in progress under these settings' keychain service, in any
// process (see desktop.Preempt): the account service's StopLinks.
func (s Settings) PreemptLinks(ctx context.Context) (func(), error) {
	return desktop.Preempt(ctx, linkLockName(s.KeyringService()))
}

// LinkLock takes the link lock for the settings' keychain service; stop is called when an
// unlink elsewhere asks this link to stop. A lock that cannot be taken for another reason
// (no runtime dir) does not stop linking: it only guards against two pollers at once.
func (s Settings) LinkLock(log *slog.Logger, stop func()) (func(), error) {
	unlock, err := desktop.HoldLock(linkLockName(s.KeyringService()), stop)
	switch {
	case errors.Is(err, desktop.ErrLocked):
		return nil, ErrLinkBusy
	case err != nil:
		log.Warn("link lock unavailable; continuing without it", "err", err)
		return func() {}, nil
	}
	return unlock, nil
}
