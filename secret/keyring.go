package secret

import (
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// probeAccount is looked up (never written) to see whether the keyring
// answers.
const probeAccount = "easbridge-probe"

// Keyring is the OS keyring through go-keyring: the freedesktop Secret
// Service over D-Bus on Linux (GNOME Keyring, KeePassXC, KWallet 6), the
// login Keychain on macOS.
type Keyring struct {
	// Timeout bounds each call; zero means none.
	Timeout time.Duration
}

// Probe returns nil when the keyring answers a lookup.
func (k *Keyring) Probe() error {
	if err := keyringReachable(); err != nil {
		return err
	}
	_, err := k.Get("easbridge", probeAccount)
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Get implements Store.
func (k *Keyring) Get(service, account string) (string, error) {
	var v string
	err := k.call("reading", func() error {
		var err error
		v, err = keyring.Get(service, account)
		return err
	})
	return v, err
}

// Set implements Store.
func (k *Keyring) Set(service, account, value string) error {
	return k.call("writing", func() error { return keyring.Set(service, account, value) })
}

// Delete implements Store.
func (k *Keyring) Delete(service, account string) error {
	return k.call("deleting", func() error { return keyring.Delete(service, account) })
}

// call runs f with the timeout. go-keyring takes no context, so a call
// stuck on an unlock prompt is abandoned (its goroutine finishes or leaks
// until the D-Bus call returns) rather than hanging the daemon.
func (k *Keyring) call(what string, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	var timeout <-chan time.Time
	if k.Timeout > 0 {
		t := time.NewTimer(k.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case err := <-done:
		if errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("secret: %s %s: %w", what, keyringName, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("secret: %s %s: %w", what, keyringName, err)
		}
		return nil
	case <-timeout:
		return fmt.Errorf("secret: %s %s: no answer within %v (locked, or waiting for a prompt)", what, keyringName, k.Timeout)
	}
}
