package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/easbridge/easbridge/secret"
)

// secretService is the keyring service every easbridge secret is kept
// under; the keyring account is secretKey's result.
const secretService = "easbridge"

// davSecret is the key of the per-install DAV password.
const davSecret = "dav"

// accountSecret is the key of an account's Exchange password.
func accountSecret(name string) string { return "account/" + name }

// openSecrets opens the OS keyring, or the 0600 file where none answers.
// Tests replace it.
var openSecrets = func() (secret.Store, secret.Choice, error) {
	return secret.Open(secret.Options{})
}

// storedSecret reads a secret setup stored. The error says how to put
// one there.
func storedSecret(key, what string) (string, error) {
	st, _, err := openSecrets()
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	v, err := st.Get(secretService, key)
	if errors.Is(err, secret.ErrNotFound) {
		other := "password_command in the account or $" + passwordEnv
		if key == davSecret {
			other = "[dav] password_command or $" + davPasswordEnv
		}
		return "", fmt.Errorf("%s: none stored: run `easbridge setup` (it keeps it in the OS keyring or a 0600 file), or set %s", what, other)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// newDAVPassword is a random password for the loopback servers.
func newDAVPassword() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
