package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// buildEnv is the environment the test process started with. Main points HOME at a
// temporary directory, and a build there would start from an empty Go build cache.
var buildEnv = os.Environ()

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the path of a plexlink binary built once per test process from this
// checkout (or $PLEXLINK_BIN when set, to test a packaged build). End-to-end tests run the
// real binary, not the packages, so flags, exit codes and stdout are what a user gets.
func Binary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("PLEXLINK_BIN"); p != "" {
			binPath, binErr = filepath.Abs(p)
			return
		}
		root, err := RepoRoot()
		if err != nil {
			binErr = err
			return
		}
		dir, err := os.MkdirTemp("", "plexlink-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "plexlink")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = root
		cmd.Env = buildEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	if binErr != nil {
		tb.Fatalf("building plexlink: %v", binErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// removeBinary deletes the binary Binary built; Main calls it after the tests.
func removeBinary() {
	if binPath != "" && os.Getenv("PLEXLINK_BIN") == "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
}

// RepoRoot is the directory holding go.mod, found from the working directory upwards.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
