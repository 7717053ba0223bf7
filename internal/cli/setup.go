package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/desktop"
	"codeberg.org/plexlink/plexlink/storage"
)

// productName is what plex.tv shows in the user's Authorized Devices list.
const productName = "Plex Link"

// loopbackService is the keychain service of a loopback fake plex.tv named with --server-url
// when no other is chosen: the real account's token is never read for a local fake.
const loopbackService = "plexlink-loopback"

// keyringService is the keychain service for this process: PLEXLINK_KEYRING_SERVICE or
// plexlink, and never plexlink for a loopback --server-url.
func keyringService(g globals, env Env) string {
	s := env.Getenv("PLEXLINK_KEYRING_SERVICE")
	if s == "" {
		s = storage.DefaultService
	}
	if s == storage.DefaultService && auth.IsLoopbackURL(g.serverURL) {
		return loopbackService
	}
	return s
}

// configFor pairs the local state with the keychain service, so a demo or test service
// never overwrites the real account's details.
func configFor(service string) (*storage.ConfigStore, error) {
	path, err := storage.DefaultConfigPath()
	if err != nil {
		return nil, err
	}
	if service != storage.DefaultService {
		path = filepath.Join(filepath.Dir(path), "config-"+sanitize(service)+".json")
	}
	return storage.OpenConfig(path), nil
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// newService builds the account service from the settings. The client identifier is
// created once per install and reused, since plex.tv lists each new one as a new device.
func newService(g globals, env Env) (*account.Service, error) {
	base := g.serverURL
	if base == "" {
		base = auth.DefaultBaseURL
	}
	if err := auth.CheckURL(base); err != nil {
		return nil, fmt.Errorf("--server-url: %w", err)
	}
	linkPage := g.linkURL
	if linkPage == "" {
		linkPage = auth.DefaultLinkPage
	}
	if err := auth.CheckURL(linkPage); err != nil {
		return nil, fmt.Errorf("--link-url: %w", err)
	}
	service := keyringService(g, env)
	cfg, err := configFor(service)
	if err != nil {
		return nil, err
	}
	clientID, err := cfg.ClientID()
	if err != nil {
		return nil, fmt.Errorf("reading the local config: %w", err)
	}
	if w := cfg.Warning(); w != "" {
		fmt.Fprintf(env.Stderr, "plexlink: %s\n", w)
	}
	host, _ := os.Hostname()
	client := &auth.Client{
		BaseURL:  base,
		LinkPage: linkPage,
		Identity: auth.Identity{
			Product:    productName,
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
		StopLinks:  func(ctx context.Context) (func(), error) { return desktop.Preempt(ctx, linkLockName(service)) },
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
