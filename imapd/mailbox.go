package imapd

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/easbridge/easbridge/maildir"
)

// message is one message of a folder as the IMAP sessions see it.
type message struct {
	uid      imap.UID
	key      maildir.Key
	flags    maildir.Flags
	keywords []string // IMAP keywords, kept in the uid list
	size     int64    // from the file name, -1 until known
	wire     int64    // size as served (see wire.go), -1 until known
	header   []byte   // raw header block, cached once read (files never change)
}

// Header cache bounds: Maildir files are immutable under their key, so a
// header read once serves every later FETCH of it (Thunderbird's header
// FETCH, ENVELOPE, SEARCH HEADER) without opening the file, as Dovecot's
// cache file does.
const (
	maxCachedHeader = 16 << 10
	maxHeaderCache  = 64 << 20 // per folder
)

// cachedHeader returns the cached header of k, or nil.
func (mb *mailbox) cachedHeader(k maildir.Key) []byte {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if m := mb.byKey[k]; m != nil {
		return m.header
	}
	return nil
}

// cacheHeader keeps the header of k within the bounds.
func (mb *mailbox) cacheHeader(k maildir.Key, h []byte) {
	if len(h) > maxCachedHeader {
		return
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if m := mb.byKey[k]; m != nil && m.header == nil && mb.cached+len(h) <= maxHeaderCache {
		m.header = h
		mb.cached += len(h)
	}
}

// wireSize returns the cached size of k as served, or -1.
func (mb *mailbox) wireSize(k maildir.Key) int64 {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if m := mb.byKey[k]; m != nil && m.wire > 0 {
		return m.wire
	}
	return -1
}

// setWireSize caches the size of k as served.
func (mb *mailbox) setWireSize(k maildir.Key, n int64) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if m := mb.byKey[k]; m != nil {
		m.wire = n
	}
}

// mailbox is the state of one folder shared by every session: messages in
// UID order (so index+1 is the sequence number in the server's view), the
// persisted UIDs and the library's tracker that queues each session's
// untagged updates.
type mailbox struct {
	srv    *Server
	folder maildir.Folder

	mu       sync.Mutex
	isLoaded bool
	validity uint32
	next     imap.UID
	msgs     []*message
	byKey    map[maildir.Key]*message
	tracker  *imapserver.MailboxTracker
	lastScan time.Time
	kicking  bool
	stamp    dirStamp // of cur/ and new/ at the last listing
	stampOK  bool     // stamp was older than stampSettle then
	cached   int      // bytes of cached headers
}

// dirStamp is the modification times of a folder's cur/ and new/: every
// delivery, flag change (a rename in cur/), move and delete changes one.
type dirStamp [2]time.Time

// stampSettle is how long a directory must be unchanged before a listing
// is trusted to reflect it. The Store learns of foreign changes from its
// watcher (debounce 50ms, at most maildir.Options.MaxDelay, 1s by
// default, later); until then its listing may lag the directory, so we
// list again rather than skip.
const stampSettle = 2 * time.Second

// fullEvery bounds how long the stamp alone may stand for a listing, in
// case a change kept the times (a coarse clock, a restored backup).
const fullEvery = 30 * time.Second

func (mb *mailbox) dirStamp() dirStamp {
	var st dirStamp
	dir := filepath.Join(mb.srv.store.Root(), string(mb.folder))
	for i, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			st[i] = fi.ModTime()
		}
	}
	return st
}

// unchangedLocked says whether a listing can be skipped: the directories
// have the times they had at the last listing, that listing came after
// they had settled, and it is recent.
func (mb *mailbox) unchangedLocked() bool {
	return mb.stampOK && time.Since(mb.lastScan) < fullEvery && mb.dirStamp() == mb.stamp
}

func (mb *mailbox) loaded() bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.isLoaded
}

func (mb *mailbox) uidListPath() string {
	return filepath.Join(mb.srv.store.Root(), string(mb.folder), uidListName)
}

// load reads the uid list and the folder listing the first time.
func (mb *mailbox) load(ctx context.Context) error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.isLoaded {
		return nil
	}
	stamp := mb.dirStamp()
	list, err := mb.srv.store.List(ctx, mb.folder)
	if err != nil {
		return err
	}
	ul, ok, err := readUIDList(mb.uidListPath())
	if err != nil {
		mb.srv.log.Warn("imapd: uid list unreadable, starting a new UIDVALIDITY", "folder", mb.folder.String(), "err", err)
	}
	if !ok {
		ul = uidList{validity: newValidity(), next: 1}
	}
	mb.validity, mb.next = ul.validity, ul.next
	mb.byKey = make(map[maildir.Key]*message, len(list))
	var fresh []*message
	for _, m := range list {
		msg := &message{key: m.Key, flags: m.Flags, size: m.Size, uid: ul.uids[m.Key], keywords: ul.keywords[m.Key]}
		mb.byKey[m.Key] = msg
		if msg.uid == 0 {
			fresh = append(fresh, msg)
		} else {
			mb.msgs = append(mb.msgs, msg)
		}
	}
	sort.Slice(mb.msgs, func(i, j int) bool { return mb.msgs[i].uid < mb.msgs[j].uid })
	for _, msg := range fresh { // List is sorted by key, which starts with the delivery time
		msg.uid = mb.next
		mb.next++
		mb.msgs = append(mb.msgs, msg)
	}
	if !ok || len(fresh) > 0 || len(ul.uids) != len(mb.msgs) {
		if err := mb.saveLocked(); err != nil {
			return err
		}
	}
	mb.tracker = imapserver.NewMailboxTracker(uint32(len(mb.msgs)))
	mb.lastScan = time.Now()
	mb.stamp = stamp
	mb.stampOK = mb.lastScan.Sub(stamp[0]) > stampSettle && mb.lastScan.Sub(stamp[1]) > stampSettle
	mb.isLoaded = true
	return nil
}

