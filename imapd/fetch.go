package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"

	"github.com/easbridge/easbridge/maildir"
)

// Fetch answers FETCH and UID FETCH. The library writes the items in
// our order; the file is opened once per message and only if an item
// needs its bytes.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	return s.corked(func() error { return s.fetch(w, numSet, options) })
}

func (s *session) fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	hits := s.resolve(numSet)
	markSeen := false
	if !s.readOnly {
		for _, bs := range options.BodySection {
			markSeen = markSeen || !bs.Peek
		}
		for _, bs := range options.BinarySection {
			markSeen = markSeen || !bs.Peek
		}
	}
	for i := range hits {
		if markSeen && hits[i].msg.flags&maildir.Seen == 0 {
			s.markSeen(&hits[i])
		}
		if err := s.fetchOne(w, &hits[i], options, markSeen); err != nil {
			return err
		}
	}
	return nil
}

// markSeen sets \Seen for a non-peek body fetch (RFC 3501 6.4.5).
func (s *session) markSeen(h *hit) {
	mb := s.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	m := mb.byKey[h.msg.key]
	if m == nil || m.flags&maildir.Seen != 0 {
		return
	}
	nf := m.flags | maildir.Seen
	if err := s.srv.store.SetFlags(s.ctx(), mb.folder, m.key, nf); err != nil {
		s.srv.log.Warn("imapd: marking seen", "folder", mb.folder.String(), "err", err)
		return
	}
	s.srv.changed(maildir.Event{Kind: maildir.FlagsChanged, Folder: mb.folder, Key: m.key, Flags: nf, OldFlags: m.flags})
	m.flags = nf
	h.msg = *m
	if idx := mb.indexLocked(m); idx >= 0 {
		mb.tracker.QueueMessageFlags(uint32(idx+1), m.uid, m.imapFlags(), s.tracker)
	}
}

// msgFile is a message file opened on demand.
type msgFile struct {
	s   *session
	key maildir.Key
	// nameSize is the size from the file name, -1 if unknown.
	nameSize int64
	f        *os.File
	info     os.FileInfo
	hdr      []byte // raw header block, blank line included
	err      error
}

func (mf *msgFile) open() (*os.File, error) {
	if mf.f != nil || mf.err != nil {
		return mf.f, mf.err
	}
	rc, err := mf.s.srv.store.OpenMessage(mf.s.ctx(), mf.s.mb.folder, mf.key)
	if err != nil {
		mf.err = err
		return nil, err
	}
	f, ok := rc.(*os.File)
	if !ok {
		rc.Close()
		mf.err = errors.New("imapd: message is not a file")
		return nil, mf.err
	}
	mf.f = f
	mf.info, mf.err = f.Stat()
	return mf.f, mf.err
}

func (mf *msgFile) close() {
	if mf.f != nil {
		mf.f.Close()
	}
}

// header reads the header block (up to and including the blank line).
func (mf *msgFile) header() ([]byte, error) {
	if mf.hdr != nil {
		return mf.hdr, nil
	}
	if h := mf.s.mb.cachedHeader(mf.key); h != nil {
		mf.hdr = h
		return h, nil
	}
	f, err := mf.open()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(io.NewSectionReader(f, 0, mf.info.Size()))
	var buf bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			buf.Write(line)
			continue
		}
		buf.Write(line)
		if err != nil || len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
	}
	mf.hdr = buf.Bytes()
	mf.s.mb.cacheHeader(mf.key, mf.hdr)
	return mf.hdr, nil
}

// reader returns the whole message as served, from its start.
func (mf *msgFile) reader() (io.Reader, error) {
	f, err := mf.open()
	if err != nil {
		return nil, err
	}
	r := io.NewSectionReader(f, 0, mf.info.Size())
	if mf.converted() {
		return newCRLFReader(r), nil
	}
	return r, nil
}

func (s *session) fetchOne(w *imapserver.FetchWriter, h *hit, options *imap.FetchOptions, withFlags bool) error {
	mf := &msgFile{s: s, key: h.msg.key, nameSize: h.msg.size}
	defer mf.close()
	rw := w.CreateMessage(h.seq)
	if options.UID {
		rw.WriteUID(h.msg.uid)
	}
	if options.Flags || withFlags {
		rw.WriteFlags(h.msg.imapFlags())
	}
	if options.RFC822Size {
		rw.WriteRFC822Size(mf.size())
	}
	if options.InternalDate {
		if t, ok := mf.internalDate(); ok {
			rw.WriteInternalDate(t)
		}
	}
	if options.Envelope {
		if hdr, err := mf.header(); err == nil {
			th, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(hdr)))
			rw.WriteEnvelope(imapserver.ExtractEnvelope(th))
		}
	}
	if options.BodyStructure != nil {
		if r, err := mf.reader(); err == nil {
			rw.WriteBodyStructure(imapserver.ExtractBodyStructure(r))
		}
	}
	for _, bs := range options.BodySection {
		if err := s.writeSection(rw, mf, bs); err != nil {
			return err
		}
	}
	for _, bs := range options.BinarySection {
		var b []byte
		if r, err := mf.reader(); err == nil {
			b = imapserver.ExtractBinarySection(r, bs)
		}
		if err := writeBytes(rw.WriteBinarySection(bs, int64(len(b))), b); err != nil {
			return err
		}
	}
	for _, bs := range options.BinarySectionSize {
		var n uint32
		if r, err := mf.reader(); err == nil {
			n = imapserver.ExtractBinarySectionSize(r, bs)
		}
		rw.WriteBinarySectionSize(bs, n)
	}
	return rw.Close()
}

