package session

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

var (
	shared    *Session
	sharedErr = errors.New("session: Main was not called from TestMain")
)

// Main starts one session for the whole test binary, applies it to the process, runs the
// tests and stops it. If the session cannot start: with CI set it prints why and returns 1;
// otherwise it prints why and runs the tests anyway, and Shared skips those that need it.
//
//	func TestMain(m *testing.M) { os.Exit(session.Main(m)) }
func Main(m *testing.M, opts ...Option) int {
	defer removeBinary()
	s, err := StartSession(opts...)
	if err != nil {
		if inCI() {
			fmt.Fprintf(os.Stderr, "%v\nCI is set: a missing test component is a failure.\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "%v\ntests that need the keychain will be skipped.\n", err)
		sharedErr = err
		return m.Run()
	}
	fmt.Fprintf(os.Stderr, "session: private dbus-daemon + gnome-keyring ready in %v\n", s.StartupTime.Round(1e6))
	shared, sharedErr = s, nil
	s.Apply()
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Shared returns the session started by Main, or skips tb (fails it with CI set) when there
// is none.
func Shared(tb testing.TB) *Session {
	tb.Helper()
	if shared == nil {
		Require(tb, sharedErr)
	}
	return shared
}

// Require does nothing for a nil err. Otherwise, because a missing daemon or program is an
// environment problem, it skips tb, unless env CI is set: then it is a failure.
func Require(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if inCI() {
		tb.Fatalf("%v (CI is set: a missing test component is a failure)", err)
		return
	}
	tb.Skipf("%v (skipped; with CI set this fails)", err)
}

func inCI() bool { return os.Getenv("CI") != "" }

// RequireTool is Require for a program on PATH from the Debian package pkg.
func RequireTool(tb testing.TB, name, pkg string) {
	tb.Helper()
	Require(tb, LookPath(name, pkg))
}
