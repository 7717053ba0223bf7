package display

import (
	"codeberg.org/plexlink/plexlink/internal/tests/session"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ArtifactsDir is where tests save screenshots: $PLEXLINK_TEST_ARTIFACTS, or test-artifacts/
// at the repository root (git-ignored). It is created if missing.
func ArtifactsDir() (string, error) {
	dir := os.Getenv("PLEXLINK_TEST_ARTIFACTS")
	if dir == "" {
		root, err := session.RepoRoot()
		if err != nil {
			return "", fmt.Errorf("display: finding the repository root: %w", err)
		}
		dir = filepath.Join(root, "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("display: %w", err)
	}
	return filepath.Abs(dir)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves the whole screen as <artifacts>/<test name>-<name>.png, logs the path and
// fails tb unless the picture has real content (see CheckNotBlank). A window is mapped a
// moment before its first frame is drawn, so a blank picture is retaken for up to 5 s.
func (x *Display) Screenshot(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := ArtifactsDir()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(tb.Name()+"-"+name, "_")+".png")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := x.SaveScreenshot(path); err != nil {
			tb.Fatalf("screenshot %q: %v", name, err)
		}
		err := CheckNotBlank(path)
		if err == nil {
			tb.Logf("screenshot %s: %s", name, path)
			return path
		}
		if time.Now().After(deadline) {
			tb.Fatalf("screenshot %q, retaken for 5s: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SaveScreenshot writes the root window as PNG to path: xwd | convert.
func (x *Display) SaveScreenshot(path string) error {
	if err := session.LookPath("convert", "imagemagick"); err != nil {
		return err
	}
	dump, err := x.xwd()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var errb bytes.Buffer
	conv := exec.CommandContext(ctx, "convert", "xwd:-", "png:"+path)
	conv.Stdin, conv.Stderr = bytes.NewReader(dump), &errb
	if err := conv.Run(); err != nil {
		return fmt.Errorf("convert xwd to png: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	return nil
}

// xwd dumps the root window in X window dump format.
func (x *Display) xwd() ([]byte, error) {
	if err := session.LookPath("xwd", "x11-apps"); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "xwd", "-root", "-silent", "-display", x.Name)
	cmd.Env = x.Env(xvfbEnv())
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("xwd: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// ScreenHash fingerprints what the screen shows now, to wait for a redraw.
func (x *Display) ScreenHash() (string, error) {
	dump, err := x.xwd()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(dump)
	return hex.EncodeToString(sum[:8]), nil
}

// WaitRedraw waits until the screen differs from the one fingerprinted as before, e.g. for a
// dialog to appear after a click.
func (x *Display) WaitRedraw(before string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		now, err := x.ScreenHash()
		if err != nil {
			return err
		}
		if now != before {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the screen did not change within %v", timeout)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// Blank-screen thresholds: a bare Xvfb root is one colour; a Fyne window adds its theme
// colours plus anti-aliased text, i.e. dozens of colours on a few percent of the screen.
const (
	minColours       = 16
	maxDominantShare = 0.995
)

// CheckNotBlank decodes the PNG at path and returns an error unless it has at least
// minColours distinct colours and no single colour covers more than maxDominantShare of it.
func CheckNotBlank(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	st := ImageStats(img)
	if st.Colours < minColours || st.DominantShare > maxDominantShare {
		return fmt.Errorf("%s looks blank: %d distinct colours (want ≥ %d), most common colour covers %.2f%% (want ≤ %.1f%%)",
			path, st.Colours, minColours, 100*st.DominantShare, 100*maxDominantShare)
	}
	return nil
}

// Stats describes how varied a picture is.
type Stats struct {
	Colours       int
	DominantShare float64 // fraction of pixels of the most common colour
}

// ImageStats counts the distinct colours of img and the share of the most common one.
func ImageStats(img image.Image) Stats {
	b := img.Bounds()
	counts := map[[4]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r, g, bl, a}]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	total := b.Dx() * b.Dy()
	if total == 0 {
		return Stats{}
	}
	return Stats{Colours: len(counts), DominantShare: float64(top) / float64(total)}
}
