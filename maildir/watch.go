package maildir

import (
	"context"
	"errors"
	"path/filepath"
	"time"
)

// EventKind says what a watcher Event reports.
type EventKind uint8

// The kinds of Event.
const (
	// Ready: the first scan is done; what it found is the baseline, except
	// the outbox (and folders listed through the Store before Watch), whose
	// differences follow as events.
	Ready EventKind = iota + 1
	// Added: a message appeared in Folder that the Store did not put there.
	Added
	// Removed: message Key left Folder (deleted, or moved out of the mirror).
	Removed
	// FlagsChanged: message Key in Folder now has Flags (was OldFlags), or
	// only its Keywords changed (then Flags == OldFlags). A T (Trashed)
	// flag is how mutt with maildir_trash set deletes.
	FlagsChanged
	// Moved: message OldKey in From is now Key in Folder. Key == OldKey
	// when the file was renamed; they differ when a client copied and then
	// deleted (mutt, and Dovecot without hard links), paired by Message-ID.
	Moved
	// FolderAdded: Folder was created.
	FolderAdded
	// FolderRemoved: Folder is gone (its messages with it; no Removed
	// events are sent for them).
	FolderRemoved
	// FolderRenamed: folder From is now Folder, messages and keys kept.
	FolderRenamed
	// OutboxMessage: message Key at Path in the outbox is waiting to be
	// sent; call Store.Sent once it is.
	OutboxMessage
	// Problem: Path could not be read or is malformed (Err says why). It
	// was skipped, nothing was deleted, and it is not reported again until
	// it changes.
	Problem
)

var kindNames = [...]string{"", "ready", "added", "removed", "flags", "moved", "folder-added", "folder-removed", "folder-renamed", "outbox", "problem"}

// String returns a short lower-case name of the kind, as used in logs.
func (k EventKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one change the watcher found by diffing a rescan against what
// it knew. Changes made through the Store's own methods are never
// reported.
type Event struct {
	Kind     EventKind
	Folder   Folder // where the message or folder is now (Removed: was)
	Key      Key
	From     Folder // Moved, FolderRenamed: the previous folder
	OldKey   Key    // Moved: the key in From
	Flags    Flags
	OldFlags Flags  // FlagsChanged, Moved: the flags before
	Keywords string // non-standard letters of the info, see Message
	Path     string // the message file (or, for Problem, the path at fault)
	Err      error  // Problem
}

// newNotifier makes the file system watcher; tests replace it.
var newNotifier = func() (notifier, error) { return newFSNotifier() }

// ErrWatching reports a second Watch on one Store.
var ErrWatching = errors.New("maildir: already watching")

// pendingCopy is a foreign copy of a message that still exists elsewhere:
// the first half of a move by copy and delete.
type pendingCopy struct {
	twin     ref
	deadline time.Time
}

// watcher is the state of one Watch call. Only the Watch goroutine uses it.
type watcher struct {
	s       *Store
	out     chan<- Event
	n       notifier // nil when polling
	watched map[string]bool
	dirty   map[Folder]bool
	folders bool // the folder list needs a rescan
	pending map[ref]pendingCopy
	problem map[string]bool // paths reported, not reported again
	recheck time.Time       // earliest outbox file to look at again
}

// Watch watches the mirror until ctx is done, sending events to out (it
// blocks when out is full, so the caller reads promptly or buffers). It
// returns nil when ctx ends, or an error if it cannot start.
//
// Goroutines: Watch runs its loop in the calling goroutine and owns the
// watcher state. On Linux fsnotify reads the kernel queue in a goroutine of
// its own, and one small goroutine of ours forwards directory names; both
// end before Watch returns. Rescans hold the Store's lock, so a Store
// method never interleaves with a diff and its changes are never echoed.
func (s *Store) Watch(ctx context.Context, out chan<- Event) error {
	s.mu.Lock()
	if s.watching {
		s.mu.Unlock()
		return ErrWatching
	}
	s.watching = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.watching = false
		s.mu.Unlock()
	}()
	w := &watcher{s: s, out: out, watched: map[string]bool{}, dirty: map[Folder]bool{},
		pending: map[ref]pendingCopy{}, problem: map[string]bool{}}
	poll := s.opts.Poll
	if poll <= 0 {
		n, err := newNotifier()
		if err != nil {
			s.log.Warn("maildir: file notifications unavailable, polling", "err", err)
			poll = 2 * time.Second
		} else {
			w.n = n
			defer n.Close()
		}
	}
	evs := w.initial()
	if !w.emit(ctx, append([]Event{{Kind: Ready}}, evs...)) {
		return nil
	}
	if !w.fillMessageIDs(ctx) {
		return nil
	}
	return w.loop(ctx, poll)
}

// loop is the event loop: hints mark folders dirty, the debounce timer
// runs the rescan, tickers force full ones.
func (w *watcher) loop(ctx context.Context, poll time.Duration) error {
	s := w.s
	var nEvents <-chan string
	var nOverflow <-chan struct{}
	var nErrors <-chan error
	if w.n != nil {
		nEvents, nOverflow, nErrors = w.n.Events(), w.n.Overflow(), w.n.Errors()
	}
	period := s.opts.Reconcile
	if poll > 0 {
		period = poll
	}
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	var first time.Time // first hint of the current debounce window
	later := time.NewTimer(time.Hour)
	later.Stop()
	if next := w.nextDeadline(); !next.IsZero() {
		// The initial scan found an outbox file not yet settled.
		later.Reset(max(time.Until(next), 10*time.Millisecond))
	}
	arm := func() {
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		d := min(s.opts.Debounce, first.Add(s.opts.MaxDelay).Sub(now))
		debounce.Reset(max(d, 0))
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case dir := <-nEvents:
			w.hint(dir)
			arm()
			continue
		case <-nOverflow:
			s.log.Info("maildir: event queue overflow, rescanning everything")
			w.all()
			arm()
			continue
		case err := <-nErrors:
			s.log.Warn("maildir: watcher error, rescanning everything", "err", err)
			w.all()
			arm()
			continue
		case <-s.poke:
			w.mu(func() { w.syncWatchesLocked() })
			continue
		case <-debounce.C:
		case <-ticker.C:
			w.all()
		case <-later.C:
			w.dirty[s.outbox] = true
		}
		first = time.Time{}
		evs := w.rescan(time.Now())
		if !w.emit(ctx, evs) {
			return nil
		}
		if next := w.nextDeadline(); !next.IsZero() {
			later.Reset(max(time.Until(next), 10*time.Millisecond))
		}
	}
}

