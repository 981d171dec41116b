package secret

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "easbridge", "secrets.json")
	f := &File{Path: path}
	if _, err := f.Get("eas", "u@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on a missing file: %v", err)
	}
	for _, tc := range []struct{ service, account, value string }{
		{"eas", "u@example.com", "hunter2"},
		{"eas", "other@example.com", "p\"w\n\x00ü"},
		{"dav", "local", "dav-pass"},
		{"eas", "u@example.com", "rotated"},
	} {
		if err := f.Set(tc.service, tc.account, tc.value); err != nil {
			t.Fatal(err)
		}
	}
	f2 := &File{Path: path} // a fresh reader sees what was written
	for _, tc := range []struct{ service, account, want string }{
		{"eas", "u@example.com", "rotated"},
		{"eas", "other@example.com", "p\"w\n\x00ü"},
		{"dav", "local", "dav-pass"},
	} {
		if got, err := f2.Get(tc.service, tc.account); err != nil || got != tc.want {
			t.Errorf("Get(%s, %s) = %q, %v; want %q", tc.service, tc.account, got, err, tc.want)
		}
	}
	if err := f2.Delete("dav", "local"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get("dav", "local"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted secret still there: %v", err)
	}
	if err := f.Delete("dav", "local"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v; want 0600", st.Mode(), err)
	}
	dst, err := os.Stat(filepath.Dir(path))
	if err != nil || dst.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, %v; want 0700", dst.Mode(), err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestFileRefusesReadableByOthers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	f := &File{Path: path}
	if err := f.Set("eas", "u", "hunter2"); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := f.Get("eas", "u")
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
			t.Errorf("mode %04o: got %v, want a refusal naming the mode and the fix", mode, err)
		}
		if err := f.Set("eas", "u", "x"); err == nil {
			t.Errorf("mode %04o: Set over a readable file succeeded", mode)
		}
		if strings.Contains(fmt.Sprint(err), "hunter2") {
			t.Error("error message carries the secret")
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := f.Get("eas", "u"); err != nil || v != "hunter2" {
		t.Errorf("after chmod 600: %q, %v", v, err)
	}
}

func TestFileBadContent(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage":   "not json",
		"version2":  `{"version":2,"secrets":{}}`,
		"truncated": `{"version":1,"secrets":{"eas":`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		f := &File{Path: path}
		if _, err := f.Get("eas", "u"); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("%s: got %v, want a read error", name, err)
		}
		if err := f.Set("eas", "u", "v"); err == nil {
			t.Errorf("%s: Set overwrote an unreadable file", name)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("%s: content changed", name)
		}
	}
	if _, err := (&File{Path: dir}).Get("a", "b"); err == nil {
		t.Error("a directory was read as a secrets file")
	}
}

// TestFileConcurrentWriters runs writers through separate File values, as
// separate processes would be, so only the file lock keeps them apart.
func TestFileConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			f := &File{Path: path}
			for j := 0; j < 5; j++ {
				if err := f.Set("eas", fmt.Sprintf("a%d-%d", i, j), "v"); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	f := &File{Path: path}
	for i := 0; i < 8; i++ {
		for j := 0; j < 5; j++ {
			if _, err := f.Get("eas", fmt.Sprintf("a%d-%d", i, j)); err != nil {
				t.Errorf("lost update: %v", err)
			}
		}
	}
}

func TestOpenFallsBackToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	for _, opts := range []Options{{File: path, NoKeyring: true}, {File: path}} {
		s, c, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*File); !ok || c.Backend != BackendFile || c.Where != path || c.Reason == "" {
			t.Errorf("Open(%+v) = %T, %+v", opts, s, c)
		}
		if !strings.Contains(c.String(), path) || !strings.Contains(c.String(), c.Reason) {
			t.Errorf("choice line %q", c.String())
		}
	}
}
