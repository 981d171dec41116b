package maildir

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors callers can test with errors.Is.
var (
	// ErrNotFound reports a folder or message that is not there.
	ErrNotFound = errors.New("maildir: not found")
	// ErrExists reports a folder that already exists.
	ErrExists = errors.New("maildir: already exists")
)

// Options tune a Store. The zero value is fine.
type Options struct {
	// Outbox is the display path of the outbox folder; default "Outbox".
	Outbox []string
	// Host is the host part of new file names; default os.Hostname.
	Host string
	// Logger receives problems worth a line; default slog.Default.
	Logger *slog.Logger
	// Debounce is the quiet time after a file system event before the
	// watcher rescans; default 50ms.
	Debounce time.Duration
	// MaxDelay bounds how long a steady stream of events can postpone a
	// rescan; default 1s.
	MaxDelay time.Duration
	// Reconcile is the period of the full rescan that catches anything the
	// notifications missed; default 5 minutes.
	Reconcile time.Duration
	// Poll, when positive, replaces notifications by a full rescan at this
	// period. Where notifications are not used (see notify_*.go) the default
	// is 2s.
	Poll time.Duration
	// Settle is how long a file in the outbox must stay unchanged before it
	// is handed over, so a half-copied file is not sent; default 1s.
	Settle time.Duration
	// CopyHold is how long a foreign copy of a message that still exists in
	// another folder waits for the original to disappear (mutt moves by
	// copy, then delete) before it is reported as added; default 10 minutes.
	CopyHold time.Duration
	// NoSync skips fsync on delivery. For tests and benchmarks only: a
	// crash can then lose acknowledged mail.
	NoSync bool
}

func (o *Options) fill() {
	if len(o.Outbox) == 0 {
		o.Outbox = []string{"Outbox"}
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
		if o.Host == "" {
			o.Host = "localhost"
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Debounce, 50*time.Millisecond)
	def(&o.MaxDelay, time.Second)
	def(&o.Reconcile, 5*time.Minute)
	def(&o.Settle, time.Second)
	def(&o.CopyHold, 10*time.Minute)
	if o.Poll <= 0 && !notifyByDefault {
		o.Poll = 2 * time.Second
	}
}

// Store is a Maildir++ mirror rooted at one directory. Its methods are safe
// for concurrent use. It keeps in memory what it last saw of every folder
// it has loaded: the watcher diffs against that, and the Store's own
// changes update it, so they are never reported back as user changes.
// AsUser gives a Store whose changes are reported.
type Store struct {
	*shared
	// user: changes through this Store are left for the watcher to find
	// and report, like any other program's.
	user bool
}

// shared is the state every view of one mirror shares.
type shared struct {
	root   string
	opts   Options
	log    *slog.Logger
	outbox Folder
	host   string // sanitised for file names
	seq    atomic.Uint64

	mu       sync.Mutex
	folders  map[Folder]*folderState // every folder that exists, nil until listed
	byMID    map[uint64][]ref        // Message-ID hash -> messages, for copy+delete moves
	watching bool
	poke     chan struct{} // asks the watcher to resync its watches
	br       *bufio.Reader // reused to read headers, under mu
	subs     map[*Subscription]bool
}

// AsUser returns a view of s whose changes (Deliver, SetFlags, Move,
// Remove, folder operations) are reported by the watcher as user changes,
// as if another program had made them. The loopback IMAP server uses it,
// so that what a client does over IMAP reaches the sync engine exactly as
// a change made in mutt would. Both views share one state and lock.
func (s *Store) AsUser() *Store { return &Store{shared: s.shared, user: true} }

// Open opens (creating if needed) the mirror at root: INBOX's cur/ new/
// tmp/ and the outbox folder. It removes what our own crashed deliveries
// left in tmp/ and nothing else.
func Open(ctx context.Context, root string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts.fill()
	ob, err := FolderOf(opts.Outbox...)
	if err != nil {
		return nil, fmt.Errorf("maildir: outbox name: %w", err)
	}
	s := &Store{shared: &shared{
		root: root, opts: opts, log: opts.Logger, outbox: ob,
		host:  sanitizeHost(opts.Host),
		byMID: map[uint64][]ref{},
		poke:  make(chan struct{}, 1),
		subs:  map[*Subscription]bool{},
	}}
	// The root's parents (~/Mail on a fresh home) are the user's to have,
	// but a first run must not fail for want of them.
	if err := os.MkdirAll(filepath.Dir(root), 0o700); err != nil {
		return nil, fmt.Errorf("maildir: creating %s: %w", filepath.Dir(root), err)
	}
	if err := makeMaildir(root, false); err != nil {
		return nil, err
	}
	if ob != Inbox {
		if err := makeMaildir(filepath.Join(root, string(ob)), true); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.listFoldersLocked(); err != nil {
		return nil, err
	}
	for f := range s.folders {
		s.cleanTmp(f)
	}
	return s, nil
}

// Root returns the directory of the mirror.
func (s *Store) Root() string { return s.root }

// Outbox returns the outbox folder.
func (s *Store) Outbox() Folder { return s.outbox }

// dir is the directory of folder f.
func (s *Store) dir(f Folder) string { return filepath.Join(s.root, string(f)) }

// makeMaildir creates dir with cur/ new/ tmp/, and for a Maildir++
// subfolder the "maildirfolder" marker file Courier and Dovecot write.
func makeMaildir(dir string, sub bool) error {
	for _, d := range []string{dir, filepath.Join(dir, "cur"), filepath.Join(dir, "new"), filepath.Join(dir, "tmp")} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("maildir: creating %s: %w", d, err)
		}
	}
	if sub {
		f, err := os.OpenFile(filepath.Join(dir, "maildirfolder"), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("maildir: creating folder marker: %w", err)
		}
		f.Close()
	}
	return nil
}

