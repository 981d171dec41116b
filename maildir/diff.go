package maildir

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// change is one message added or removed by a folder diff.
type change struct {
	ref
	e    *entry // the new entry (added) or the last known one (removed)
	used bool   // consumed by a move
}

// rescan lists the folders if needed, diffs every dirty folder against
// the known state, updates the state and returns the events, all under
// the Store's lock.
func (w *watcher) rescan(now time.Time) []Event {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var evs []Event
	if w.folders {
		w.folders = false
		evs = append(evs, w.diffFoldersLocked()...)
	}
	var added, removed []*change
	dirty := make([]Folder, 0, len(w.dirty))
	for f := range w.dirty {
		dirty = append(dirty, f)
	}
	sort.Slice(dirty, func(i, j int) bool { return dirty[i] < dirty[j] })
	if w.dirty[s.outbox] {
		w.recheck = time.Time{} // the outbox scan sets it again if needed
	}
	w.dirty = map[Folder]bool{}
	scanned := map[Folder]bool{}
	diff := func(f Folder) {
		if st, ok := s.folders[f]; ok && !scanned[f] {
			scanned[f] = true
			a, r, fe := w.diffFolderLocked(f, st, now)
			added, removed = append(added, a...), append(removed, r...)
			evs = append(evs, fe...)
		}
	}
	for _, f := range dirty {
		diff(f)
	}
	if w.needAllLocked(added, removed) {
		// A message left a folder and nothing arrived for it: before calling
		// it removed, look in the other folders too, in case the other half
		// of a move is in a notification not read yet.
		rest := make([]Folder, 0, len(s.folders))
		for f := range s.folders {
			rest = append(rest, f)
		}
		sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
		for _, f := range rest {
			diff(f)
		}
	}
	evs = append(evs, w.pairLocked(added, removed, now)...)
	for _, ev := range evs {
		if ev.Kind != Problem {
			s.changedLocked(ev.Folder)
		}
		if ev.Kind == Moved || ev.Kind == FolderRenamed {
			s.changedLocked(ev.From)
		}
	}
	return evs
}

// needAllLocked says whether a removal in this batch has no counterpart
// among the additions (same key or Message-ID).
func (w *watcher) needAllLocked(added, removed []*change) bool {
	if len(removed) == 0 {
		return false
	}
	keys := map[Key]bool{}
	mids := map[uint64]bool{}
	for _, a := range added {
		keys[a.key] = true
		mids[a.e.mid] = true
	}
	for _, r := range removed {
		if r.folder == w.s.outbox || keys[r.key] || (r.e.mid != 0 && mids[r.e.mid]) {
			continue
		}
		if _, held := w.pending[r.ref]; held {
			continue
		}
		return true
	}
	return false
}

// diffFoldersLocked compares the folder directories on disk with the
// known ones. A new directory that is the same directory (inode) as one
// that vanished is a rename.
func (w *watcher) diffFoldersLocked() []Event {
	s := w.s
	found, err := s.listFolders()
	if err != nil {
		return w.problemLocked(s.root, err)
	}
	delete(w.problem, s.root)
	var gone []Folder
	for f := range s.folders {
		if _, ok := found[f]; !ok {
			gone = append(gone, f)
		}
	}
	var fresh []Folder
	for f := range found {
		if _, ok := s.folders[f]; !ok {
			fresh = append(fresh, f)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })
	sort.Slice(fresh, func(i, j int) bool { return fresh[i] < fresh[j] })
	var evs []Event
	for _, f := range fresh {
		renamed := false
		for i, g := range gone {
			old := s.folders[g]
			if old != nil && old.info != nil && os.SameFile(old.info, found[f]) {
				delete(s.folders, g)
				old.info = found[f]
				s.folders[f] = old
				for k, e := range old.msgs {
					s.unindexMID(g, k, e.mid)
					s.indexMID(f, k, e.mid)
				}
				w.movePendingFolder(g, f)
				gone = append(gone[:i], gone[i+1:]...)
				evs = append(evs, Event{Kind: FolderRenamed, Folder: f, From: g})
				renamed = true
				break
			}
		}
		if !renamed {
			st := newFolderState(found[f])
			st.loaded = true // empty: its messages show up as added
			s.folders[f] = st
			evs = append(evs, Event{Kind: FolderAdded, Folder: f})
		}
		w.dirty[f] = true
	}
	for _, g := range gone {
		s.dropFolderLocked(g)
		for r := range w.pending {
			if r.folder == g {
				delete(w.pending, r)
			}
		}
		evs = append(evs, Event{Kind: FolderRemoved, Folder: g})
	}
	for f, fi := range found {
		if st, ok := s.folders[f]; ok {
			st.info = fi
		}
		if w.problem[filepath.Join(s.dir(f), "cur")] || w.problem[filepath.Join(s.dir(f), "new")] {
			w.dirty[f] = true // its cur/ or new/ may be back
		}
	}
	w.syncWatchesLocked()
	return evs
}

