package imapd

import (
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/easbridge/easbridge/maildir"
)

// hit is one message a number set named: its sequence number in this
// session's view and a snapshot of its state.
type hit struct {
	seq uint32
	msg message
}

// inRanges says whether n is in ranges, where 0 stands for max ('*').
func inRanges(n, max uint32, ranges func(yield func(a, b uint32) bool)) bool {
	found := false
	ranges(func(a, b uint32) bool {
		if a == 0 {
			a = max
		}
		if b == 0 {
			b = max
		}
		if a > b {
			a, b = b, a
		}
		if n >= a && n <= b {
			found = true
			return false
		}
		return true
	})
	return found
}

// resolveLocked lists the messages numSet names, in order. It walks the
// folder rather than the set, so "1:4294967295" costs the folder's size.
// A message expunged on the server but not yet in this session's view is
// left out (RFC 3501 7.4.1 lets the server omit it).
func (s *session) resolveLocked(numSet imap.NumSet) []hit {
	mb := s.mb
	var out []hit
	switch set := numSet.(type) {
	case imap.SeqSet:
		seqs := make([]uint32, len(mb.msgs))
		var max uint32
		for i := range mb.msgs {
			seqs[i] = s.tracker.EncodeSeqNum(uint32(i + 1))
			if seqs[i] > max {
				max = seqs[i]
			}
		}
		ranges := func(yield func(a, b uint32) bool) {
			for _, r := range set {
				if !yield(r.Start, r.Stop) {
					return
				}
			}
		}
		for i, m := range mb.msgs {
			if seqs[i] != 0 && inRanges(seqs[i], max, ranges) {
				out = append(out, hit{seq: seqs[i], msg: *m})
			}
		}
	case imap.UIDSet:
		var max uint32
		if n := len(mb.msgs); n > 0 {
			max = uint32(mb.msgs[n-1].uid)
		}
		ranges := func(yield func(a, b uint32) bool) {
			for _, r := range set {
				if !yield(uint32(r.Start), uint32(r.Stop)) {
					return
				}
			}
		}
		for i, m := range mb.msgs {
			if inRanges(uint32(m.uid), max, ranges) {
				if seq := s.tracker.EncodeSeqNum(uint32(i + 1)); seq != 0 {
					out = append(out, hit{seq: seq, msg: *m})
				}
			}
		}
	}
	return out
}

func (s *session) resolve(numSet imap.NumSet) []hit {
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	return s.resolveLocked(numSet)
}

var errReadOnly = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "Mailbox is read-only (EXAMINE)"}

// Store changes flags: the standard ones by renaming the file through
// the Store (the info letters of the Maildir spec), keywords in the uid
// list.
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, _ *imap.StoreOptions) error {
	if s.readOnly {
		return errReadOnly
	}
	md, kw := splitFlags(flags.Flags)
	_, isUID := numSet.(imap.UIDSet)
	mb := s.mb
	mb.mu.Lock()
	hits := s.resolveLocked(numSet)
	var saveErr error
	kwChanged := false
	for i := range hits {
		h := &hits[i]
		m := mb.byKey[h.msg.key]
		if m == nil {
			continue
		}
		nf := m.flags
		switch flags.Op {
		case imap.StoreFlagsSet:
			nf = md
		case imap.StoreFlagsAdd:
			nf |= md
		case imap.StoreFlagsDel:
			nf &^= md
		}
		nk := applyKeywords(m.keywords, kw, flags.Op)
		if nf != m.flags {
			if err := s.srv.store.SetFlags(s.ctx(), mb.folder, m.key, nf); err != nil {
				saveErr = fmt.Errorf("imapd: setting flags: %w", err)
				continue
			}
			s.srv.changed(maildir.Event{Kind: maildir.FlagsChanged, Folder: mb.folder, Key: m.key, Flags: nf, OldFlags: m.flags})
			m.flags = nf
		}
		if !sameKeywords(nk, m.keywords) {
			m.keywords, kwChanged = nk, true
		}
		h.msg = *m
		if idx := mb.indexLocked(m); idx >= 0 {
			mb.tracker.QueueMessageFlags(uint32(idx+1), m.uid, m.imapFlags(), s.tracker)
		}
	}
	if kwChanged {
		if err := mb.saveLocked(); err != nil && saveErr == nil {
			saveErr = err
		}
	}
	mb.mu.Unlock()
	if !flags.Silent {
		for _, h := range hits {
			rw := w.CreateMessage(h.seq)
			if isUID {
				rw.WriteUID(h.msg.uid)
			}
			rw.WriteFlags(h.msg.imapFlags())
			if err := rw.Close(); err != nil {
				return err
			}
		}
	}
	return saveErr
}