// isMaildirDir says whether dir has a cur/ directory, which is what makes
// a folder for mutt and Dovecot alike.
func isMaildirDir(dir string) (os.FileInfo, bool) {
	fi, err := os.Stat(filepath.Join(dir, "cur"))
	if err != nil || !fi.IsDir() {
		return nil, false
	}
	di, err := os.Stat(dir)
	if err != nil {
		return nil, false
	}
	return di, true
}

// listFolders reads the root: INBOX and every ".name" directory with a
// cur/. Returns the folders and the directory info (for rename detection).
func (s *Store) listFolders() (map[Folder]os.FileInfo, error) {
	names, err := readNames(s.root)
	if err != nil {
		return nil, fmt.Errorf("maildir: listing folders in %s: %w", s.root, err)
	}
	out := map[Folder]os.FileInfo{}
	if fi, ok := isMaildirDir(s.root); ok {
		out[Inbox] = fi
	}
	for _, n := range names {
		if len(n) < 2 || n[0] != '.' || n == ".." {
			continue
		}
		if fi, ok := isMaildirDir(filepath.Join(s.root, n)); ok {
			out[Folder(n)] = fi
		}
	}
	return out, nil
}

// listFoldersLocked makes s.folders hold exactly the folders on disk,
// without loading their messages. Used where no events are due (Open).
func (s *Store) listFoldersLocked() error {
	found, err := s.listFolders()
	if err != nil {
		return err
	}
	if s.folders == nil {
		s.folders = map[Folder]*folderState{}
	}
	for f, fi := range found {
		if st, ok := s.folders[f]; ok {
			st.info = fi
		} else {
			s.folders[f] = newFolderState(fi)
		}
	}
	for f := range s.folders {
		if _, ok := found[f]; !ok {
			s.dropFolderLocked(f)
		}
	}
	return nil
}

