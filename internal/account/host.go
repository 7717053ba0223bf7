package account

import (
	"errors"
	"fmt"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/storage"
)

// ErrOtherHost means the configured plex.tv API is not the host the stored token was
// linked with: the token is not sent there.
var ErrOtherHost = errors.New("the stored token belongs to another plex.tv host")

// plexOrigins are plex.tv's own API hosts; a token linked with one works with the other.
var plexOrigins = map[string]bool{"https://plex.tv": true, "https://clients.plex.tv": true}

// apiBase is the API base the client talks to.
func (s *Service) apiBase() string {
	if s.Client.BaseURL == "" {
		return auth.DefaultBaseURL
	}
	return s.Client.BaseURL
}

// checkHost reports whether the account token recorded in c may be sent to the configured
// API host. A token linked with plex.tv goes to plex.tv only; one linked with a loopback
// fake goes to loopback fakes only (their ports change from run to run, and the CLI gives
// them a keychain service of their own). A config without a record (written before it was
// kept, or lost) counts as plex.tv's, except that a loopback fake may still use it: that is
// this machine, and only named on purpose.
func (s *Service) checkHost(c storage.Config) error {
	now := s.apiBase()
	linked := auth.DefaultBaseURL
	if c.Account != nil && c.Account.API != "" {
		linked = c.Account.API
	} else if auth.IsLoopbackURL(now) {
		return nil
	}
	from, to := auth.Origin(linked), auth.Origin(now)
	switch {
	case from == to, plexOrigins[from] && plexOrigins[to]:
		return nil
	case auth.IsLoopbackURL(linked) && auth.IsLoopbackURL(now):
		return nil
	}
	return fmt.Errorf("%w: it was linked with %s and is not sent to %s; to use that host, link it under its own keychain service (PLEXLINK_KEYRING_SERVICE=NAME plexlink --server-url %s link)",
		ErrOtherHost, from, to, now)
}

// checkConfiguredHost is checkHost against the config on disk (none: nothing recorded).
func (s *Service) checkConfiguredHost() error {
	var c storage.Config
	if s.Config != nil {
		var err error
		if c, err = s.Config.Load(); err != nil {
			return err
		}
	}
	return s.checkHost(c)
}

// AccountToken is the stored account token, provided it may go to the configured host.
func (s *Service) AccountToken() (auth.Token, storage.Config, error) {
	tok, err := s.Tokens.Load()
	if err != nil {
		return "", storage.Config{}, err
	}
	var c storage.Config
	if s.Config != nil {
		if c, err = s.Config.Load(); err != nil {
			return "", c, err
		}
	}
	if err := s.checkHost(c); err != nil {
		return "", c, err
	}
	return auth.Token(tok), c, nil
}
