package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// The committed artwork must be exactly what the generator draws, so anyone can rebuild it.
func TestCommittedArtworkIsRegenerated(t *testing.T) {
	tmp := t.TempDir()
	if err := generate(tmp); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	for _, f := range []string{"Icon.png", "packaging/icon/icon.svg", "packaging/icon/window.png", "packaging/icon/tray.png", "packaging/icon/tray-relink.png"} {
		want, err := os.ReadFile(filepath.Join(tmp, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output; run `go run ./packaging/icon`", f)
		}
	}
}

func TestIconSizes(t *testing.T) {
	for f, size := range map[string]int{"Icon.png": 1024, "packaging/icon/window.png": 128, "packaging/icon/tray.png": 64, "packaging/icon/tray-relink.png": 64} {
		data, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if cfg.Width != size || cfg.Height != size {
			t.Errorf("%s is %dx%d, want %dx%d", f, cfg.Width, cfg.Height, size, size)
		}
	}
}