func sameKeywords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// indexLocked finds m by binary search on the UID.
func (mb *mailbox) indexLocked(m *message) int {
	lo, hi := 0, len(mb.msgs)
	for lo < hi {
		mid := (lo + hi) / 2
		if mb.msgs[mid].uid < m.uid {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(mb.msgs) && mb.msgs[lo] == m {
		return lo
	}
	return -1
}

// removeKeyLocked drops message k (expunged or moved away by us).
func (mb *mailbox) removeKeyLocked(k maildir.Key) {
	if m := mb.byKey[k]; m != nil {
		if i := mb.indexLocked(m); i >= 0 {
			mb.removeAtLocked(i)
		}
	}
}

// Expunge removes the messages flagged \Deleted (those in uids, for UID
// EXPUNGE). The EXPUNGE responses reach this session through Poll, which
// the library calls before the tagged OK.
func (s *session) Expunge(_ *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	if s.readOnly {
		// CLOSE after EXAMINE comes here too and must succeed; like
		// Dovecot, EXPUNGE in a read-only mailbox is an OK that does nothing.
		return nil
	}
	mb := s.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	var gone []maildir.Key
	for _, m := range mb.msgs {
		if m.flags&maildir.Trashed != 0 && (uids == nil || uids.Contains(m.uid)) {
			gone = append(gone, m.key)
		}
	}
	var firstErr error
	for _, k := range gone {
		if err := s.srv.store.Remove(s.ctx(), mb.folder, k); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("imapd: expunging: %w", err)
			}
			continue
		}
		mb.removeKeyLocked(k)
		s.srv.changed(maildir.Event{Kind: maildir.Removed, Folder: mb.folder, Key: k})
	}
	if len(gone) > 0 {
		if err := mb.saveLocked(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// Copy copies messages by delivering a new file to the destination
// through the Store (Maildir has no copy; a hard link would share flags).
func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	f, err := folderOf(dest)
	if err != nil {
		return nil, err
	}
	dst, err := s.srv.mailbox(s.ctx(), f)
	if err != nil {
		return nil, tryCreate(err)
	}
	data := &imap.CopyData{UIDValidity: dst.validity}
	for _, h := range s.resolve(numSet) {
		rc, err := s.srv.store.OpenMessage(s.ctx(), s.mb.folder, h.msg.key)
		if err != nil {
			continue // gone meanwhile: RFC 3501 allows copying the rest
		}
		k, err := s.srv.store.Deliver(s.ctx(), f, "", rc, h.msg.flags)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("imapd: copying to %s: %w", f.String(), err)
		}
		uid, err := dst.added(s.ctx(), k, h.msg.flags, h.msg.keywords)
		if err != nil {
			return nil, err
		}
		s.srv.changed(maildir.Event{Kind: maildir.Added, Folder: f, Key: k, Flags: h.msg.flags})
		data.SourceUIDs.AddNum(h.msg.uid)
		data.DestUIDs.AddNum(uid)
	}
	return data, nil
}

func tryCreate(err error) error {
	if storeErr(err) == errNoMailbox {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTryCreate, Text: "No such mailbox"}
	}
	return storeErr(err)
}

// Move renames the files into the destination (Store.Move keeps the key),
// reported as Moved, as the watcher reports a move by Dovecot or aerc.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	if s.readOnly {
		return errReadOnly
	}
	f, err := folderOf(dest)
	if err != nil {
		return err
	}
	if f == s.mb.folder {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "Source and destination are the same"}
	}
	dst, err := s.srv.mailbox(s.ctx(), f)
	if err != nil {
		return tryCreate(err)
	}
	data := &imap.CopyData{UIDValidity: dst.validity}
	var firstErr error
	for _, h := range s.resolve(numSet) {
		if err := s.srv.store.Move(s.ctx(), s.mb.folder, h.msg.key, f); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("imapd: moving to %s: %w", f.String(), err)
			}
			continue
		}
		uid, err := dst.added(s.ctx(), h.msg.key, h.msg.flags, h.msg.keywords)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		s.mb.mu.Lock()
		s.mb.removeKeyLocked(h.msg.key)
		s.mb.mu.Unlock()
		s.srv.changed(maildir.Event{Kind: maildir.Moved, Folder: f, From: s.mb.folder, Key: h.msg.key,
			OldKey: h.msg.key, Flags: h.msg.flags, OldFlags: h.msg.flags})
		data.SourceUIDs.AddNum(h.msg.uid)
		data.DestUIDs.AddNum(uid)
	}
	s.mb.mu.Lock()
	if err := s.mb.saveLocked(); err != nil && firstErr == nil {
		firstErr = err
	}
	s.mb.mu.Unlock()
	if firstErr != nil && len(data.SourceUIDs) == 0 {
		return firstErr
	}
	return w.WriteCopyData(data)
}