// Folders lists the folders, INBOX first, then by directory name (so a
// parent comes before its children).
func (s *Store) Folders(ctx context.Context) ([]Folder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.watching {
		if err := s.listFoldersLocked(); err != nil {
			return nil, err
		}
	}
	out := make([]Folder, 0, len(s.folders))
	for f := range s.folders {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// CreateFolder creates folder f. Its parent need not exist (Maildir++
// folders are flat directories), but the sync engine creates parents first.
func (s *Store) CreateFolder(ctx context.Context, f Folder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if f == Inbox {
		return fmt.Errorf("maildir: creating INBOX: %w", ErrExists)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.dir(f)
	if _, ok := isMaildirDir(dir); ok {
		return fmt.Errorf("maildir: creating %s: %w", f, ErrExists)
	}
	if err := makeMaildir(dir, true); err != nil {
		return err
	}
	s.changedLocked(f)
	if s.user {
		return nil
	}
	fi, _ := isMaildirDir(dir)
	st := newFolderState(fi)
	st.loaded = true
	s.folders[f] = st
	s.pokeWatcher()
	return nil
}

// RenameFolder renames folder from, and every folder below it, to to.
// Messages keep their keys.
func (s *Store) RenameFolder(ctx context.Context, from, to Folder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if from == Inbox || to == Inbox {
		return fmt.Errorf("maildir: renaming INBOX: %w", ErrBadName)
	}
	if strings.HasPrefix(string(to)+".", string(from)+".") {
		return fmt.Errorf("maildir: renaming %s into itself: %w", from, ErrBadName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := isMaildirDir(s.dir(from)); !ok {
		return fmt.Errorf("maildir: renaming %s: %w", from, ErrNotFound)
	}
	if _, err := os.Lstat(s.dir(to)); err == nil {
		return fmt.Errorf("maildir: renaming %s to %s: %w", from, to, ErrExists)
	}
	found, err := s.listFolders()
	if err != nil {
		return err
	}
	var moves []Folder
	for f := range found {
		if f == from || strings.HasPrefix(string(f), string(from)+".") {
			moves = append(moves, f)
		}
	}
	sort.Slice(moves, func(i, j int) bool { return moves[i] < moves[j] })
	for _, f := range moves {
		nf := to + f[len(from):]
		if err := os.Rename(s.dir(f), s.dir(nf)); err != nil {
			return fmt.Errorf("maildir: renaming %s to %s: %w", f, nf, err)
		}
		s.changedLocked(f)
		s.changedLocked(nf)
		if s.user {
			continue
		}
		st, ok := s.folders[f]
		if !ok {
			continue // not seen yet: the watcher will find the new name
		}
		delete(s.folders, f)
		st.info, _ = isMaildirDir(s.dir(nf))
		s.folders[nf] = st
		for k, e := range st.msgs {
			s.unindexMID(f, k, e.mid)
			s.indexMID(nf, k, e.mid)
		}
	}
	s.pokeWatcher()
	return nil
}

// DeleteFolder removes folder f, its messages and every folder below it.
// The engine calls it when the folder went away on the server.
func (s *Store) DeleteFolder(ctx context.Context, f Folder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if f == Inbox || f == s.outbox {
		return fmt.Errorf("maildir: deleting %s: %w", f, ErrBadName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := isMaildirDir(s.dir(f)); !ok {
		return fmt.Errorf("maildir: deleting %s: %w", f, ErrNotFound)
	}
	found, err := s.listFolders()
	if err != nil {
		return err
	}
	for g := range found {
		if g == f || strings.HasPrefix(string(g), string(f)+".") {
			if err := os.RemoveAll(s.dir(g)); err != nil {
				return fmt.Errorf("maildir: deleting %s: %w", g, err)
			}
			s.changedLocked(g)
			if !s.user {
				s.dropFolderLocked(g)
			}
		}
	}
	s.pokeWatcher()
	return nil
}

// pokeWatcher tells a running watcher that the folder set changed under
// it (by us), so it re-syncs its watches. It never blocks.
func (s *Store) pokeWatcher() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// sanitizeHost applies the Maildir rule for the host part ('/' -> \057,
// ':' -> \072) and also escapes ',' (\054), which starts our fields.
func sanitizeHost(h string) string {
	r := strings.NewReplacer("/", `\057`, ":", `\072`, ",", `\054`)
	return r.Replace(h)
}

// readNames lists a directory's entry names without stat-ing them.
func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
