package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/easbridge/easbridge/maildir"
)

// List answers LIST and LSUB (RFC 3501 6.3.8), with the RFC 6154
// special-use attributes and the RFC 5258 selection and return options
// the library parses.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 1 && patterns[0] == "" {
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: '/'})
	}
	folders, err := s.srv.store.Folders(s.ctx())
	if err != nil {
		return storeErr(err)
	}
	names := make([]string, len(folders))
	for i, f := range folders {
		names[i] = nameOf(f)
	}
	for _, name := range names {
		if !matchAny(name, ref, patterns) {
			continue
		}
		data := &imap.ListData{Delim: '/', Mailbox: name}
		use := s.srv.specialUse(name)
		if options.SelectSpecialUse && use == "" {
			continue
		}
		// RFC 6154 lets a server show the attributes in every LIST;
		// Thunderbird's plain LIST relies on it.
		if use != "" {
			data.Attrs = append(data.Attrs, imap.MailboxAttr(use))
		}
		if hasChild(names, name) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
		} else {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
		}
		if options.SelectSubscribed || options.ReturnSubscribed {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if options.ReturnStatus != nil {
			if st, err := s.Status(name, options.ReturnStatus); err == nil {
				data.Status = st
			}
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

func matchAny(name, ref string, patterns []string) bool {
	for _, p := range patterns {
		if imapserver.MatchList(name, '/', ref, p) {
			return true
		}
	}
	return false
}

func hasChild(names []string, name string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, name+"/") {
			return true
		}
	}
	return false
}

// specialUse is the RFC 6154 attribute configured for a mailbox name.
func (s *Server) specialUse(name string) string {
	if u, ok := s.cfg.SpecialUse[name]; ok {
		return u
	}
	for n, u := range s.cfg.SpecialUse {
		if strings.EqualFold(n, name) {
			return u
		}
	}
	return ""
}

// maxHeader bounds the header block APPEND accepts before its blank line.
const maxHeader = 1 << 20

var errBadMessage = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeParse,
	Text: "Message is not RFC 5322: a header block of Name: value lines must come first"}

// Append stores a message through the Store (Deliver: tmp/, fsync,
// rename), so a half-received literal never appears. A message appended
// to the outbox is reported as OutboxMessage, which makes the engine
// send it.
func (s *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	f, err := folderOf(name)
	if err != nil {
		return nil, err
	}
	mb, err := s.srv.mailbox(s.ctx(), f)
	if err != nil {
		if errors.Is(err, maildir.ErrNotFound) {
			return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTryCreate, Text: "No such mailbox"}
		}
		return nil, storeErr(err)
	}
	br := bufio.NewReaderSize(r, maxHeader)
	if err := checkHeader(br); err != nil {
		return nil, err
	}
	md, kw := splitFlags(options.Flags)
	k, err := s.srv.store.Deliver(s.ctx(), f, "", br, md)
	if err != nil {
		return nil, fmt.Errorf("imapd: appending to %s: %w", f.String(), err)
	}
	uid, err := mb.added(s.ctx(), k, md, kw)
	if err != nil {
		return nil, err
	}
	ev := maildir.Event{Kind: maildir.Added, Folder: f, Key: k, Flags: md}
	if f == s.srv.store.Outbox() {
		ev.Kind = maildir.OutboxMessage
		ev.Path = s.srv.pathOf(f, k)
	}
	s.srv.changed(ev)
	return &imap.AppendData{UID: uid, UIDValidity: mb.validity}, nil
}

// pathOf finds the file of message k (for an OutboxMessage event).
func (s *Server) pathOf(f maildir.Folder, k maildir.Key) string {
	list, err := s.store.List(s.ctx, f)
	if err != nil {
		return ""
	}
	for _, m := range list {
		if m.Key == k {
			return m.Path
		}
	}
	return ""
}

// checkHeader peeks at the header block: it must end with an empty line
// within maxHeader bytes (or the message end) and hold only "Name: value"
// fields and their continuation lines (RFC 5322 2.2).
func checkHeader(br *bufio.Reader) error {
	peek, err := br.Peek(maxHeader)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("imapd: reading message: %w", err)
	}
	return validHeader(peek, errors.Is(err, io.EOF))
}

// validHeader checks the header lines in b up to the blank line; whole
// says b is the entire message (a message may be all header).
func validHeader(b []byte, whole bool) error {
	first := true
	if len(b) == 0 {
		return errBadMessage
	}
	for len(b) > 0 {
		line := b
		rest := []byte(nil)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, rest = b[:i], b[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			if first {
				return errBadMessage
			}
			return nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if first {
				return errBadMessage
			}
		} else if !validField(line) {
			return errBadMessage
		}
		first, b = false, rest
	}
	if !whole {
		return errBadMessage
	}
	return nil
}

func validField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
