package imapd

import (
	"bufio"
	"bytes"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// Line endings on the wire.
//
// IMAP sends messages with CRLF line endings (RFC 3501 2.3.1,
// RFC 9051 2.3.1), while mutt, aerc and procmail write Maildir files with
// bare LF. A message whose header block holds a bare LF is served with
// every bare LF turned into CRLF, on the fly; its RFC822.SIZE, the sizes
// of its sections and its BODYSTRUCTURE are those of the converted bytes
// (one scan of the file, then cached), so a client that fetches in
// pieces gets what the sizes promised. A message whose header uses CRLF
// (what the engine delivers from Exchange) is served byte for byte, as
// stored: converting bare LFs inside a body that was written that way on
// purpose would alter it.

// hasBareLF says whether b holds a LF not preceded by CR.
func hasBareLF(b []byte) bool {
	for i := bytes.IndexByte(b, '\n'); i >= 0; {
		if i == 0 || b[i-1] != '\r' {
			return true
		}
		j := bytes.IndexByte(b[i+1:], '\n')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

// toCRLF returns b with every bare LF turned into CRLF.
func toCRLF(b []byte) []byte {
	if !hasBareLF(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/32)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// crlfReader turns every bare LF of r into CRLF.
type crlfReader struct {
	r  *bufio.Reader
	cr bool // the last byte read was CR
	lf bool // a LF is owed after the CR just written
}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: bufio.NewReaderSize(r, 32<<10)}
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if c.lf {
			p[n], c.lf, c.cr = '\n', false, false
			n++
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b == '\n' && !c.cr {
			p[n], c.lf = '\r', true
			n++
			continue
		}
		p[n], c.cr = b, b == '\r'
		n++
	}
	return n, nil
}

// countBareLF counts the LFs of r not preceded by CR.
func countBareLF(r io.Reader) (int64, error) {
	var n int64
	buf := make([]byte, 64<<10)
	prev := byte(0)
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' && prev != '\r' {
				n++
			}
			prev = c
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// internalDate is a message's INTERNALDATE (RFC 3501 2.3.3): the date
// its topmost Received field gives (when the receiving server took it),
// else its Date field, else fallback (the file's modification time). It
// comes from the header, not the file, so a copy made by COPY, mutt or a
// backup keeps it, and Thunderbird's "Received" column shows when the
// mail arrived rather than when easbridge first synced it.
func (mf *msgFile) internalDate() (time.Time, bool) {
	if hdr, err := mf.header(); err == nil {
		if t, ok := headerDate(hdr); ok {
			return t, true
		}
	}
	if _, err := mf.open(); err != nil {
		return time.Time{}, false
	}
	return mf.info.ModTime(), true
}

// headerDate is the date of the topmost Received field, else of Date.
func headerDate(hdr []byte) (time.Time, bool) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(hdr)))
	if err != nil {
		return time.Time{}, false
	}
	if rcv := h.Get("Received"); rcv != "" {
		if i := strings.LastIndexByte(rcv, ';'); i >= 0 {
			if t, err := mail.ParseDate(strings.TrimSpace(rcv[i+1:])); err == nil {
				return t, true
			}
		}
	}
	if d := h.Get("Date"); d != "" {
		if t, err := mail.ParseDate(d); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// converted says whether the message is served with its bare LFs turned
// into CRLF: when its header block has one.
func (mf *msgFile) converted() bool {
	hdr, err := mf.header()
	return err == nil && hasBareLF(hdr)
}

// size is the message's size as served (RFC822.SIZE): the file's, plus
// one byte per bare LF when converted. Cached in the mailbox.
func (mf *msgFile) size() int64 {
	if n := mf.s.mb.wireSize(mf.key); n >= 0 {
		return n
	}
	n := mf.nameSize
	if n < 0 || mf.converted() {
		f, err := mf.open()
		if err != nil {
			return 0
		}
		n = mf.info.Size()
		if mf.converted() {
			bare, err := countBareLF(io.NewSectionReader(f, 0, n))
			if err != nil {
				return 0
			}
			n += bare
		}
	}
	mf.s.mb.setWireSize(mf.key, n)
	return n
}