// movePendingFolder follows pending copies into a renamed folder.
func (w *watcher) movePendingFolder(from, to Folder) {
	for r, p := range w.pending {
		if r.folder == from {
			delete(w.pending, r)
			r.folder = to
		}
		if p.twin.folder == from {
			p.twin.folder = to
		}
		w.pending[r] = p
	}
}

// diffFolderLocked rescans one folder and updates its state. Flag changes
// become events at once; additions and removals are returned for pairing.
// A folder that cannot be read keeps its state: nothing is reported
// removed because of an error.
func (w *watcher) diffFolderLocked(f Folder, st *folderState, now time.Time) (added, removed []*change, evs []Event) {
	s := w.s
	found, bad, err := s.scanFolder(f)
	for _, sub := range []string{"cur", "new"} {
		if p := filepath.Join(s.dir(f), sub); p != bad {
			delete(w.problem, p)
		}
	}
	if err != nil {
		return nil, nil, w.problemLocked(bad, err)
	}
	for k, e := range st.msgs {
		if _, ok := found[k]; !ok {
			removed = append(removed, &change{ref: ref{f, k}, e: e})
			s.deleteLocked(f, st, k)
		}
	}
	for k, sc := range found {
		old, ok := st.msgs[k]
		if !ok {
			if f == s.outbox && !w.outboxReadyLocked(f, sc, now, &evs) {
				continue
			}
			e := s.putLocked(f, st, k, sc, nil)
			s.readMIDLocked(f, k, e)
			added = append(added, &change{ref: ref{f, k}, e: e})
			continue
		}
		if old.cur == sc.cur && old.name == sc.name {
			continue
		}
		ofn := parseName(old.name)
		e := s.putLocked(f, st, k, sc, old)
		nfn := parseName(sc.name)
		if ofn.flags != nfn.flags || ofn.extra != nfn.extra {
			if _, held := w.pending[ref{f, k}]; held {
				continue
			}
			evs = append(evs, Event{Kind: FlagsChanged, Folder: f, Key: k, Flags: nfn.flags,
				OldFlags: ofn.flags, Keywords: nfn.extra, Path: s.path(f, e)})
		}
	}
	return added, removed, evs
}

// outboxReadyLocked says whether a new outbox file can be handed over: it
// has not changed for Settle (else we look again later) and starts with a
// header block (else it is reported once as a Problem and left alone).
func (w *watcher) outboxReadyLocked(f Folder, sc scanned, now time.Time, evs *[]Event) bool {
	s := w.s
	p := s.path(f, &entry{name: sc.name, cur: sc.cur})
	fi, err := os.Stat(p)
	if err != nil {
		if !isNotExist(err) {
			*evs = append(*evs, w.problemLocked(p, err)...)
		}
		return false
	}
	if settled := fi.ModTime().Add(s.opts.Settle); settled.After(now) {
		if w.recheck.IsZero() || settled.Before(w.recheck) {
			w.recheck = settled
		}
		return false
	}
	fh, err := os.Open(p)
	if err != nil {
		*evs = append(*evs, w.problemLocked(p, err)...)
		return false
	}
	defer fh.Close()
	if err := checkHeader(io.LimitReader(fh, 1<<20)); err != nil {
		*evs = append(*evs, w.problemLocked(p, fmt.Errorf("maildir: not a message: %w", err))...)
		return false
	}
	delete(w.problem, p)
	return true
}

