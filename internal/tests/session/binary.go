package session

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
	env       []string // added to the build's environment

	once sync.Once
	path string
	err  error
}

// The two programs are built into one directory, as the packages install them: `plexlink
// demo` looks for the desktop app beside itself.
var (
	programsDir    = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "plexlink-programs-") })
	plexlinkBuild  = &build{pkg: "./cmd/plexlink", name: "plexlink", env: []string{"CGO_ENABLED=0"}}
	desktopBuild   = &build{pkg: ".", name: "plexlink-desktop"}
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
		dir, err := programsDir()
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, b.name)
		cmd := exec.Command("go", "build", "-o", b.path, b.pkg)
		cmd.Dir = root
		cmd.Env = append(append([]string(nil), buildEnv...), b.env...)
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

// Binary returns the path of the `plexlink` command line, built once per test process from
// this checkout with CGO_ENABLED=0, as released (or $PLEXLINK_BIN when set, to test a
// packaged build). End-to-end tests run the real program, not the packages, so flags, exit
// codes and stdout are what a user gets.
func Binary(tb testing.TB) string {
	tb.Helper()
	return program(tb, "PLEXLINK_BIN", plexlinkBuild)
}

// Desktop returns the path of the desktop app (`plexlink-desktop`, the root package), built
// once per test process beside Binary's (or $PLEXLINK_DESKTOP_BIN when set).
func Desktop(tb testing.TB) string {
	tb.Helper()
	return program(tb, "PLEXLINK_DESKTOP_BIN", desktopBuild)
}

func program(tb testing.TB, envVar string, b *build) string {
	tb.Helper()
	if p := os.Getenv(envVar); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			tb.Fatal(err)
		}
		return abs
	}
	return b.get(tb)
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
	if dir, err := programsDir(); err == nil {
		_ = os.RemoveAll(dir)
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
