package maildir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// entry is what the Store last saw of one message.
type entry struct {
	name string // file name in cur/ or new/
	cur  bool   // in cur/ (else new/)
	mid  uint64 // hash of the Message-ID header; 0: none or not read yet
	read bool   // mid has been read
}

// ref names one message.
type ref struct {
	folder Folder
	key    Key
}

// folderState is the last known content of a folder.
type folderState struct {
	loaded bool
	info   os.FileInfo // of the folder directory, to recognise a rename
	msgs   map[Key]*entry
	byID   map[string]Key // ",X=" id field -> key, for idempotent delivery
}

// msgsOrNil is st.msgs, or nil for a nil st.
func (st *folderState) msgsOrNil() map[Key]*entry {
	if st == nil {
		return nil
	}
	return st.msgs
}

func newFolderState(fi os.FileInfo) *folderState {
	return &folderState{info: fi, msgs: map[Key]*entry{}, byID: map[string]Key{}}
}

// scanned is one file found by a scan.
type scanned struct {
	name string // the file name
	cur  bool
}

// keyOf is parseName(name).key without the rest of the parsing.
func keyOf(name string) Key {
	for i := 0; i < len(name); i++ {
		if name[i] == ',' || name[i] == ':' {
			return Key(name[:i])
		}
	}
	return Key(name)
}

// scanFolder lists cur/ and new/ of f. Hidden names (dot files, such as
// editors' and Dovecot's temporary files) are skipped. A key found twice
// (cur/ and new/, or two infos) keeps the cur/ one and is reported.
func (s *Store) scanFolder(f Folder) (map[Key]scanned, string, error) {
	out := make(map[Key]scanned, len(s.folders[f].msgsOrNil())+16)
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(s.dir(f), sub)
		names, err := readNames(dir)
		if err != nil {
			return nil, dir, fmt.Errorf("maildir: scanning %s: %w", dir, err)
		}
		for _, n := range names {
			if n == "" || n[0] == '.' {
				continue
			}
			k := keyOf(n)
			if old, dup := out[k]; dup {
				s.log.Warn("maildir: two files with one unique name", "dir", dir, "name", n, "other", old.name)
			}
			out[k] = scanned{name: n, cur: sub == "cur"}
		}
	}
	return out, "", nil
}

// loadLocked fills a folder's state from disk if it is not loaded yet.
func (s *Store) loadLocked(f Folder) (*folderState, error) {
	st, ok := s.folders[f]
	if !ok {
		fi, isDir := isMaildirDir(s.dir(f))
		if !isDir {
			return nil, fmt.Errorf("maildir: folder %s: %w", f, ErrNotFound)
		}
		st = newFolderState(fi)
		s.folders[f] = st
	}
	if st.loaded {
		return st, nil
	}
	found, _, err := s.scanFolder(f)
	if err != nil {
		return nil, err
	}
	for k, sc := range found {
		s.putLocked(f, st, k, sc, nil)
	}
	st.loaded = true
	return st, nil
}

// putLocked records message k of f as sc; old is its previous entry, if
// any, whose Message-ID is kept.
func (s *Store) putLocked(f Folder, st *folderState, k Key, sc scanned, old *entry) *entry {
	e := &entry{name: sc.name, cur: sc.cur}
	id := parseName(sc.name).id
	if old != nil {
		e.mid, e.read = old.mid, old.read
		if oid := parseName(old.name).id; oid != "" && oid != id {
			delete(st.byID, oid)
		}
	}
	st.msgs[k] = e
	if id != "" {
		st.byID[id] = k
	}
	return e
}

// fileNameOf rebuilds the file name from its parsed form.
func fileNameOf(fn fileName) string {
	if fn.hasInfo {
		return fn.base + ":" + fn.info
	}
	return fn.base
}

// deleteLocked forgets message k of f.
func (s *Store) deleteLocked(f Folder, st *folderState, k Key) {
	e, ok := st.msgs[k]
	if !ok {
		return
	}
	if id := parseName(e.name).id; id != "" && st.byID[id] == k {
		delete(st.byID, id)
	}
	s.unindexMID(f, k, e.mid)
	delete(st.msgs, k)
}

// dropFolderLocked forgets a folder and its messages.
func (s *Store) dropFolderLocked(f Folder) {
	if st, ok := s.folders[f]; ok {
		for k, e := range st.msgs {
			s.unindexMID(f, k, e.mid)
		}
	}
	delete(s.folders, f)
}