// writeSection writes one BODY[...] item, streaming from the file for
// the whole message and its text, reading only the header for header
// sections, and parsing MIME only for nested parts.
func (s *session) writeSection(rw *imapserver.FetchResponseWriter, mf *msgFile, bs *imap.FetchItemBodySection) error {
	if len(bs.Part) == 0 {
		switch bs.Specifier {
		case imap.PartSpecifierNone, imap.PartSpecifierText:
			return mf.writeWhole(rw, bs)
		case imap.PartSpecifierHeader:
			hdr, _ := mf.header()
			b := toCRLF(filterHeader(hdr, bs))
			off, n := partial(int64(len(b)), bs.Partial)
			return writeBytes(rw.WriteBodySection(bs, n), b[off:off+n])
		}
	}
	var b []byte
	if r, err := mf.reader(); err == nil {
		b = imapserver.ExtractBodySection(r, bs)
	}
	return writeBytes(rw.WriteBodySection(bs, int64(len(b))), b)
}

// writeWhole writes BODY[] or BODY[TEXT] (or a partial of them),
// streamed from the file, converted to CRLF when the message is.
func (mf *msgFile) writeWhole(rw *imapserver.FetchResponseWriter, bs *imap.FetchItemBodySection) error {
	f, err := mf.open()
	if err != nil {
		return writeBytes(rw.WriteBodySection(bs, 0), nil)
	}
	conv := mf.converted()
	var start, wireStart int64 // where the section starts in the file, and as served
	if bs.Specifier == imap.PartSpecifierText {
		hdr, _ := mf.header()
		start, wireStart = int64(len(hdr)), int64(len(toCRLF(hdr)))
	}
	total := mf.info.Size()
	if conv {
		total = mf.size()
	}
	off, n := partial(total-wireStart, bs.Partial)
	wc := rw.WriteBodySection(bs, n)
	var r io.Reader
	if conv {
		cr := newCRLFReader(io.NewSectionReader(f, start, mf.info.Size()-start))
		if _, err := io.CopyN(io.Discard, cr, off); err != nil {
			wc.Close()
			return fmt.Errorf("imapd: reading message: %w", err)
		}
		r = cr
	} else {
		r = io.NewSectionReader(f, start+off, n)
	}
	if _, err := io.CopyN(wc, r, n); err != nil {
		wc.Close()
		return fmt.Errorf("imapd: sending message: %w", err)
	}
	return wc.Close()
}

// partial clips [0,size) to a <offset.count> request.
func partial(size int64, p *imap.SectionPartial) (off, n int64) {
	if p == nil {
		return 0, size
	}
	off = min(p.Offset, size)
	n = size - off
	if p.Size >= 0 && p.Size < n {
		n = p.Size
	}
	return off, n
}

// filterHeader applies HEADER.FIELDS / HEADER.FIELDS.NOT to a raw header
// block, keeping lines byte for byte and the closing blank line.
func filterHeader(hdr []byte, bs *imap.FetchItemBodySection) []byte {
	if len(bs.HeaderFields) == 0 && len(bs.HeaderFieldsNot) == 0 {
		return hdr
	}
	want := func(name string) bool {
		if len(bs.HeaderFields) > 0 {
			return hasFold(bs.HeaderFields, name)
		}
		return !hasFold(bs.HeaderFieldsNot, name)
	}
	var out bytes.Buffer
	keep := false
	for rest := hdr; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		switch {
		case len(trimmed) == 0:
			keep = false
		case trimmed[0] == ' ' || trimmed[0] == '\t':
			// a continuation belongs to the field above
		default:
			name, _, _ := bytes.Cut(trimmed, []byte(":"))
			keep = want(strings.TrimSpace(string(name)))
		}
		if keep {
			out.Write(line)
		}
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func writeBytes(wc io.WriteCloser, b []byte) error {
	if _, err := wc.Write(b); err != nil {
		wc.Close()
		return fmt.Errorf("imapd: sending message: %w", err)
	}
	return wc.Close()
}
