package oauth

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/easbridge/easbridge/secret"
)

// SecretService is the service name under which SecretStore files the
// tokens in the keyring.
const SecretService = "easbridge-oauth"

// SecretStore keeps each account's token as one JSON value in a
// secret.Store: the OS keyring, or secret's own 0600 file. A keyring
// replaces an item whole, so a crash leaves the old or the new token.
type SecretStore struct {
	Secrets secret.Store
}

// Load reads the account's token.
func (s SecretStore) Load(account string) (*Token, error) {
	v, err := s.Secrets.Get(SecretService, account)
	if errors.Is(err, secret.ErrNotFound) {
		return nil, fmt.Errorf("%w: no tokens saved for %q", ErrNoToken, account)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: reading tokens of %q: %w", account, err)
	}
	var t Token
	if err := json.Unmarshal([]byte(v), &t); err != nil {
		return nil, fmt.Errorf("oauth: the saved tokens of %q are damaged: %w", account, err)
	}
	if t.RefreshToken == "" && t.AccessToken == "" {
		return nil, fmt.Errorf("%w: the saved tokens of %q are empty", ErrNoToken, account)
	}
	return &t, nil
}

// Save replaces the account's token.
func (s SecretStore) Save(account string, t *Token) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("oauth: encoding tokens: %w", err)
	}
	if err := s.Secrets.Set(SecretService, account, string(b)); err != nil {
		return fmt.Errorf("oauth: saving tokens of %q: %w", account, err)
	}
	return nil
}

// Delete forgets the account's token.
func (s SecretStore) Delete(account string) error {
	err := s.Secrets.Delete(SecretService, account)
	if err != nil && !errors.Is(err, secret.ErrNotFound) {
		return fmt.Errorf("oauth: deleting tokens of %q: %w", account, err)
	}
	return nil
}