func (s *Store) indexMID(f Folder, k Key, mid uint64) {
	if mid != 0 {
		s.byMID[mid] = append(s.byMID[mid], ref{f, k})
	}
}

func (s *Store) unindexMID(f Folder, k Key, mid uint64) {
	if mid == 0 {
		return
	}
	refs := s.byMID[mid]
	for i, r := range refs {
		if r.folder == f && r.key == k {
			refs = append(refs[:i], refs[i+1:]...)
			break
		}
	}
	if len(refs) == 0 {
		delete(s.byMID, mid)
	} else {
		s.byMID[mid] = refs
	}
}

// path is the file of entry e in folder f.
func (s *Store) path(f Folder, e *entry) string {
	sub := "new"
	if e.cur {
		sub = "cur"
	}
	return filepath.Join(s.dir(f), sub, e.name)
}

// readMIDLocked reads the Message-ID of e once and indexes it.
func (s *Store) readMIDLocked(f Folder, k Key, e *entry) {
	if e.read {
		return
	}
	e.read = true
	fh, err := os.Open(s.path(f, e))
	if err != nil {
		return
	}
	defer fh.Close()
	if s.br == nil {
		s.br = bufio.NewReaderSize(nil, 4096)
	}
	s.br.Reset(io.LimitReader(fh, 64<<10))
	e.mid = messageIDHash(s.br)
	s.indexMID(f, k, e.mid)
}

// locateLocked finds the current file of message k in f even when another
// program renamed it since we last looked (flags changed, new/ -> cur/).
// It does not touch the state, so the watcher still reports that change.
func (s *Store) locateLocked(f Folder, st *folderState, k Key) (string, fileName, bool, error) {
	if e, ok := st.msgs[k]; ok {
		p := s.path(f, e)
		if _, err := os.Lstat(p); err == nil {
			return p, parseName(e.name), e.cur, nil
		}
	}
	for _, sub := range []string{"cur", "new"} {
		dir := filepath.Join(s.dir(f), sub)
		names, err := readNames(dir)
		if err != nil {
			return "", fileName{}, false, fmt.Errorf("maildir: looking for %s in %s: %w", k, dir, err)
		}
		for _, n := range names {
			if strings.HasPrefix(n, string(k)) {
				if fn := parseName(n); fn.key == k {
					return filepath.Join(dir, n), fn, sub == "cur", nil
				}
			}
		}
	}
	return "", fileName{}, false, fmt.Errorf("maildir: message %s in %s: %w", k, f, ErrNotFound)
}

// messageIDHash reads a header block and hashes the Message-ID value
// (unfolded, trimmed, case kept); 0 when there is none.
func messageIDHash(r *bufio.Reader) uint64 {
	id := headerValue(r, "message-id")
	if id == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
}

// headerValue returns the unfolded value of the first header named name
// (lower case) in the header block at the start of r.
func headerValue(br *bufio.Reader, name string) string {
	var val []byte
	in := false
	for {
		line, err := br.ReadSlice('\n')
		if len(line) == 0 && err != nil {
			break
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if in {
				val = append(val, ' ')
				val = append(val, bytes.TrimSpace(line)...)
			}
		} else if in {
			break
		} else if i := bytes.IndexByte(line, ':'); i > 0 && strings.EqualFold(string(bytes.TrimSpace(line[:i])), name) {
			in = true
			val = append(val, bytes.TrimSpace(line[i+1:])...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// An absurdly long line: skip the rest of it.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	return string(bytes.TrimSpace(val))
}

// checkHeader says whether r starts with something like a header block:
// a first line "Name: value" and a blank line (or the end) after the
// headers. Used for the outbox, where we must not send garbage.
func checkHeader(r io.Reader) error {
	br := bufio.NewReaderSize(r, 4096)
	first := true
	for n := 0; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return errors.New("header line longer than 4096 bytes")
		}
		t := bytes.TrimRight(line, "\r\n")
		if len(t) == 0 {
			if first {
				return errors.New("empty message")
			}
			return nil
		}
		if first || (t[0] != ' ' && t[0] != '\t') {
			i := bytes.IndexByte(t, ':')
			if i <= 0 || bytes.ContainsAny(t[:i], " \t") {
				return fmt.Errorf("line %d is not a header field", n+1)
			}
		}
		first = false
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// isNotExist is errors.Is(err, fs.ErrNotExist), short.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
