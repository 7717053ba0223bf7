package account

import (
	"context"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/servers"
)

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

	// What the window lists (the tray reads it while a window is open).
	Servers(ctx context.Context) ([]servers.Server, error) // probed; the servers' tokens must not be shown
	Tools() ([]ToolInfo, error)                            // config.json and the keychain's index: no network
	UserTools(user string) ([]UserTool, error)             // the index: no network
	HomeUsers(ctx context.Context) ([]auth.HomeUser, error)
	RevokeTool(ctx context.Context, name string) error
	RevokeUserTool(ctx context.Context, user, tool string) error
}

var _ Backend = (*Service)(nil)
