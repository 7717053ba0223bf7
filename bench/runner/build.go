package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"codeberg.org/plexlink/plexlink/internal/tests/session"
)

// preSplit is the commit whose binary the exec row compares the command line with: the
// first parent of 54f0005 ("Two programs: …"), the last one-binary plexlink (command line,
// tray and window in one cgo Fyne build). Its exec does what today's does: 54f0005 moved the
// commands onto cobra and renamed one function in internal/account; auth, servers and the
// account service's hand-off code are unchanged.
const preSplit = "2e083a0"

// programs are the executables one run measures, all in one directory: the command line's
// `demo` finds the desktop app beside it, as an install has them.
type programs struct {
	dir       string
	cli       string // plexlink: ./cmd/plexlink, CGO_ENABLED=0 (as released)
	desktop   string // plexlink-desktop: the root package, cgo + Fyne
	reference string // bench/reference, the bare Fyne app
	hello     string // bench/reference/hello, CGO_ENABLED=0
	before    string // the pre-split one-binary plexlink at commit beforeRev; "" = not built
	beforeRev string // short commit
}

// build builds every program with the same command, flags and toolchain (the comparisons
// are fair): `go build -o`, CGO_ENABLED=0 for the two pure-Go programs as `make build` has
// it, the toolchain's default (cgo) for the Fyne ones. before ("" = none) is a commit whose
// root package is built from a `git archive` of it, outside the repository.
func build(root, dir, before string) (programs, error) {
	p := programs{
		dir:       dir,
		cli:       filepath.Join(dir, "plexlink"),
		desktop:   filepath.Join(dir, "plexlink-desktop"),
		reference: filepath.Join(dir, "reference"),
		hello:     filepath.Join(dir, "hello"),
	}
	type target struct {
		out, pkg, src string
		pureGo        bool
	}
	targets := []target{
		{p.cli, "./cmd/plexlink", root, true},
		{p.desktop, ".", root, false},
		{p.reference, "./bench/reference", root, false},
		{p.hello, "./bench/reference/hello", root, true},
	}
	if before != "" {
		rev, err := exec.Command("git", "-C", root, "rev-parse", "--short", before+"^{commit}").Output()
		if err != nil {
			return p, fmt.Errorf("git rev-parse %s: %w", before, err)
		}
		p.beforeRev = strings.TrimSpace(string(rev))
		src := filepath.Join(dir, "src-"+p.beforeRev)
		if err := exportCommit(root, p.beforeRev, src); err != nil {
			return p, err
		}
		p.before = filepath.Join(dir, "plexlink-"+p.beforeRev)
		targets = append(targets, target{p.before, ".", src, false})
	}
	for _, t := range targets {
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", t.out, t.pkg)
		cmd.Dir = t.src
		if t.pureGo {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if o, err := cmd.CombinedOutput(); err != nil {
			return p, fmt.Errorf("go build %s (in %s): %w\n%s", t.pkg, t.src, err, o)
		}
		logf("built %s from %s in %v", filepath.Base(t.out), t.pkg, time.Since(start).Round(time.Millisecond))
		// Run copies written with write(2), as a package manager installs a file, not the
		// linker's output (written through a shared mapping). How the kernel holds a file's
		// page cache changes how much of it a process maps per fault, and plexlink's tray is
		// mostly the binary's own pages: measured alone, a tray from the linker's file was
		// 21.4 MiB, from a copy 13.0 MiB (in a full bench run, where other processes used the
		// file first, 21.5 → 20.1 MiB). Every program gets the same treatment.
		if err := session.InstallCopy(t.out); err != nil {
			return p, err
		}
	}
	return p, nil
}

// exportCommit writes the tree of rev into dir (git archive | tar), leaving the repository,
// its worktrees and its index alone.
func exportCommit(root, rev, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tarball := dir + ".tar"
	if o, err := exec.Command("git", "-C", root, "archive", "--format=tar", "-o", tarball, rev).CombinedOutput(); err != nil {
		return fmt.Errorf("git archive %s: %w: %s", rev, err, o)
	}
	defer os.Remove(tarball)
	if o, err := exec.Command("tar", "-xf", tarball, "-C", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("unpacking %s: %w: %s", rev, err, o)
	}
	return nil
}

// strippedMiB is the size of a `strip -o` copy of bin.
func strippedMiB(bin string) (float64, error) {
	if o, err := exec.Command("strip", "-o", bin+".stripped", bin).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("strip: %w: %s", err, o)
	}
	st, err := os.Stat(bin + ".stripped")
	if err != nil {
		return 0, err
	}
	return float64(st.Size()) / (1 << 20), nil
}