// pairLocked turns additions and removals into events: the same key
// leaving one folder and arriving in another is a move; a foreign copy
// with the Message-ID of a message removed in the same batch is a move by
// copy and delete; a foreign copy whose original still exists waits (up to
// CopyHold) for the original to go.
func (w *watcher) pairLocked(added, removed []*change, now time.Time) []Event {
	s := w.s
	var evs []Event
	byKey := map[Key]*change{}
	byMID := map[uint64][]*change{}
	for _, r := range removed {
		if r.folder == s.outbox {
			continue
		}
		byKey[r.key] = r
		if r.e.mid != 0 {
			byMID[r.e.mid] = append(byMID[r.e.mid], r)
		}
	}
	moved := func(from *change, to *change) {
		from.used, to.used = true, true
		ofn, nfn := parseName(from.e.name), parseName(to.e.name)
		evs = append(evs, Event{Kind: Moved, Folder: to.folder, Key: to.key, From: from.folder,
			OldKey: from.key, Flags: nfn.flags, OldFlags: ofn.flags, Keywords: nfn.extra, Path: s.path(to.folder, to.e)})
	}
	for _, a := range added {
		if a.folder == s.outbox {
			continue
		}
		if r, ok := byKey[a.key]; ok && !r.used && r.folder != a.folder {
			moved(r, a)
		}
	}
	for _, a := range added {
		if a.used || a.folder == s.outbox || a.e.mid == 0 {
			continue
		}
		for _, r := range byMID[a.e.mid] {
			if !r.used && r.folder != a.folder {
				moved(r, a)
				break
			}
		}
	}
	for _, r := range removed {
		if r.used {
			continue
		}
		if p, held := w.pending[r.ref]; held {
			_ = p
			delete(w.pending, r.ref) // a copy deleted before its original
			continue
		}
		if c, ok := w.copyOf(r); ok {
			delete(w.pending, c)
			to := &change{ref: c, e: s.folders[c.folder].msgs[c.key]}
			moved(r, to)
			continue
		}
		evs = append(evs, Event{Kind: Removed, Folder: r.folder, Key: r.key, OldFlags: parseName(r.e.name).flags, Path: s.path(r.folder, r.e)})
	}
	for _, a := range added {
		if a.used {
			continue
		}
		fn := parseName(a.e.name)
		if a.folder == s.outbox {
			evs = append(evs, Event{Kind: OutboxMessage, Folder: a.folder, Key: a.key, Flags: fn.flags, Keywords: fn.extra, Path: s.path(a.folder, a.e)})
			continue
		}
		if twin, ok := w.liveTwinLocked(a); ok {
			w.pending[a.ref] = pendingCopy{twin: twin, deadline: now.Add(s.opts.CopyHold)}
			continue
		}
		evs = append(evs, Event{Kind: Added, Folder: a.folder, Key: a.key, Flags: fn.flags, Keywords: fn.extra, Path: s.path(a.folder, a.e)})
	}
	return append(evs, w.expireLocked(now)...)
}

// copyOf finds a pending copy of the removed message r: the one held
// for it, or else one with its Message-ID in another folder (the copy may
// have been held for a different message with the same Message-ID).
func (w *watcher) copyOf(r *change) (ref, bool) {
	var alt ref
	found := false
	for c, p := range w.pending {
		st, ok := w.s.folders[c.folder]
		if !ok || st.msgs[c.key] == nil {
			continue
		}
		if p.twin == r.ref {
			return c, true
		}
		if !found && r.e.mid != 0 && st.msgs[c.key].mid == r.e.mid && c.folder != r.folder {
			alt, found = c, true
		}
	}
	return alt, found
}

// liveTwinLocked finds another message with a's Message-ID in another
// folder (not the outbox, not itself a held copy).
func (w *watcher) liveTwinLocked(a *change) (ref, bool) {
	if a.e.mid == 0 {
		return ref{}, false
	}
	for _, r := range w.s.byMID[a.e.mid] {
		if r.folder == a.folder || r.folder == w.s.outbox {
			continue
		}
		if _, held := w.pending[r]; held {
			continue
		}
		return r, true
	}
	return ref{}, false
}

// expireLocked reports held copies whose original stayed as added: the
// user copied rather than moved.
func (w *watcher) expireLocked(now time.Time) []Event {
	s := w.s
	var evs []Event
	for c, p := range w.pending {
		if p.deadline.After(now) {
			continue
		}
		delete(w.pending, c)
		st, ok := s.folders[c.folder]
		if !ok || st.msgs[c.key] == nil {
			continue
		}
		e := st.msgs[c.key]
		fn := parseName(e.name)
		evs = append(evs, Event{Kind: Added, Folder: c.folder, Key: c.key, Flags: fn.flags, Keywords: fn.extra, Path: s.path(c.folder, e)})
	}
	return evs
}
