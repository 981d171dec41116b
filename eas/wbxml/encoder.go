package wbxml

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
)

// header is the document header ActiveSync uses ([MS-ASWBXML] section
// 2.1.2, WBXML 1.3 section 5.4): version 1.3, public identifier 1
// (unknown), charset 106 (UTF-8), an empty string table.
var header = []byte{0x03, 0x01, 0x6A, 0x00}

// Encoder writes an ActiveSync WBXML document. Errors are sticky: the
// methods do not return them; Close reports the first one. An Encoder is
// not safe for concurrent use.
type Encoder struct {
	w        *bufio.Writer
	err      error
	wroteHdr bool
	page     uint8
	pending  bool // stack's last tag is not written yet: its content bit is undecided
	stack    []Tag
	rootDone bool
}

// NewEncoder returns an Encoder writing to w. The header is written
// before the first element.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, 32<<10)}
}

func (e *Encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("wbxml: "+format, args...)
	}
}

// flush writes the pending start tag, with the content bit set when the
// element has content (WBXML 1.3 section 5.8.2).
func (e *Encoder) flush(content bool) {
	if !e.pending || e.err != nil {
		return
	}
	e.pending = false
	if !e.wroteHdr {
		e.wroteHdr = true
		_, _ = e.w.Write(header)
	}
	t := e.stack[len(e.stack)-1]
	if t.Page() != e.page {
		e.page = t.Page()
		_ = e.w.WriteByte(0x00) // SWITCH_PAGE
		_ = e.w.WriteByte(e.page)
	}
	b := t.Token()
	if content {
		b |= 0x40
	}
	_ = e.w.WriteByte(b)
}

// Start opens element t. Whether its tag carries the content bit is
// decided by what follows: Start then End writes an empty tag.
func (e *Encoder) Start(t Tag) {
	if e.err != nil {
		return
	}
	switch {
	case !t.valid():
		e.fail("cannot encode unknown tag %s", t)
		return
	case e.rootDone:
		e.fail("second root element %s", t)
		return
	}
	e.flush(true)
	e.stack = append(e.stack, t)
	e.pending = true
}

// End closes the innermost open element.
func (e *Encoder) End() {
	if e.err != nil {
		return
	}
	if len(e.stack) == 0 {
		e.fail("End without an open element")
		return
	}
	if e.pending {
		e.flush(false)
	} else {
		_ = e.w.WriteByte(0x01) // END
	}
	e.stack = e.stack[:len(e.stack)-1]
	if len(e.stack) == 0 {
		e.rootDone = true
	}
}

// open checks that content may be written now and writes the pending tag.
func (e *Encoder) open(what string) bool {
	if e.err != nil {
		return false
	}
	if len(e.stack) == 0 {
		e.fail("%s outside an element", what)
		return false
	}
	e.flush(true)
	return true
}

// Text writes s as an inline string (STR_I, WBXML 1.3 section 5.8.4.1).
// An empty s writes nothing; a NUL inside s is an error, since NUL
// terminates inline strings.
func (e *Encoder) Text(s string) {
	if s == "" || e.err != nil {
		return
	}
	if strings.IndexByte(s, 0) >= 0 {
		e.fail("text contains a NUL byte")
		return
	}
	if !e.open("text") {
		return
	}
	_ = e.w.WriteByte(0x03)
	_, _ = e.w.WriteString(s)
	_ = e.w.WriteByte(0x00)
}

// Opaque writes b as opaque data (OPAQUE, WBXML 1.3 section 5.8.4.6).
func (e *Encoder) Opaque(b []byte) {
	if !e.opaqueHeader(int64(len(b))) {
		return
	}
	_, _ = e.w.Write(b)
}

// OpaqueFrom writes exactly n bytes read from r as opaque data, streaming
// them. Fewer than n bytes in r is an error.
func (e *Encoder) OpaqueFrom(r io.Reader, n int64) {
	if !e.opaqueHeader(n) {
		return
	}
	if _, err := io.CopyN(e.w, r, n); err != nil {
		e.fail("copying %d bytes of opaque data: %w", n, err)
	}
}

func (e *Encoder) opaqueHeader(n int64) bool {
	if e.err != nil {
		return false
	}
	if n < 0 || n > math.MaxUint32 {
		e.fail("opaque length %d out of range", n)
		return false
	}
	if !e.open("opaque data") {
		return false
	}
	_ = e.w.WriteByte(0xC3)
	e.writeMB(uint32(n))
	return true
}

// writeMB writes v as a multi-byte integer (WBXML 1.3 section 5.1).
func (e *Encoder) writeMB(v uint32) {
	var buf [5]byte
	i := len(buf) - 1
	buf[i] = byte(v & 0x7F)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		buf[i] = byte(v&0x7F) | 0x80
	}
	for _, b := range buf[i:] { // byte by byte: passing buf to Write would make it escape
		_ = e.w.WriteByte(b)
	}
}

// Element writes element t with text s; an empty tag when s is "".
func (e *Encoder) Element(t Tag, s string) {
	e.Start(t)
	e.Text(s)
	e.End()
}

// Empty writes element t without content.
func (e *Encoder) Empty(t Tag) {
	e.Start(t)
	e.End()
}

// Close flushes the document. It reports the first error of any earlier
// call, unbalanced elements, a document without a root element, and
// write errors.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	switch {
	case len(e.stack) > 0:
		e.fail("element %s not closed", e.stack[len(e.stack)-1])
	case !e.rootDone:
		e.fail("no root element")
	}
	if e.err != nil {
		return e.err
	}
	if err := e.w.Flush(); err != nil {
		e.err = fmt.Errorf("wbxml: writing: %w", err)
	}
	return e.err
}
