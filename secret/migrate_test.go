package secret

import (
	"errors"
	"path/filepath"
	"testing"
)

// memStore is a keyring stand-in held in memory (a fake, not a mock: it
// keeps real state).
type memStore map[string]string

func (m memStore) Get(s, a string) (string, error) {
	v, ok := m[s+"\x00"+a]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}
func (m memStore) Set(s, a, v string) error { m[s+"\x00"+a] = v; return nil }
func (m memStore) Delete(s, a string) error {
	if _, ok := m[s+"\x00"+a]; !ok {
		return ErrNotFound
	}
	delete(m, s+"\x00"+a)
	return nil
}

func TestMigratingFindsFileSecretAndMovesIt(t *testing.T) {
	f := &File{Path: filepath.Join(t.TempDir(), "secrets.json")}
	if err := f.Set("eas", "u", "from-file"); err != nil {
		t.Fatal(err)
	}
	kr := memStore{}
	m := &migrating{keyring: kr, file: f}
	if v, err := m.Get("eas", "u"); err != nil || v != "from-file" {
		t.Fatalf("Get = %q, %v; want the file's secret", v, err)
	}
	if err := m.Set("eas", "u", "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get("eas", "u"); !errors.Is(err, ErrNotFound) {
		t.Errorf("file copy kept after Set: %v", err)
	}
	if v, err := m.Get("eas", "u"); err != nil || v != "new" {
		t.Errorf("Get = %q, %v", v, err)
	}
	if err := m.Delete("eas", "u"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete("eas", "u"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v", err)
	}
	if _, err := m.Get("eas", "absent"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get absent = %v", err)
	}
}
