package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// File keeps secrets in one JSON file, for machines without a keyring.
// The file is 0600 in a 0700 directory, replaced atomically (temporary
// file, fsync, rename), and refused when its mode lets group or others
// read it: a secret someone else could read is a secret already leaked,
// and the user should know.
type File struct {
	// Path is the file's path; its directory is created 0700 on first Set.
	Path string

	mu sync.Mutex
}

// fileFormat is the file's content: service -> account -> secret.
type fileFormat struct {
	Version int                          `json:"version"`
	Secrets map[string]map[string]string `json:"secrets"`
}

// Get implements Store.
func (f *File) Get(service, account string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := f.load()
	if err != nil {
		return "", err
	}
	v, ok := data.Secrets[service][account]
	if !ok {
		return "", fmt.Errorf("secret: %s/%s in %s: %w", service, account, f.Path, ErrNotFound)
	}
	return v, nil
}

// Set implements Store.
func (f *File) Set(service, account, value string) error {
	return f.update(func(d *fileFormat) error {
		if d.Secrets[service] == nil {
			d.Secrets[service] = map[string]string{}
		}
		d.Secrets[service][account] = value
		return nil
	})
}

// Delete implements Store.
func (f *File) Delete(service, account string) error {
	return f.update(func(d *fileFormat) error {
		if _, ok := d.Secrets[service][account]; !ok {
			return fmt.Errorf("secret: %s/%s in %s: %w", service, account, f.Path, ErrNotFound)
		}
		delete(d.Secrets[service], account)
		if len(d.Secrets[service]) == 0 {
			delete(d.Secrets, service)
		}
		return nil
	})
}

func (f *File) update(edit func(*fileFormat) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("secret: creating directory for %s: %w", f.Path, err)
	}
	unlock, err := lockFile(f.Path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	data, err := f.load()
	if err != nil {
		return err
	}
	if err := edit(data); err != nil {
		return err
	}
	return f.save(data)
}

// load reads the file; a missing file is an empty store.
func (f *File) load() (*fileFormat, error) {
	empty := &fileFormat{Version: 1, Secrets: map[string]map[string]string{}}
	fh, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret: opening %s: %w", f.Path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret: checking %s: %w", f.Path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("secret: %s is not a regular file", f.Path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secret: refusing %s: its mode %04o lets other users read it; "+
			"if only you could have read it, run `chmod 600 %s`, otherwise change the passwords it holds", f.Path, perm, f.Path)
	}
	if err := checkOwner(st); err != nil {
		return nil, fmt.Errorf("secret: refusing %s: %w", f.Path, err)
	}
	d := &fileFormat{}
	if err := json.NewDecoder(fh).Decode(d); err != nil {
		return nil, fmt.Errorf("secret: reading %s: %w", f.Path, err)
	}
	if d.Version != 1 {
		return nil, fmt.Errorf("secret: %s has version %d, this easbridge reads version 1", f.Path, d.Version)
	}
	if d.Secrets == nil {
		d.Secrets = empty.Secrets
	}
	return d, nil
}

// save replaces the file atomically: a crash leaves either the old file
// or the new one, never a torn one.
func (f *File) save(d *fileFormat) error {
	b, err := json.MarshalIndent(d, "", "\t")
	if err != nil {
		return fmt.Errorf("secret: encoding: %w", err)
	}
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, ".secrets-*.tmp") // created 0600
	if err != nil {
		return fmt.Errorf("secret: writing %s: %w", f.Path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("secret: writing %s: %w", f.Path, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("secret: writing %s: %w", f.Path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("secret: syncing %s: %w", f.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("secret: writing %s: %w", f.Path, err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("secret: replacing %s: %w", f.Path, err)
	}
	ok = true
	return syncDir(dir)
}
