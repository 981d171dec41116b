package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TokenStore keeps the tokens of each account. Implementations:
// SecretStore (the OS keyring, or secret's 0600 file, through package
// secret) and FileStore (a 0600 file per account).
type TokenStore interface {
	// Load returns the saved token, or an error matching ErrNoToken.
	Load(account string) (*Token, error)
	// Save replaces the saved token atomically: after a crash at any
	// instant, Load returns either the old or the new token, whole.
	Save(account string, t *Token) error
	// Delete forgets the account's token; deleting nothing is no error.
	Delete(account string) error
}

// FileStore keeps each account's token in DIR/ACCOUNT.json, mode 0600, in
// a directory of mode 0700. It is the fallback for machines without an OS
// keyring.
type FileStore struct {
	Dir string
}

// testHookBeforeRename, when set, runs after the new file is written and
// synced and before it replaces the old one (the crash test stops there).
var testHookBeforeRename func()

func (s FileStore) path(account string) (string, error) {
	if !validAccount(account) {
		return "", fmt.Errorf("oauth: account name %q cannot name a file", account)
	}
	return filepath.Join(s.Dir, account+".json"), nil
}

// Load reads the account's token.
func (s FileStore) Load(account string) (*Token, error) {
	p, err := s.path(account)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no tokens saved for %q", ErrNoToken, account)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: reading tokens of %q: %w", account, err)
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("oauth: tokens file %s is damaged: %w", p, err)
	}
	if t.RefreshToken == "" && t.AccessToken == "" {
		return nil, fmt.Errorf("%w: the tokens file of %q is empty", ErrNoToken, account)
	}
	return &t, nil
}

// Save writes the token to a temporary file in the same directory, syncs
// it, renames it over the old file and syncs the directory: the old file
// stays whole until the new one is complete on disk.
func (s FileStore) Save(account string, t *Token) error {
	p, err := s.path(account)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("oauth: creating token directory: %w", err)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("oauth: encoding tokens: %w", err)
	}
	f, err := os.CreateTemp(s.Dir, "."+account+".json.tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("oauth: saving tokens of %q: %w", account, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("oauth: saving tokens of %q: %w", account, err)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("oauth: saving tokens of %q: %w", account, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("oauth: saving tokens of %q: %w", account, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("oauth: saving tokens of %q: %w", account, err)
	}
	if testHookBeforeRename != nil {
		testHookBeforeRename()
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("oauth: saving tokens of %q: %w", account, err)
	}
	ok = true
	syncDir(s.Dir)
	s.sweep(account)
	return nil
}

// Delete removes the account's token file.
func (s FileStore) Delete(account string) error {
	p, err := s.path(account)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("oauth: deleting tokens of %q: %w", account, err)
	}
	syncDir(s.Dir)
	return nil
}

// sweep removes temporary files that a crash left behind, leaving recent
// ones alone: another process (login while the daemon runs) may be
// writing.
func (s FileStore) sweep(account string) {
	left, _ := filepath.Glob(filepath.Join(s.Dir, "."+account+".json.tmp-*"))
	for _, l := range left {
		if fi, err := os.Stat(l); err == nil && time.Since(fi.ModTime()) > time.Minute {
			os.Remove(l)
		}
	}
}

// syncDir makes a rename durable; where directories cannot be synced the
// error is of no use to the caller.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// validAccount accepts names that are safe as a file name.
func validAccount(a string) bool {
	if a == "" || len(a) > 128 || strings.HasPrefix(a, ".") {
		return false
	}
	for _, r := range a {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.@+", r)
		if !ok {
			return false
		}
	}
	return true
}
