package imapd

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/easbridge/easbridge/maildir"
)

// session is one connection's state. The library calls its methods from
// the connection's goroutine only (Idle's poller aside).
type session struct {
	srv      *Server
	users    map[string]*Server // by user name, in a Group; nil otherwise
	conn     *imapserver.Conn
	authed   bool
	mb       *mailbox
	tracker  *imapserver.SessionTracker
	readOnly bool
}

var (
	_ imapserver.SessionIMAP4rev2   = (*session)(nil)
	_ imapserver.SessionAppendLimit = (*session)(nil)
)

func (s *session) ctx() context.Context { return s.srv.ctx }

// Close ends the session.
func (s *session) Close() error {
	if s.tracker != nil {
		s.tracker.Close()
		s.tracker, s.mb = nil, nil
	}
	return nil
}

// Login checks the local user and password (AUTHENTICATE PLAIN comes
// here too).
func (s *session) Login(username, password string) error {
	srv := s.srv
	if u := s.users[username]; u != nil {
		srv = u
	}
	if !srv.checkLogin(username, password) {
		s.srv.log.Info("imapd: login refused", "remote", s.conn.NetConn().RemoteAddr().String())
		return imapserver.ErrAuthFailed
	}
	s.srv, s.authed = srv, true
	return nil
}

// AppendLimit is advertised as APPENDLIMIT and enforced by the library
// before the literal is accepted (NO [TOOBIG]).
func (s *session) AppendLimit() uint32 { return s.srv.cfg.MaxAppend }

// Namespace: one personal namespace, '/' as the delimiter.
func (s *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: '/'}}}, nil
}

// folderOf maps an IMAP mailbox name to a Maildir++ folder.
func folderOf(name string) (maildir.Folder, error) {
	name = strings.TrimSuffix(name, "/")
	if strings.EqualFold(name, "INBOX") {
		return maildir.Inbox, nil
	}
	f, err := maildir.FolderOf(strings.Split(name, "/")...)
	if err != nil {
		return "", &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "Invalid mailbox name"}
	}
	return f, nil
}

// nameOf is the IMAP name of f.
func nameOf(f maildir.Folder) string {
	p, _ := f.Path()
	if len(p) == 0 {
		return "INBOX"
	}
	return strings.Join(p, "/")
}

var errNoMailbox = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent, Text: "No such mailbox"}

// storeErr turns a maildir error into an IMAP one.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, maildir.ErrNotFound):
		return errNoMailbox
	case errors.Is(err, maildir.ErrExists):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists, Text: "Mailbox already exists"}
	case errors.Is(err, maildir.ErrBadName):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "Not allowed for this mailbox"}
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return err
	}
	return err
}

// Select opens a folder; EXAMINE sets options.ReadOnly.
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	f, err := folderOf(name)
	if err != nil {
		return nil, err
	}
	s.Close()
	mb, err := s.srv.mailbox(s.ctx(), f)
	if err != nil {
		return nil, storeErr(err)
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if !mb.unchangedLocked() {
		if err := mb.refreshLocked(s.ctx()); err != nil {
			return nil, storeErr(err)
		}
	}
	data := &imap.SelectData{
		Flags: mailboxFlags, PermanentFlags: permanentFlags,
		NumMessages: uint32(len(mb.msgs)), UIDNext: mb.next, UIDValidity: mb.validity,
	}
	for i, m := range mb.msgs {
		if m.flags&maildir.Seen == 0 {
			data.FirstUnseenSeqNum = uint32(i + 1)
			break
		}
	}
	s.mb, s.tracker, s.readOnly = mb, mb.tracker.NewSession(), options != nil && options.ReadOnly
	if s.readOnly {
		data.PermanentFlags = nil
	}
	return data, nil
}

// Unselect leaves the selected folder.
func (s *session) Unselect() error { return s.Close() }

// Create makes a folder.
func (s *session) Create(name string, _ *imap.CreateOptions) error {
	f, err := folderOf(name)
	if err != nil {
		return err
	}
	if err := s.srv.store.CreateFolder(s.ctx(), f); err != nil {
		return storeErr(err)
	}
	s.srv.changed(maildir.Event{Kind: maildir.FolderAdded, Folder: f})
	return nil
}

// Delete removes a folder and the folders below it.
func (s *session) Delete(name string) error {
	f, err := folderOf(name)
	if err != nil {
		return err
	}
	if err := s.srv.store.DeleteFolder(s.ctx(), f); err != nil {
		return storeErr(err)
	}
	s.srv.forget(f)
	s.srv.changed(maildir.Event{Kind: maildir.FolderRemoved, Folder: f})
	return nil
}

// Rename renames a folder with the folders below it; UIDs are kept (the
// uid list moves with the directory).
func (s *session) Rename(name, newName string, _ *imap.RenameOptions) error {
	from, err := folderOf(name)
	if err != nil {
		return err
	}
	to, err := folderOf(newName)
	if err != nil {
		return err
	}
	if err := s.srv.store.RenameFolder(s.ctx(), from, to); err != nil {
		return storeErr(err)
	}
	s.srv.forget(from)
	s.srv.changed(maildir.Event{Kind: maildir.FolderRenamed, Folder: to, From: from})
	return nil
}

// Subscribe is accepted and ignored: every folder is subscribed.
func (s *session) Subscribe(string) error { return nil }

// Unsubscribe is accepted and ignored: every folder stays listed.
func (s *session) Unsubscribe(string) error { return nil }

// Status answers STATUS.
func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	f, err := folderOf(name)
	if err != nil {
		return nil, err
	}
	mb, err := s.srv.mailbox(s.ctx(), f)
	if err != nil {
		return nil, storeErr(err)
	}
	if err := mb.refresh(s.ctx(), s.srv.cfg.Poll); err != nil {
		return nil, storeErr(err)
	}
	n, unseen, next, validity, size := mb.status()
	data := &imap.StatusData{Mailbox: name, UIDNext: next, UIDValidity: validity}
	if options.NumMessages {
		data.NumMessages = &n
	}
	if options.NumUnseen {
		data.NumUnseen = &unseen
	}
	if options.NumRecent {
		zero := uint32(0)
		data.NumRecent = &zero
	}
	if options.Size {
		data.Size = &size
	}
	return data, nil
}

// Poll brings the selected folder up to date (at most every Config.Poll)
// and writes the updates this session has not seen.
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.mb == nil {
		return nil
	}
	if err := s.mb.refresh(s.ctx(), s.srv.cfg.Poll); err != nil {
		s.srv.log.Warn("imapd: refreshing folder", "folder", s.mb.folder.String(), "err", err)
	}
	return s.tracker.Poll(w, allowExpunge)
}

// Idle pushes updates until the client sends DONE. A poller lists the
// folder every Config.Poll, so mail that arrived without a Notify is
// seen within that delay; a Notify is seen at once.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if s.mb == nil {
		<-stop
		return nil
	}
	mb, done := s.mb, make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(s.srv.cfg.Poll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := mb.refresh(s.ctx(), s.srv.cfg.Poll/2); err != nil {
					s.srv.log.Warn("imapd: refreshing folder", "folder", mb.folder.String(), "err", err)
				}
			}
		}
	}()
	return s.tracker.Idle(w, stop)
}
