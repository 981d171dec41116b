package wbxml

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Default limits of a Decoder, used when its fields are zero.
const (
	defaultMaxDepth  = 64
	defaultMaxString = 64 << 20
	// maxStringTable bounds the header's string table (WBXML 1.3 section
	// 5.7), which ActiveSync leaves empty ([MS-ASWBXML] section 2.1.2).
	maxStringTable = 64 << 10
	readBufferSize = 32 << 10
)

// Kind is the kind of a Token.
type Kind uint8

// Token kinds.
const (
	StartElement Kind = iota + 1 // a start tag; Token.Empty when it has no content
	EndElement                   // the end of an element that had content
	Text                         // an inline string (STR_I), entity or string table reference
	Opaque                       // opaque data (OPAQUE, WBXML 1.3 section 5.8.4.6)
)

// String returns the name of k.
func (k Kind) String() string {
	switch k {
	case StartElement:
		return "StartElement"
	case EndElement:
		return "EndElement"
	case Text:
		return "Text"
	case Opaque:
		return "Opaque"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Token is one low-level item of a document, as returned by
// Decoder.Token. A start tag with Empty set has no EndElement.
type Token struct {
	Kind  Kind
	Tag   Tag    // for StartElement and EndElement
	Empty bool   // StartElement without content (WBXML 1.3 section 5.8.2)
	Data  []byte // for Text and Opaque; valid until the next call
}

// frame is an element the decoder is inside of.
type frame struct {
	tag   Tag
	empty bool // its start tag had no content bit: nothing to read
	fresh bool // nothing of its content has been read yet
}

// Decoder reads an ActiveSync WBXML document from an io.Reader, element by
// element, through a buffer of fixed size. Errors are sticky: after one,
// every method returns it again. A Decoder is not safe for concurrent use.
type Decoder struct {
	// MaxDepth bounds the nesting of elements (default 64). Set it
	// before the first read.
	MaxDepth int
	// MaxString bounds the inline string or opaque content that Text,
	// Bytes and Token hold in memory (default 64 MiB). CopyText is not
	// bounded by it. Set it before the first read.
	MaxString int64

	r       *bufio.Reader
	off     int64
	page    uint8
	started bool // header read
	done    bool // root element closed
	stack   []frame
	strtbl  []byte
	buf     []byte
	err     error
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < readBufferSize {
		br = bufio.NewReaderSize(r, readBufferSize)
	}
	return &Decoder{r: br}
}

// Offset returns the number of bytes consumed so far.
func (d *Decoder) Offset() int64 { return d.off }

func (d *Decoder) maxDepth() int {
	if d.MaxDepth > 0 {
		return d.MaxDepth
	}
	return defaultMaxDepth
}

func (d *Decoder) maxString() int64 {
	if d.MaxString > 0 {
		return d.MaxString
	}
	return defaultMaxString
}

// syntax records and returns a SyntaxError at the current offset.
func (d *Decoder) syntax(format string, args ...any) error {
	d.err = &SyntaxError{Offset: d.off, Msg: fmt.Sprintf(format, args...)}
	return d.err
}

// fail records err as the sticky error and returns it.
func (d *Decoder) fail(err error) error {
	d.err = err
	return err
}

// readErr turns a read error into the decoder's error: the end of input
// inside a document is a truncation.
func (d *Decoder) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return d.syntax("unexpected end of document")
	}
	return d.fail(fmt.Errorf("wbxml: reading at offset %d: %w", d.off, err))
}

func (d *Decoder) readByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.readErr(err)
	}
	d.off++
	return b, nil
}

// mbUint32 reads a multi-byte unsigned integer (WBXML 1.3 section 5.1):
// big-endian groups of 7 bits, the high bit set on all but the last byte.
// Values that do not fit in 32 bits are an error.
func (d *Decoder) mbUint32() (uint32, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		b, err := d.readByte()
		if err != nil {
			return 0, err
		}
		if v > 0xFFFFFFFF>>7 {
			return 0, d.syntax("multi-byte integer overflows 32 bits")
		}
		v = v<<7 | uint32(b&0x7F)
		if b&0x80 == 0 {
			return v, nil
		}
	}
	return 0, d.syntax("multi-byte integer longer than 5 bytes")
}

