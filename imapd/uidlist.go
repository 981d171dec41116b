package imapd

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/easbridge/easbridge/maildir"
)

// uidListName is the per-folder file of UIDs, in the folder's directory.
const uidListName = "easbridge-uidlist"

// uidListMagic starts the first line, with the format version.
const uidListMagic = "easbridge-uidlist 1"

// uidList is the persisted UID state of one folder.
type uidList struct {
	validity uint32
	next     imap.UID
	uids     map[maildir.Key]imap.UID
	keywords map[maildir.Key][]string
}

// readUIDList reads path. A missing file gives ok=false and no error; a
// malformed one is an error (the caller starts afresh with a new
// UIDVALIDITY, which clients handle by refetching).
func readUIDList(path string) (l uidList, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("imapd: reading %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return l, false, fmt.Errorf("imapd: %s is empty", path)
	}
	head := strings.Fields(sc.Text())
	if len(head) != 4 || strings.Join(head[:2], " ") != uidListMagic {
		return l, false, fmt.Errorf("imapd: %s: bad first line", path)
	}
	v, err1 := strconv.ParseUint(head[2], 10, 32)
	n, err2 := strconv.ParseUint(head[3], 10, 32)
	if err1 != nil || err2 != nil || v == 0 || n == 0 {
		return l, false, fmt.Errorf("imapd: %s: bad first line", path)
	}
	l = uidList{validity: uint32(v), next: imap.UID(n), uids: map[maildir.Key]imap.UID{},
		keywords: map[maildir.Key][]string{}}
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		u, err := strconv.ParseUint(fields[0], 10, 32)
		if err != nil || u == 0 || imap.UID(u) >= l.next {
			return l, false, fmt.Errorf("imapd: %s: bad uid %q", path, fields[0])
		}
		k := maildir.Key(fields[1])
		l.uids[k] = imap.UID(u)
		if len(fields) > 2 {
			l.keywords[k] = fields[2:]
		}
	}
	if err := sc.Err(); err != nil {
		return l, false, fmt.Errorf("imapd: reading %s: %w", path, err)
	}
	return l, true, nil
}

// writeUIDList replaces path crash-safely: a temp file in the same
// directory, fsync, rename over, fsync of the directory. After a crash
// the file is either the old one or the new one, never a mix.
func writeUIDList(path string, validity uint32, next imap.UID, msgs []*message) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, uidListName+".tmp*")
	if err != nil {
		return fmt.Errorf("imapd: writing uid list: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 64<<10)
	fmt.Fprintf(w, "%s %d %d\n", uidListMagic, validity, next)
	for _, m := range msgs {
		w.WriteString(strconv.FormatUint(uint64(m.uid), 10))
		w.WriteByte(' ')
		w.WriteString(string(m.key))
		for _, kw := range m.keywords {
			w.WriteByte(' ')
			w.WriteString(kw)
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("imapd: writing uid list: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("imapd: syncing uid list: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("imapd: closing uid list: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("imapd: replacing uid list: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("imapd: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("imapd: syncing %s: %w", dir, err)
	}
	return nil
}
