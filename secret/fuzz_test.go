package secret

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzFileLoad feeds arbitrary file contents to the file store: it must
// answer with a secret or an error, never panic, and never change a file
// it could not read.
func FuzzFileLoad(f *testing.F) {
	f.Add([]byte(`{"version":1,"secrets":{"eas":{"u":"pw"}}}`))
	f.Add([]byte(`{"version":1,"secrets":null}`))
	f.Add([]byte(`{"version":1,"secrets":{"eas":null}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "secrets.json")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		s := &File{Path: path}
		_, gerr := s.Get("eas", "u")
		serr := s.Set("eas", "v", "x")
		if gerr != nil && !errors.Is(gerr, ErrNotFound) {
			if serr == nil {
				t.Fatalf("Set succeeded over a file Get could not read (%v)", gerr)
			}
			if b, _ := os.ReadFile(path); string(b) != string(content) {
				t.Fatal("unreadable file was changed")
			}
			return
		}
		if serr != nil {
			t.Fatalf("Set failed on a readable file: %v", serr)
		}
		if v, err := s.Get("eas", "v"); err != nil || v != "x" {
			t.Fatalf("Get after Set = %q, %v", v, err)
		}
	})
}
