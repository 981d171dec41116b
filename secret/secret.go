// Package secret keeps Exchange credentials and tokens out of the config
// file: in the OS keyring (Secret Service on Linux, Keychain on macOS)
// where one answers, otherwise in a 0600 file that is refused when anyone
// else could read it.
package secret

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrNotFound is returned by Get and Delete when no secret is stored for
// the service and account.
var ErrNotFound = errors.New("secret: not found")

// Store keeps one secret per (service, account) pair.
type Store interface {
	// Get returns the secret, or an error wrapping ErrNotFound.
	Get(service, account string) (string, error)
	// Set stores the secret, replacing any earlier one.
	Set(service, account, value string) error
	// Delete removes the secret, or returns an error wrapping ErrNotFound.
	Delete(service, account string) error
}

// Backend names the kind of store Open chose.
type Backend string

// The backends Open can choose.
const (
	BackendKeyring Backend = "keyring"
	BackendFile    Backend = "file"
)

// Choice says which store Open chose and why, for setup and doctor to
// print.
type Choice struct {
	Backend Backend
	// Where is the keyring's name or the file's path.
	Where string
	// Reason explains why the keyring was not used; empty when it was.
	Reason string
}

// String is one line for the user.
func (c Choice) String() string {
	if c.Backend == BackendKeyring {
		return "secrets are kept in the OS keyring (" + c.Where + ")"
	}
	return fmt.Sprintf("secrets are kept in %s (mode 0600) because no keyring answered: %s", c.Where, c.Reason)
}

// Options configure Open.
type Options struct {
	// File is the fallback file's path; empty means
	// DefaultFile().
	File string
	// NoKeyring skips the keyring and uses the file.
	NoKeyring bool
	// Timeout bounds the keyring probe and every keyring call (a locked
	// keyring may wait for a prompt nobody sees); zero means 5 seconds.
	Timeout time.Duration
}

// DefaultFile is the fallback file under the user's config directory
// ($XDG_CONFIG_HOME/easbridge on Linux, ~/Library/Application
// Support/easbridge on macOS).
func DefaultFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("secret: finding the config directory: %w", err)
	}
	return filepath.Join(dir, "easbridge", "secrets.json"), nil
}

// Open returns the OS keyring when it answers a probe within the timeout,
// and the fallback file otherwise, with the choice made.
func Open(opts Options) (Store, Choice, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	path := opts.File
	if path == "" {
		p, err := DefaultFile()
		if err != nil {
			return nil, Choice{}, err
		}
		path = p
	}
	reason := "disabled by configuration"
	if !opts.NoKeyring {
		k := &Keyring{Timeout: opts.Timeout}
		err := k.Probe()
		if err == nil {
			return &migrating{keyring: k, file: &File{Path: path}},
				Choice{Backend: BackendKeyring, Where: keyringName}, nil
		}
		reason = err.Error()
	}
	return &File{Path: path}, Choice{Backend: BackendFile, Where: path, Reason: reason}, nil
}

// migrating is the keyring with the fallback file behind it: a secret
// stored in the file while the keyring was unreachable (a locked keyring
// at boot, a session without a bus) is still found, and moves into the
// keyring the next time it is set.
type migrating struct {
	keyring Store
	file    *File
}

func (m *migrating) Get(service, account string) (string, error) {
	v, err := m.keyring.Get(service, account)
	if !errors.Is(err, ErrNotFound) || !fileExists(m.file.Path) {
		return v, err
	}
	if fv, ferr := m.file.Get(service, account); ferr == nil {
		return fv, nil
	}
	return v, err
}

func (m *migrating) Set(service, account, value string) error {
	if err := m.keyring.Set(service, account, value); err != nil {
		return err
	}
	if fileExists(m.file.Path) {
		if err := m.file.Delete(service, account); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("secret: stored in the keyring, but the old copy stays in %s: %w", m.file.Path, err)
		}
	}
	return nil
}

func (m *migrating) Delete(service, account string) error {
	kerr := m.keyring.Delete(service, account)
	ferr := ErrNotFound
	if fileExists(m.file.Path) {
		ferr = m.file.Delete(service, account)
	}
	switch {
	case kerr == nil || ferr == nil:
		if kerr != nil && !errors.Is(kerr, ErrNotFound) {
			return kerr
		}
		if ferr != nil && !errors.Is(ferr, ErrNotFound) {
			return ferr
		}
		return nil
	case errors.Is(kerr, ErrNotFound):
		return ferr
	}
	return kerr
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