// newValidity is a UIDVALIDITY: the clock in seconds, as RFC 3501 2.3.1.1
// suggests, so a folder made again gets a larger value.
func newValidity() uint32 {
	v := uint32(time.Now().Unix())
	if v == 0 {
		v = 1
	}
	return v
}

func (mb *mailbox) saveLocked() error {
	return writeUIDList(mb.uidListPath(), mb.validity, mb.next, mb.msgs)
}

// refresh lists the folder again if the last listing is older than
// maxAge, and queues EXPUNGE, FETCH FLAGS and EXISTS updates for the
// sessions.
func (mb *mailbox) refresh(ctx context.Context, maxAge time.Duration) error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if time.Since(mb.lastScan) < maxAge || mb.unchangedLocked() {
		return nil
	}
	return mb.refreshLocked(ctx)
}

// refreshLocked lists the folder and queues the differences.
func (mb *mailbox) refreshLocked(ctx context.Context) error {
	stamp := mb.dirStamp()
	list, err := mb.srv.store.List(ctx, mb.folder)
	if err != nil {
		return err
	}
	mb.lastScan = time.Now()
	mb.stamp = stamp
	mb.stampOK = mb.lastScan.Sub(stamp[0]) > stampSettle && mb.lastScan.Sub(stamp[1]) > stampSettle
	now := make(map[maildir.Key]*maildir.Message, len(list))
	for i := range list {
		now[list[i].Key] = &list[i]
	}
	changed := false
	for i := len(mb.msgs) - 1; i >= 0; i-- {
		msg := mb.msgs[i]
		if _, ok := now[msg.key]; !ok {
			mb.removeAtLocked(i)
			changed = true
		}
	}
	for i, msg := range mb.msgs {
		m := now[msg.key]
		if m.Flags != msg.flags {
			msg.flags = m.Flags
			mb.tracker.QueueMessageFlags(uint32(i+1), msg.uid, msg.imapFlags(), nil)
		}
		msg.size = m.Size
	}
	added := 0
	for i := range list {
		if _, ok := mb.byKey[list[i].Key]; !ok {
			mb.appendLocked(&list[i])
			added++
		}
	}
	if changed || added > 0 {
		if err := mb.saveLocked(); err != nil {
			return err
		}
	}
	if added > 0 {
		mb.tracker.QueueNumMessages(uint32(len(mb.msgs)))
	}
	return nil
}

// removeAtLocked drops msgs[i] and queues its EXPUNGE for every session.
func (mb *mailbox) removeAtLocked(i int) {
	mb.cached -= len(mb.msgs[i].header)
	delete(mb.byKey, mb.msgs[i].key)
	mb.msgs = append(mb.msgs[:i], mb.msgs[i+1:]...)
	mb.tracker.QueueExpunge(uint32(i + 1))
}

// appendLocked gives m the next UID. The caller saves the list and queues
// EXISTS.
func (mb *mailbox) appendLocked(m *maildir.Message) *message {
	msg := &message{uid: mb.next, key: m.Key, flags: m.Flags, size: m.Size}
	mb.next++
	mb.msgs = append(mb.msgs, msg)
	mb.byKey[m.Key] = msg
	return msg
}

// added records a message the server itself delivered (APPEND, COPY), so
// its UID is known at once for APPENDUID and COPYUID.
func (mb *mailbox) added(ctx context.Context, k maildir.Key, flags maildir.Flags, keywords []string) (imap.UID, error) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if msg, ok := mb.byKey[k]; ok {
		return msg.uid, nil
	}
	msg := mb.appendLocked(&maildir.Message{Key: k, Flags: flags, Size: -1})
	msg.keywords = keywords
	if err := mb.saveLocked(); err != nil {
		return 0, err
	}
	mb.tracker.QueueNumMessages(uint32(len(mb.msgs)))
	return msg.uid, nil
}

// kick refreshes the folder now, in the background, unless a kick is
// already running (it will see this change too, or the next poll will).
func (mb *mailbox) kick() {
	mb.mu.Lock()
	if mb.kicking || !mb.isLoaded {
		mb.mu.Unlock()
		return
	}
	mb.kicking = true
	mb.mu.Unlock()
	go func() {
		mb.mu.Lock()
		defer mb.mu.Unlock()
		mb.kicking = false
		if err := mb.refreshLocked(mb.srv.ctx); err != nil {
			mb.srv.log.Warn("imapd: refreshing folder", "folder", mb.folder.String(), "err", err)
		}
	}()
}

// status answers STATUS from the current state.
func (mb *mailbox) status() (n, unseen uint32, next imap.UID, validity uint32, size int64) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	for _, m := range mb.msgs {
		if m.flags&maildir.Seen == 0 {
			unseen++
		}
		if m.size > 0 {
			size += m.size
		}
	}
	return uint32(len(mb.msgs)), unseen, mb.next, mb.validity, size
}
