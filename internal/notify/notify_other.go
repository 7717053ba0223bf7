//go:build !(linux || freebsd || openbsd || netbsd || darwin || windows)

package notify

func send(title, body string) error { return ErrUnavailable }