func (w *watcher) mu(f func()) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	f()
}

// all marks everything for a rescan.
func (w *watcher) all() {
	w.folders = true
	w.mu(func() {
		for f := range w.s.folders {
			w.dirty[f] = true
		}
	})
}

// hint maps a directory with activity to what must be rescanned.
func (w *watcher) hint(dir string) {
	rel, err := filepath.Rel(w.s.root, dir)
	if err != nil {
		w.folders = true
		return
	}
	rel = filepath.ToSlash(rel)
	switch {
	case rel == ".":
		w.folders = true
	case rel == "cur" || rel == "new":
		w.dirty[Inbox] = true
	default:
		f, sub := filepath.Split(filepath.FromSlash(rel))
		if f == "" {
			// The folder directory itself: cur/ new/ created or removed.
			w.folders = true
			return
		}
		if sub == "cur" || sub == "new" {
			w.dirty[Folder(filepath.Clean(f))] = true
		}
	}
}

// emit sends events in order; false when ctx ended.
func (w *watcher) emit(ctx context.Context, evs []Event) bool {
	for _, ev := range evs {
		select {
		case w.out <- ev:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// initial loads every folder as the baseline. A folder the Store had
// loaded before (through its methods) is diffed instead, so changes since
// then are reported; the outbox is always diffed, so mail waiting there
// from before is handed over.
func (w *watcher) initial() []Event {
	s := w.s
	var evs []Event
	w.mu(func() {
		if err := s.listFoldersLocked(); err != nil {
			evs = append(evs, w.problemLocked(s.root, err)...)
			return
		}
		for f, st := range s.folders {
			if f == s.outbox {
				// Forget it, so everything waiting there is handed over.
				for k := range st.msgs {
					s.deleteLocked(f, st, k)
				}
				st.loaded = true
				w.dirty[f] = true
				continue
			}
			if st.loaded {
				w.dirty[f] = true
				continue
			}
			if _, err := s.loadLocked(f); err != nil {
				evs = append(evs, w.problemLocked(s.dir(f), err)...)
			}
		}
		w.syncWatchesLocked()
	})
	return append(evs, w.rescan(time.Now())...)
}

// fillMessageIDs reads the Message-ID of every known message, a thousand
// at a time so Store methods are not held up, to pair moves made by copy
// and delete. It costs one small read per message, once per Watch.
func (w *watcher) fillMessageIDs(ctx context.Context) bool {
	s := w.s
	var todo []ref
	w.mu(func() {
		for f, st := range s.folders {
			for k, e := range st.msgs {
				if !e.read {
					todo = append(todo, ref{f, k})
				}
			}
		}
	})
	for len(todo) > 0 {
		if ctx.Err() != nil {
			return false
		}
		n := min(len(todo), 1000)
		w.mu(func() {
			for _, r := range todo[:n] {
				if st, ok := s.folders[r.folder]; ok {
					if e, ok := st.msgs[r.key]; ok {
						s.readMIDLocked(r.folder, r.key, e)
					}
				}
			}
		})
		todo = todo[n:]
	}
	return true
}

// syncWatchesLocked makes the notifier watch the root and, per folder, its
// directory, cur/ and new/, and nothing else.
func (w *watcher) syncWatchesLocked() {
	if w.n == nil {
		return
	}
	s := w.s
	want := map[string]bool{s.root: true}
	for f := range s.folders {
		if f != Inbox {
			want[s.dir(f)] = true
		}
		want[filepath.Join(s.dir(f), "cur")] = true
		want[filepath.Join(s.dir(f), "new")] = true
	}
	for d := range w.watched {
		if !want[d] {
			_ = w.n.Remove(d) // gone with its directory, usually
			delete(w.watched, d)
		}
	}
	for d := range want {
		// Add again even if watched: a directory removed and made again
		// lost its watch with its inode (fsnotify makes this cheap).
		if err := w.n.Add(d); err != nil {
			delete(w.watched, d)
			// Too many watches or a permission problem: the periodic
			// reconcile still covers this directory.
			if !w.problem[d] {
				w.problem[d] = true
				s.log.Warn("maildir: cannot watch directory, relying on rescans", "dir", d, "err", err)
			}
			continue
		}
		w.watched[d] = true
	}
}

// problemLocked reports a path once.
func (w *watcher) problemLocked(path string, err error) []Event {
	if w.problem[path] {
		return nil
	}
	w.problem[path] = true
	w.s.log.Warn("maildir: skipping unreadable path", "path", path, "err", err)
	return []Event{{Kind: Problem, Path: path, Err: err}}
}

// nextDeadline is when a pending copy expires or an outbox file settles.
func (w *watcher) nextDeadline() time.Time {
	next := w.recheck
	for _, p := range w.pending {
		if next.IsZero() || p.deadline.Before(next) {
			next = p.deadline
		}
	}
	return next
}
