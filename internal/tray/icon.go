package tray

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"runtime"
)

// platformIcon is the tray icon in the form the platform's systray takes: PNG on Linux and
// macOS, an .ico holding the PNG on Windows (Vista and later read PNG entries).
func platformIcon(pngData []byte) []byte {
	if runtime.GOOS != "windows" {
		return pngData
	}
	return pngToICO(pngData)
}

func pngToICO(pngData []byte) []byte {
	w, h := 0, 0
	if cfg, err := png.DecodeConfig(bytes.NewReader(pngData)); err == nil {
		w, h = cfg.Width, cfg.Height
	}
	dim := func(n int) byte {
		if n >= 256 || n <= 0 {
			return 0 // 0 means 256
		}
		return byte(n)
	}
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	le(uint16(0)) // reserved
	le(uint16(1)) // type: icon
	le(uint16(1)) // one image
	b.WriteByte(dim(w))
	b.WriteByte(dim(h))
	b.WriteByte(0) // no palette
	b.WriteByte(0) // reserved
	le(uint16(1))  // colour planes
	le(uint16(32)) // bits per pixel
	le(uint32(len(pngData)))
	le(uint32(6 + 16)) // offset of the image data
	b.Write(pngData)
	return b.Bytes()
}
