// Package clonecheck holds the test that keeps the repository standing alone: a user's clone
// has nothing beside it, so no tracked file may read or cite a path outside the checkout.
package clonecheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// upward matches a relative path that climbs directories, e.g. ../sibling/x or ../../y.
var upward = regexp.MustCompile(`(?:\.\./)+[A-Za-z0-9_.-]*`)

// machinePath is an absolute path into the development machine's workspace; a clone
// elsewhere has nothing there.
var machinePath = regexp.MustCompile(`(?:^|[\s"'=(:])/work/`)

const self = "internal/tests/clonecheck/clonecheck_test.go" // its examples are data

// notPaths are strings that look like paths but are data: each names the file and why.
var notPaths = map[string]string{
	"auth/fuzz_test.go": "../../evil.example", // a hostile PIN code the link URL must escape
}

func TestNoTrackedFileReachesOutsideTheCheckout(t *testing.T) {
	root := repoRoot(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v (the check needs git and a git checkout)", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 20 {
		t.Fatalf("git ls-files listed only %d files", len(files))
	}
	for _, rel := range files {
		if rel == self {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet committed
			}
			t.Fatal(err)
		}
		if bytes.IndexByte(data, 0) >= 0 {
			continue // binary (icons, screenshots)
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range upward.FindAllString(line, -1) {
				if ok := notPaths[rel]; ok != "" && strings.Contains(line, ok) {
					continue
				}
				if escapes(filepath.Dir(rel), m) {
					t.Errorf("%s:%d refers to %q, outside the repository: copy what it needs into the repo and cite that", rel, i+1, m)
				}
			}
			if machinePath.MatchString(line) {
				t.Errorf("%s:%d names a path on the developer's machine: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// escapes reports whether path p, written in a file in directory dir (relative to the root),
// points above the repository root. Shell scripts' "$(dirname "$0")/.." prefixes are resolved
// the same way, since they are relative to the script's own directory.
func escapes(dir, p string) bool {
	return strings.HasPrefix(filepath.ToSlash(filepath.Clean(filepath.Join(dir, p))), "../")
}

func TestEscapesCatchesTheSiblingCheckout(t *testing.T) {
	for _, tc := range []struct {
		dir, p string
		want   bool
	}{
		{".", "../sibling/spec/x.yaml", true},
		{"auth", "../docs", false},
		{"auth", "../../sibling", true},
		{"packaging/macos", "../common.sh", false},
		{"internal/e2e", "../../../x", true},
	} {
		if got := escapes(tc.dir, tc.p); got != tc.want {
			t.Errorf("escapes(%q, %q) = %v, want %v", tc.dir, tc.p, got, tc.want)
		}
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// docs/ARCHITECTURE.md is the map of the packages: every directory holding Go code (the
// root is main.go) must be named there as `dir/`, so a new package cannot arrive unmapped.
func TestArchitectureMapsEveryPackage(t *testing.T) {
	root := repoRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "*.go").Output()
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		if strings.Contains(f, "/testdata/") {
			continue
		}
		dirs[filepath.ToSlash(filepath.Dir(f))] = true
	}
	if len(dirs) < 10 {
		t.Fatalf("found only %d Go package directories", len(dirs))
	}
	for dir := range dirs {
		name := "`" + dir + "/`"
		if dir == "." {
			name = "`main.go`"
		}
		if !strings.Contains(string(doc), name) {
			t.Errorf("docs/ARCHITECTURE.md does not map %s", name)
		}
	}
}
