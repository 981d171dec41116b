//go:build !linux

package main

// storeEDSPasswords: evolution-data-server is a Linux desktop service.
func storeEDSPasswords(uids []string, password string) error {
	return errNoSecretService
}
