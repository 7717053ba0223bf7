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

// build is one program of this repository built at most once per test process, without
// -race, like a user's build.
type build struct {
	pkg, name string

	once sync.Once
	path string
	err  error
}

var (
	plexlinkBuild  = &build{pkg: ".", name: "plexlink"}
	referenceBuild = &build{pkg: "./bench/reference", name: "reference"}
)

func (b *build) get(tb testing.TB) string {
	tb.Helper()
	b.once.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			b.err = err
			return
		}
		dir, err := os.MkdirTemp("", "plexlink-"+b.name+"-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, b.name)
		cmd := exec.Command("go", "build", "-o", b.path, b.pkg)
		cmd.Dir = root
		cmd.Env = buildEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = &buildError{out: string(out), err: err}
			return
		}
		b.err = InstallCopy(b.path)
	})
	if b.err != nil {
		tb.Fatalf("building %s: %v", b.pkg, b.err)
	}
	return b.path
}

// InstallCopy replaces path with a copy written by write(2), as an installer writes a file,
// instead of the linker's output (written through a shared mapping). How the kernel holds a
// file's page cache changes how much of it a process maps per fault; the tray process is
// mostly the binary's own pages, and measured alone it was 21.4 MiB run from the linker's
// file and 13.0 MiB from a copy.
func InstallCopy(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// remove deletes what get built; Main calls it after the tests.
func (b *build) remove() {
	if b.path != "" {
		_ = os.RemoveAll(filepath.Dir(b.path))
	}
}

// Binary returns the path of a plexlink binary built once per test process from this
// checkout (or $PLEXLINK_BIN when set, to test a packaged build). End-to-end tests run the
// real binary, not the packages, so flags, exit codes and stdout are what a user gets.
func Binary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("PLEXLINK_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			tb.Fatal(err)
		}
		return abs
	}
	return plexlinkBuild.get(tb)
}

// Reference builds bench/reference (the bare Fyne app the benchmarks and the GUI harness
// tests use) once per test process and returns its path.
func Reference(tb testing.TB) string {
	tb.Helper()
	return referenceBuild.get(tb)
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// removeBinary deletes the programs built for this test process.
func removeBinary() {
	plexlinkBuild.remove()
	referenceBuild.remove()
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
