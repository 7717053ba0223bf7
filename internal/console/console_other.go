//go:build !windows

package console

// AttachParent does nothing outside Windows: a terminal's program always has its streams.
func AttachParent() {}