// start reads the document header (WBXML 1.3 section 5.4): version,
// public identifier, charset and string table.
func (d *Decoder) start() error {
	if d.err != nil {
		return d.err
	}
	if d.started {
		return nil
	}
	d.started = true
	b, err := d.r.ReadByte()
	if err == io.EOF {
		return d.fail(fmt.Errorf("%w: empty body (%w)", ErrNotWBXML, io.EOF))
	}
	if err != nil {
		return d.readErr(err)
	}
	d.off++
	switch {
	case b == '<':
		return d.fail(fmt.Errorf("%w: the body is XML or HTML", ErrNotWBXML))
	case b != 0x03:
		return d.fail(fmt.Errorf("%w: version byte 0x%02X, want 0x03", ErrNotWBXML, b))
	}
	pub, err := d.mbUint32()
	if err != nil {
		return err
	}
	if pub == 0 { // public identifier given as a string table index
		if _, err := d.mbUint32(); err != nil {
			return err
		}
	}
	cs, err := d.mbUint32()
	if err != nil {
		return err
	}
	// 106 is the IANA MIBenum of UTF-8, which [MS-ASWBXML] 2.1.2 requires;
	// 0 ("unknown") is read as UTF-8 too.
	if cs != 106 && cs != 0 {
		return d.syntax("charset %d is not UTF-8", cs)
	}
	n, err := d.mbUint32()
	if err != nil {
		return err
	}
	if n > maxStringTable {
		return d.syntax("string table of %d bytes exceeds %d", n, maxStringTable)
	}
	for i := uint32(0); i < n; i++ {
		b, err := d.readByte()
		if err != nil {
			return err
		}
		d.strtbl = append(d.strtbl, b)
	}
	return nil
}

// rawKind classifies the items of the body (WBXML 1.3 section 5.8).
type rawKind uint8

const (
	rawStart  rawKind = iota // a tag; content tells whether it has content
	rawEnd                   // END
	rawString                // STR_I; the string follows, up to a NUL
	rawOpaque                // OPAQUE; n bytes follow
	rawEntity                // ENTITY; n is the character
	rawTable                 // STR_T; n is the string table offset
)

type rawItem struct {
	kind    rawKind
	tag     Tag
	content bool
	n       uint32
}

// raw reads the next item of the body, handling SWITCH_PAGE, and rejects
// the tokens ActiveSync does not use ([MS-ASWBXML] section 2.1.2): LITERAL
// tags, attributes, extensions and processing instructions.
func (d *Decoder) raw() (rawItem, error) {
	for {
		b, err := d.readByte()
		if err != nil {
			return rawItem{}, err
		}
		switch b {
		case 0x00: // SWITCH_PAGE
			p, err := d.readByte()
			if err != nil {
				return rawItem{}, err
			}
			if int(p) >= numPages {
				return rawItem{}, d.syntax("unknown code page %d", p)
			}
			d.page = p
			continue
		case 0x01:
			return rawItem{kind: rawEnd}, nil
		case 0x02, 0x03, 0x83, 0xC3: // ENTITY, STR_I, STR_T, OPAQUE
			return d.rawData(b)
		case 0x04, 0x44, 0x84, 0xC4:
			return rawItem{}, d.syntax("LITERAL tag 0x%02X is not used by ActiveSync", b)
		case 0x40, 0x41, 0x42, 0x80, 0x81, 0x82, 0xC0, 0xC1, 0xC2:
			return rawItem{}, d.syntax("extension token 0x%02X is not used by ActiveSync", b)
		case 0x43:
			return rawItem{}, d.syntax("processing instructions are not used by ActiveSync")
		}
		if b&0x80 != 0 {
			return rawItem{}, d.syntax("tag 0x%02X has attributes, which ActiveSync does not use", b)
		}
		t := Tag(uint16(d.page)<<8 | uint16(b&0x3F))
		if !t.valid() {
			return rawItem{}, d.syntax("invalid tag %s", t)
		}
		return rawItem{kind: rawStart, tag: t, content: b&0x40 != 0}, nil
	}
}

