package storage

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzConfigLoad feeds config.json arbitrary bytes: Load never fails on content (a corrupt
// file is moved aside), what it returns is stable, the file left behind is valid JSON, and
// the client identifier the app will send as an HTTP header is a clean value.
func FuzzConfigLoad(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"client_id":"0b6f1d1e-8c1a-4a52-9d0e-2f3c4b5a6d7e"}`,
		`{"client_id":"0b6f1d1e-8c1a-4a52-9d0e-2f3c4b5a6d7e","account":{"id":1,"uuid":"u","username":"alice","linked_at":"2024-01-01T00:00:00Z"}}`,
		`{"client_id":"0b6f1d1e-8c1a-4a52-9d0e-2f3c4b5a6d7e",`, `{"account":{"linked_at":"yesterday"}}`,
		`{"client_id":12}`, `{"client_id":"a\r\nX-Evil: 1"}`, "\xff\xfe{}", `{"account":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c := OpenConfig(path)
		first, err := c.Load()
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		again, err := c.Load()
		if err != nil || !reflect.DeepEqual(first, again) {
			t.Fatalf("second Load differs: %+v vs %+v (%v)", first, again, err)
		}
		if b, err := os.ReadFile(path); err == nil && !json.Valid(b) {
			t.Fatalf("Load left a file that is not JSON")
		}
		id, err := c.ClientID()
		if err != nil {
			t.Fatalf("ClientID: %v", err)
		}
		if id == "" || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) {
			t.Fatalf("ClientID %q is not usable as a header value", id)
		}
	})
}
