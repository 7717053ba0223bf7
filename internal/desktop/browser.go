package desktop

import (
	"io"

	"github.com/pkg/browser"
)

// OpenBrowser opens url in the user's browser. pkg/browser's chatter is discarded: it copies
// the browser's own output to ours, which would garble a terminal's progress line.
func OpenBrowser(url string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(url)
}