// rawData reads the operand of ENTITY, STR_I, STR_T or OPAQUE.
func (d *Decoder) rawData(b byte) (rawItem, error) {
	if b == 0x03 {
		return rawItem{kind: rawString}, nil
	}
	n, err := d.mbUint32()
	if err != nil {
		return rawItem{}, err
	}
	switch b {
	case 0x02:
		return rawItem{kind: rawEntity, n: n}, nil
	case 0x83:
		if int64(n) >= int64(len(d.strtbl)) {
			return rawItem{}, d.syntax("string table reference %d outside the table", n)
		}
		return rawItem{kind: rawTable, n: n}, nil
	}
	return rawItem{kind: rawOpaque, n: n}, nil
}

// data feeds the content of a text or opaque item to fn, in pieces that
// are only valid during the call. Opaque data is read incrementally, so a
// claimed length costs nothing until the bytes arrive.
func (d *Decoder) data(it rawItem, fn func([]byte) error) error {
	switch it.kind {
	case rawString:
		for {
			chunk, err := d.r.ReadSlice(0)
			d.off += int64(len(chunk))
			switch {
			case err == nil:
				return fn(chunk[:len(chunk)-1])
			case errors.Is(err, bufio.ErrBufferFull):
				if err := fn(chunk); err != nil {
					return err
				}
			default:
				return d.readErr(err)
			}
		}
	case rawOpaque:
		for n := int64(it.n); n > 0; {
			if d.r.Buffered() == 0 {
				if _, err := d.r.Peek(1); err != nil {
					return d.readErr(err)
				}
			}
			k := min(n, int64(d.r.Buffered()))
			chunk, _ := d.r.Peek(int(k))
			if err := fn(chunk); err != nil {
				return err
			}
			_, _ = d.r.Discard(int(k))
			d.off += k
			n -= k
		}
		return nil
	case rawEntity:
		r := rune(it.n)
		// XML 1.0 section 2.2: a character reference names a Char, which
		// excludes NUL and the surrogates.
		if it.n == 0 || it.n > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF) {
			return d.syntax("entity &#%d; is not a Unicode character", it.n)
		}
		var u [4]byte
		return fn(u[:utf8.EncodeRune(u[:], r)])
	case rawTable:
		s := d.strtbl[it.n:]
		for i, c := range s {
			if c == 0 {
				return fn(s[:i])
			}
		}
		return d.syntax("string table reference %d is not terminated", it.n)
	}
	return nil
}

// collect appends the content of a text or opaque item to dst, bounded by
// MaxString for the whole of dst.
func (d *Decoder) collect(dst []byte, it rawItem) ([]byte, error) {
	limit := d.maxString()
	if it.kind == rawOpaque && int64(len(dst))+int64(it.n) > limit {
		return dst, d.syntax("opaque data of %d bytes exceeds the limit of %d", it.n, limit)
	}
	err := d.data(it, func(p []byte) error {
		if int64(len(dst))+int64(len(p)) > limit {
			return d.syntax("string exceeds the limit of %d bytes", limit)
		}
		dst = append(dst, p...)
		return nil
	})
	return dst, err
}

// discard skips the content of a text or opaque item.
func (d *Decoder) discard(it rawItem) error {
	return d.data(it, func([]byte) error { return nil })
}

func (d *Decoder) push(t Tag, empty bool) error {
	if len(d.stack) >= d.maxDepth() {
		return d.syntax("elements nested deeper than %d", d.maxDepth())
	}
	d.stack = append(d.stack, frame{tag: t, empty: empty, fresh: true})
	return nil
}

func (d *Decoder) pop() {
	d.stack = d.stack[:len(d.stack)-1]
	if len(d.stack) == 0 {
		d.done = true
	}
}
