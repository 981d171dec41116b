package secret

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestKeyringRoundTrip runs against a real Secret Service. Unit tests
// cannot count on one, so it runs only when EASBRIDGE_TEST_KEYRING=1, as
// interop/service.sh sets it inside dbus-run-session with
// gnome-keyring-daemon.
func TestKeyringRoundTrip(t *testing.T) {
	if os.Getenv("EASBRIDGE_TEST_KEYRING") != "1" {
		t.Skip("EASBRIDGE_TEST_KEYRING=1 not set (interop/service.sh runs this)")
	}
	s, c, err := Open(Options{File: t.TempDir() + "/unused.json", Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.Backend != BackendKeyring {
		t.Fatalf("keyring not chosen: %s", c)
	}
	const svc, acct = "easbridge-test", "u@example.com"
	if err := s.Set(svc, acct, "hunter2"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(svc, acct); err != nil || v != "hunter2" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Set(svc, acct, "rotated"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(svc, acct); err != nil || v != "rotated" {
		t.Fatalf("Get after Set = %q, %v", v, err)
	}
	if err := s.Delete(svc, acct); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(svc, acct); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	t.Logf("keyring round trip through %s", c.Where)
}
