package maildir

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Message describes one message file.
type Message struct {
	Key      Key
	Flags    Flags
	Keywords string // letters of the info that are not standard flags (Dovecot keywords a-z)
	ID       string // the caller's id given at delivery, "" if none (or too long to keep)
	Size     int64  // from the ",S=" field, -1 when the name has none
	Path     string // the file, valid until someone renames it
}

func (s *Store) messageOf(f Folder, k Key, e *entry) Message {
	fn := parseName(e.name)
	return Message{Key: k, Flags: fn.flags, Keywords: fn.extra, ID: decodeID(fn.id), Size: fn.size, Path: s.path(f, e)}
}

// List returns the messages of f as last seen (loading the folder on first
// use), sorted by key.
func (s *Store) List(ctx context.Context, f Folder) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked(f)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(st.msgs))
	for k, e := range st.msgs {
		out = append(out, s.messageOf(f, k, e))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// OpenMessage opens message k of f for reading. The caller closes it. An
// open file keeps reading the same bytes even if the message is renamed or
// deleted meanwhile.
func (s *Store) OpenMessage(ctx context.Context, f Folder, k Key) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked(f)
	if err != nil {
		return nil, err
	}
	p, _, _, err := s.locateLocked(f, st, k)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("maildir: opening %s: %w", p, err)
	}
	return fh, nil
}

// SetFlags sets the standard flags of message k in f to flags, keeping its
// keywords, and moves it to cur/ (a message with flags has been seen by a
// client). Setting the flags it already has does nothing.
func (s *Store) SetFlags(ctx context.Context, f Folder, k Key, flags Flags) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked(f)
	if err != nil {
		return err
	}
	p, fn, cur, err := s.locateLocked(f, st, k)
	if err != nil {
		return err
	}
	name := fn.withFlags(flags)
	if cur && fn.hasInfo && fn.flags == flags && name == fileNameOf(fn) {
		return nil
	}
	dst := filepath.Join(s.dir(f), "cur", name)
	if err := os.Rename(p, dst); err != nil {
		return fmt.Errorf("maildir: setting flags of %s: %w", p, err)
	}
	s.changedLocked(f)
	if !s.user {
		s.putLocked(f, st, k, scanned{name: name, cur: true}, st.msgs[k])
	}
	return nil
}

// Move moves message k from folder from to folder to, keeping its file
// name (and so its key and flags).
func (s *Store) Move(ctx context.Context, from Folder, k Key, to Folder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src, err := s.loadLocked(from)
	if err != nil {
		return err
	}
	dstSt, err := s.loadLocked(to)
	if err != nil {
		return err
	}
	p, fn, cur, err := s.locateLocked(from, src, k)
	if err != nil {
		return err
	}
	sub := "new"
	if cur {
		sub = "cur"
	}
	dst := filepath.Join(s.dir(to), sub, fileNameOf(fn))
	if err := os.Rename(p, dst); err != nil {
		return fmt.Errorf("maildir: moving %s to %s: %w", p, to, err)
	}
	s.changedLocked(from)
	s.changedLocked(to)
	if s.user {
		return nil
	}
	old := src.msgs[k]
	s.deleteLocked(from, src, k)
	e := s.putLocked(to, dstSt, k, scanned{name: fileNameOf(fn), cur: cur}, nil)
	if old != nil {
		e.mid, e.read = old.mid, old.read
		s.indexMID(to, k, e.mid)
	}
	return nil
}

// Remove deletes message k of f. The engine calls it when the server
// deleted the message, and for the outbox once a message is sent.
func (s *Store) Remove(ctx context.Context, f Folder, k Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked(f)
	if err != nil {
		return err
	}
	p, _, _, err := s.locateLocked(f, st, k)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("maildir: removing %s: %w", p, err)
	}
	s.changedLocked(f)
	if !s.user {
		s.deleteLocked(f, st, k)
	}
	return nil
}

// Sent removes message k from the outbox once the engine has sent it.
func (s *Store) Sent(ctx context.Context, k Key) error {
	return s.Remove(ctx, s.outbox, k)
}
