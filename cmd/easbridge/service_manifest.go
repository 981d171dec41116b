package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// serviceManifest records every file `service install` wrote with the
// hash of what it wrote, so uninstall removes exactly those files and
// refuses any it did not write or that was changed since.
type serviceManifest struct {
	Files []manifestFile `json:"files"`
}

type manifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

func (e *serviceEnv) manifestPath() string {
	return filepath.Join(e.configHome, "easbridge", "service-manifest.json")
}

func (e *serviceEnv) loadManifest() (*serviceManifest, error) {
	b, err := os.ReadFile(e.manifestPath())
	if errors.Is(err, fs.ErrNotExist) {
		return &serviceManifest{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", e.manifestPath(), err)
	}
	m := &serviceManifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("reading %s: %w (remove the service files by hand, then this file)", e.manifestPath(), err)
	}
	return m, nil
}

func (e *serviceEnv) saveManifest(m *serviceManifest) error {
	b, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	return writeFileAtomic(e.manifestPath(), append(b, '\n'), 0o600)
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (m *serviceManifest) find(path string) int {
	for i, f := range m.Files {
		if f.Path == path {
			return i
		}
	}
	return -1
}

// owns reports whether path holds exactly what install wrote there.
func (m *serviceManifest) owns(path string) (bool, error) {
	i := m.find(path)
	if i < 0 {
		return false, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return hashOf(b) == m.Files[i].SHA256, nil
}

// write puts data at path and records it. It refuses to replace a file
// that install did not write, or that was edited since.
func (m *serviceManifest) write(path string, data []byte, mode fs.FileMode) error {
	if fileExists(path) {
		ok, err := m.owns(path)
		if err != nil {
			return fmt.Errorf("checking %s: %w", path, err)
		}
		if !ok {
			return fmt.Errorf("%s exists and was not written by `easbridge service install` (or was edited since); move it away first", path)
		}
	}
	if err := writeFileAtomic(path, data, mode); err != nil {
		return err
	}
	rec := manifestFile{Path: path, SHA256: hashOf(data)}
	if i := m.find(path); i >= 0 {
		m.Files[i] = rec
	} else {
		m.Files = append(m.Files, rec)
	}
	return nil
}

// removeAll deletes every recorded file still holding what install wrote.
// A file edited since is kept and reported; a missing one is forgotten.
func (m *serviceManifest) removeAll(out io.Writer) error {
	var kept []manifestFile
	var errs []error
	for _, f := range m.Files {
		b, err := os.ReadFile(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(out, "already gone: %s\n", f.Path)
		case err != nil:
			kept = append(kept, f)
			errs = append(errs, fmt.Errorf("reading %s: %w", f.Path, err))
		case hashOf(b) != f.SHA256:
			kept = append(kept, f)
			errs = append(errs, fmt.Errorf("%s was changed after install; not removing it (remove it yourself)", f.Path))
		default:
			if err := os.Remove(f.Path); err != nil {
				kept = append(kept, f)
				errs = append(errs, fmt.Errorf("removing %s: %w", f.Path, err))
				continue
			}
			fmt.Fprintf(out, "removed %s\n", f.Path)
		}
	}
	m.Files = kept
	return errors.Join(errs...)
}

// writeFileAtomic writes through a temporary file, fsync and rename, so a
// crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
