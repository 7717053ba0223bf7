package account

import (
	"context"

	"codeberg.org/plexlink/plexlink/internal/servers"
)

// ServerOptions are the probe's options for this service: a server someone else shares may
// be on loopback only when plex.tv is (the fake).
func (s *Service) ServerOptions() servers.Options {
	return servers.Options{LoopbackPlexTV: s.Client != nil && servers.IsLoopbackURL(s.Client.BaseURL)}
}

// Servers lists the account's media servers, each probed for the connection that answers
// from this computer (every candidate, 3 s each; what `plexlink servers` shows). The
// servers' tokens stay in the result: callers that show it must leave them out.
func (s *Service) Servers(ctx context.Context) ([]servers.Server, error) {
	acct, _, err := s.AccountToken()
	if err != nil {
		return nil, err
	}
	res, err := s.Resources(ctx, acct)
	if err != nil {
		return nil, err
	}
	return servers.Probe(ctx, s.ServerOptions(), res, true), nil
}
