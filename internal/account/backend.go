package account

import "context"

// Backend is what the desktop app (internal/tray and the ui window) needs from *Service;
// tests and the demo may supply their own. It is defined once, here, where both can import
// it.
type Backend interface {
	Status(ctx context.Context, check bool) (Status, error)
	Token() (string, error)
	// CheckTools pings the tools' tokens and renews those plex.tv refused.
	CheckTools(ctx context.Context) (renewed []string, err error)
	Link(ctx context.Context, o LinkOptions) Outcome
	Unlink(ctx context.Context, signOut bool) (UnlinkResult, error)
	Avatar(ctx context.Context, thumbURL string) ([]byte, error)
}

var _ Backend = (*Service)(nil)
