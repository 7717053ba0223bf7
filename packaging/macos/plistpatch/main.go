// Command plistpatch sets boolean keys in the top-level dictionary of an XML property list,
// in place. packaging/macos/package.sh uses it to mark Plex Link a tray-only app
// (LSUIElement), which Fyne's packager has no switch for:
//
//	go run ./packaging/macos/plistpatch "Plex Link.app/Contents/Info.plist" LSUIElement=true
//
// It edits the bytes of just the affected value, so the rest of the file (the keys Fyne
// wrote, comments, formatting) is left exactly as it was.
package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: plistpatch Info.plist KEY=true|false...")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "plistpatch: %v\n", err)
		os.Exit(1)
	}
}

func run(path string, sets []string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || (v != "true" && v != "false") || k == "" {
			return fmt.Errorf("%q: want KEY=true or KEY=false", s)
		}
		if data, err = setBool(data, k, v == "true"); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return os.WriteFile(path, data, st.Mode().Perm())
}

// setBool sets key to v in the plist's top-level <dict>, replacing an existing value of any
// type or appending the key before the closing </dict>.
func setBool(data []byte, key string, v bool) ([]byte, error) {
	if bytes.HasPrefix(data, []byte("bplist")) {
		return nil, errors.New("binary property list; convert it first with `plutil -convert xml1`")
	}
	val := "<false/>"
	if v {
		val = "<true/>"
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	var lastKey string
	inKey := false
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return nil, errors.New("no top-level <dict> in <plist>")
		}
		if err != nil {
			return nil, fmt.Errorf("not a valid XML property list: %w", err)
		}
		top := len(stack) == 2 && stack[0] == "plist" && stack[1] == "dict"
		switch t := tok.(type) {
		case xml.StartElement:
			if top && t.Name.Local != "key" {
				// A value of the top dict: replace it if it belongs to our key.
				if err := dec.Skip(); err != nil {
					return nil, fmt.Errorf("not a valid XML property list: %w", err)
				}
				if lastKey == key {
					return splice(data, off, dec.InputOffset(), val), nil
				}
				continue
			}
			stack = append(stack, t.Name.Local)
			if top {
				inKey, lastKey = true, ""
			}
		case xml.CharData:
			if inKey {
				lastKey += string(t)
			}
		case xml.EndElement:
			if top && t.Name.Local == "dict" {
				indent := "\t"
				return splice(data, off, off, indent+"<key>"+escape(key)+"</key>\n"+indent+val+"\n"), nil
			}
			inKey = false
			stack = stack[:len(stack)-1]
		}
	}
}

func splice(data []byte, from, to int64, s string) []byte {
	out := append([]byte{}, data[:from]...)
	out = append(out, s...)
	return append(out, data[to:]...)
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer never fails
	return b.String()
}
