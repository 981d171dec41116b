package oauth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/easbridge/easbridge/secret"
)

// The keyring seam, exercised with secret's file backend (the keyring
// itself needs a desktop session).
func TestSecretStore(t *testing.T) {
	s := SecretStore{Secrets: &secret.File{Path: filepath.Join(t.TempDir(), "secrets.json")}}
	if _, err := s.Load("work"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("empty: %v", err)
	}
	tok := &Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Unix(2e9, 0).UTC()}
	if err := s.Save("work", tok); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load("work"); err != nil || *got != *tok {
		t.Fatalf("Load %v %v", got, err)
	}
	if err := s.Delete("work"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("work"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	// A Source works over it: refresh and rotation land in the store.
	f := newFakeIDP(t)
	f.refresh["rt"] = true
	s.Save("work", &Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(-time.Hour), ClientID: f.clientID})
	at, err := NewSource(f.config(), s, "work").Token(context.Background())
	if got, _ := s.Load("work"); err != nil || got.AccessToken != at || got.RefreshToken == "rt" {
		t.Fatalf("after refresh: %v %v", got, err)
	}
}
