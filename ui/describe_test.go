package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
)

// A link that plex.tv rate-limits for a day says so in the window, in the words the
// terminal uses, not "wait a minute".
func TestFailedLinkShowsHowLongToWait(t *testing.T) {
	err := fmt.Errorf("getting a PIN code: %w", &auth.RetryLaterError{Wait: 24 * time.Hour, Err: &auth.RateLimitError{RetryAfter: 24 * time.Hour}})
	want := "plex.tv is rate-limiting this computer; try again in about 24 hours"
	_, msg := describe(err)
	if !strings.Contains(msg, want) {
		t.Errorf("window: %q, want %q", msg, want)
	}
	if s := (account.Outcome{Kind: account.Failed, Err: err}).Summary(); !strings.Contains(s, want) {
		t.Errorf("Summary: %q, want %q", s, want)
	}
}
