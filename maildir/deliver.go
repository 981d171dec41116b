package maildir

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tmpPrefix starts the name of every file we create in tmp/, so after a
// crash we can tell our leftovers from another program's delivery.
const tmpPrefix = "easbridge."

// staleTmp is the age after which a leftover of ours is removed even when
// its process id is alive again (reused). The Maildir spec uses 36 hours
// for any file in tmp/; we only ever remove our own.
const staleTmp = 36 * time.Hour

// Deliver writes the message read from r into folder f and returns its key.
// id is the caller's id for the message (the EAS ServerId, say): when a
// message with the same id is already in f, nothing is written and its key
// is returned, which makes a redelivery after a crash harmless. An empty id
// disables that check. A message with flags goes to cur/, one without to
// new/.
//
// The message is streamed to tmp/, fsynced, and renamed into place (the
// Maildir protocol), then the directory is fsynced; a crash at any point
// leaves either no message or the whole message, never a partial one in
// cur/ or new/. Cancelling ctx stops the copy between reads.
func (s *Store) Deliver(ctx context.Context, f Folder, id string, r io.Reader, flags Flags) (Key, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	field := ""
	if id != "" {
		field = idField(id)
	}
	if k, ok, err := s.lookupField(f, field); err != nil || ok {
		return k, err
	}
	unique := s.uniqueName()
	tmpPath := filepath.Join(s.dir(f), "tmp", tmpPrefix+strconv.Itoa(os.Getpid())+"."+unique)
	size, mid, err := s.writeTmp(ctx, tmpPath, r)
	if err != nil {
		os.Remove(tmpPath)
		return "", err
	}
	base := unique + ",S=" + strconv.FormatInt(size, 10)
	if field != "" {
		base += ",X=" + field
	}
	fn := parseName(base)
	sub, name := "new", base
	if flags != 0 {
		sub, name = "cur", fn.withFlags(flags)
		fn = parseName(name)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked(f)
	if err != nil {
		os.Remove(tmpPath)
		return "", err
	}
	if k, ok := st.byID[field]; ok && field != "" {
		// Delivered concurrently by another call with the same id.
		os.Remove(tmpPath)
		return k, nil
	}
	dst := filepath.Join(s.dir(f), sub, name)
	if err := os.Rename(tmpPath, dst); err != nil {
		os.Remove(tmpPath)
		return "", fmt.Errorf("maildir: delivering to %s: %w", dst, err)
	}
	if !s.opts.NoSync {
		if err := syncDir(filepath.Join(s.dir(f), sub)); err != nil {
			return "", err
		}
	}
	s.changedLocked(f)
	if s.user {
		return fn.key, nil
	}
	e := s.putLocked(f, st, fn.key, scanned{name: name, cur: sub == "cur"}, nil)
	e.mid, e.read = mid, true
	s.indexMID(f, fn.key, mid)
	return fn.key, nil
}

// Lookup returns the key of the message delivered to f with the caller's
// id, if it is there.
func (s *Store) Lookup(ctx context.Context, f Folder, id string) (Key, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if id == "" {
		return "", false, nil
	}
	return s.lookupField(f, idField(id))
}

func (s *Store) lookupField(f Folder, field string) (Key, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked(f)
	if err != nil {
		return "", false, err
	}
	if field == "" {
		return "", false, nil
	}
	k, ok := st.byID[field]
	return k, ok, nil
}

// writeTmp streams r into a new file at path and fsyncs it. It returns the
// size and the hash of the Message-ID seen on the way.
func (s *Store) writeTmp(ctx context.Context, path string, r io.Reader) (int64, uint64, error) {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, 0, fmt.Errorf("maildir: creating %s: %w", path, err)
	}
	defer fh.Close()
	bufs := copyBufs.Get().(*[2][]byte)
	defer copyBufs.Put(bufs)
	sniff := &headSniffer{buf: bufs[1][:0], max: 64 << 10}
	w := io.MultiWriter(fh, sniff)
	buf := bufs[0]
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return 0, 0, fmt.Errorf("maildir: writing %s: %w", path, err)
			}
			size += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return 0, 0, fmt.Errorf("maildir: reading message for %s: %w", path, rerr)
		}
	}
	if !s.opts.NoSync {
		if err := fh.Sync(); err != nil {
			return 0, 0, fmt.Errorf("maildir: syncing %s: %w", path, err)
		}
	}
	if err := fh.Close(); err != nil {
		return 0, 0, fmt.Errorf("maildir: closing %s: %w", path, err)
	}
	return size, messageIDHash(bufio.NewReader(bytes.NewReader(sniff.buf))), nil
}

// copyBufs holds the copy buffer and the header buffer of a delivery,
// 64 KB each, reused across deliveries.
var copyBufs = sync.Pool{New: func() any { return &[2][]byte{make([]byte, 64<<10), make([]byte, 0, 64<<10)} }}

// headSniffer keeps the first max bytes written to it (the header block
// is what we want from them).
type headSniffer struct {
	buf []byte
	max int
}

func (h *headSniffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// uniqueName makes a name per the Maildir spec's modern recipe: seconds,
// then M (microseconds), P (process id), Q (deliveries by this process)
// and R (random) in the middle part, then the host.
func (s *Store) uniqueName() string {
	now := time.Now()
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	return strconv.FormatInt(now.Unix(), 10) + ".M" + strconv.Itoa(now.Nanosecond()/1000) +
		"P" + strconv.Itoa(os.Getpid()) + "Q" + strconv.FormatUint(s.seq.Add(1), 10) +
		"R" + hex.EncodeToString(rnd[:]) + "." + s.host
}

// syncDir fsyncs a directory so a rename into it survives a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("maildir: opening %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("maildir: syncing %s: %w", dir, err)
	}
	return nil
}

// cleanTmp removes from f's tmp/ what our own crashed deliveries left: a
// name with our prefix whose process is gone (or that is older than
// staleTmp). Other programs' files are never touched. Problems are logged,
// never fatal.
func (s *Store) cleanTmp(f Folder) {
	dir := filepath.Join(s.dir(f), "tmp")
	names, err := readNames(dir)
	if err != nil {
		if !isNotExist(err) {
			s.log.Warn("maildir: cannot read tmp", "dir", dir, "err", err)
		}
		return
	}
	me := os.Getpid()
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, tmpPrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, ".")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == me {
			continue
		}
		p := filepath.Join(dir, n)
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if processAlive(pid) && time.Since(fi.ModTime()) < staleTmp {
			continue
		}
		if err := os.Remove(p); err != nil {
			s.log.Warn("maildir: cannot remove our leftover", "path", p, "err", err)
		} else {
			s.log.Info("maildir: removed leftover of a crashed delivery", "path", p)
		}
	}
}
