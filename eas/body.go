package eas

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"unicode/utf8"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// BodyType is the format of a body (MS-ASAIRS 2.2.2.41.1 Type).
type BodyType int

// The body types of MS-ASAIRS.
const (
	BodyPlain BodyType = 1
	BodyHTML  BodyType = 2
	BodyRTF   BodyType = 3
	BodyMIME  BodyType = 4
)

// DefaultSpoolThreshold is the body size above which DecodeItem writes
// the body's data to a temporary file instead of memory, when
// DecodeOptions.SpoolThreshold is zero.
const DefaultSpoolThreshold = 1 << 20

// Body is the AirSyncBase Body element (MS-ASAIRS 2.2.2.9): the text of an
// item in one format, possibly truncated by the server.
//
// Its data lives in memory when small and in a temporary file when larger
// than the decoder's spool threshold, so that a 30 MB MIME message is never
// held in memory, let alone twice. Read it with Open (any size), Bytes
// (small bodies) or WriteTo. A decoded Body owns its spool file until
// Release: the client's Sync callback releases the items it hands out once
// the handler returns, so a handler that wants to keep the data copies it
// out (or renames it) before returning. A garbage-collected Body removes
// its file as a last resort, but callers must not rely on that.
//
// To send a body, build it with NewBody or NewBodyReader.
type Body struct {
	// Type is the format of Data.
	Type BodyType
	// EstimatedDataSize is the server's estimate of the full size in
	// bytes (MS-ASAIRS 2.2.2.23.2); it may differ from Size.
	EstimatedDataSize int64
	// Truncated is true when the server cut the data (MS-ASAIRS 2.2.2.39.1).
	Truncated bool
	// Preview is the plain-text preview, up to 255 characters
	// (MS-ASAIRS 2.2.2.35.2, 14.0 and later).
	Preview string
	// Status is the status of a BodyPart (MS-ASAIRS 2.2.2.37.1); unused in
	// a Body.
	Status int
	// Part is set in a multipart ItemOperations response, where the data
	// travels in the numbered part of the HTTP body instead of in Data
	// (MS-ASCMD ItemOperations, multipart responses).
	Part int
	// Fields records which child elements were present.
	Fields Fields

	data    []byte
	spool   *spoolFile
	size    int64
	reader  io.Reader // NewBodyReader: streamed once by EncodeItem
	hasData bool
}

// spoolFile is a temporary file owned by one Body.
type spoolFile struct {
	mu      sync.Mutex
	path    string
	removed bool
}

func (s *spoolFile) remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return nil
	}
	s.removed = true
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("eas: removing body spool file: %w", err)
	}
	return nil
}

// NewBody returns a body of type t holding data, for sending.
func NewBody(t BodyType, data []byte) *Body {
	return &Body{Type: t, data: data, size: int64(len(data)), hasData: true}
}

// NewBodyReader returns a body of type t whose n bytes of data EncodeItem
// streams from r, for sending large bodies without holding them. r is read
// once.
func NewBodyReader(t BodyType, r io.Reader, n int64) *Body {
	return &Body{Type: t, reader: r, size: n, hasData: true}
}

// HasData reports whether the body carries a Data element (a response to a
// request for an estimate only does not).
func (b *Body) HasData() bool { return b != nil && b.hasData }

// Size returns the number of bytes of data the body holds (not the
// server's estimate).
func (b *Body) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// Spooled reports whether the data lives in a temporary file.
func (b *Body) Spooled() bool { return b != nil && b.spool != nil }

// Open returns a reader of the data. The caller closes it. A body built
// with NewBodyReader can be opened once.
func (b *Body) Open() (io.ReadCloser, error) {
	switch {
	case b == nil || !b.hasData:
		return io.NopCloser(bytes.NewReader(nil)), nil
	case b.spool != nil:
		f, err := os.Open(b.spool.path)
		if err != nil {
			return nil, fmt.Errorf("eas: opening body spool file: %w", err)
		}
		return f, nil
	case b.reader != nil:
		r := b.reader
		b.reader = nil
		b.hasData = false
		return io.NopCloser(r), nil
	}
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// Bytes returns the data. For a spooled body it reads the whole file: use
// Open for large bodies.
func (b *Body) Bytes() ([]byte, error) {
	if b == nil || !b.hasData {
		return nil, nil
	}
	if b.spool == nil && b.reader == nil {
		return b.data, nil
	}
	r, err := b.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("eas: reading body: %w", err)
	}
	return data, nil
}

// String returns the data as a string, or "" if it cannot be read.
func (b *Body) String() string {
	data, _ := b.Bytes()
	return string(data)
}

// Release removes the spool file, if any. The body's data is gone after
// it; the other fields stay. Release is idempotent and safe on nil.
func (b *Body) Release() error {
	if b == nil || b.spool == nil {
		return nil
	}
	err := b.spool.remove()
	b.spool = nil
	b.hasData = false
	b.size = 0
	return err
}

// DecodeOptions tunes DecodeItemWith.
type DecodeOptions struct {
	// SpoolThreshold is the body size in bytes above which data goes to
	// a temporary file; 0 means DefaultSpoolThreshold, negative means
	// never spool.
	SpoolThreshold int64
	// SpoolDir is the directory for spool files; "" means os.TempDir().
	SpoolDir string
}

func (o *DecodeOptions) threshold() int64 {
	switch {
	case o == nil || o.SpoolThreshold == 0:
		return DefaultSpoolThreshold
	case o.SpoolThreshold < 0:
		return -1
	}
	return o.SpoolThreshold
}

// spoolWriter keeps up to limit bytes in memory and moves everything to a
// temporary file once more arrives.
type spoolWriter struct {
	limit int64 // < 0: never spool
	dir   string
	buf   []byte
	f     *os.File
	n     int64
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	if w.f == nil && (w.limit < 0 || int64(len(w.buf))+int64(len(p)) <= w.limit) {
		if need := len(w.buf) + len(p); need > cap(w.buf) {
			// Grow by doubling up to the limit: append's 1.25 factor for
			// large slices would allocate five times the threshold.
			c := max(2*cap(w.buf), need)
			if w.limit >= 0 && int64(c) > w.limit {
				c = int(w.limit)
			}
			nb := make([]byte, len(w.buf), c)
			copy(nb, w.buf)
			w.buf = nb
		}
		w.buf = append(w.buf, p...)
		w.n += int64(len(p))
		return len(p), nil
	}
	if w.f == nil {
		f, err := os.CreateTemp(w.dir, "easbody-*")
		if err != nil {
			return 0, fmt.Errorf("eas: creating body spool file: %w", err)
		}
		w.f = f
		if _, err := f.Write(w.buf); err != nil {
			return 0, fmt.Errorf("eas: writing body spool file: %w", err)
		}
		w.buf = nil
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("eas: writing body spool file: %w", err)
	}
	return n, nil
}

// finish closes the file; on failure it removes it.
func (w *spoolWriter) finish(failed bool) (*spoolFile, error) {
	if w.f == nil {
		return nil, nil
	}
	path := w.f.Name()
	err := w.f.Close()
	if failed || err != nil {
		os.Remove(path)
		if err != nil {
			return nil, fmt.Errorf("eas: closing body spool file: %w", err)
		}
		return nil, nil
	}
	return &spoolFile{path: path}, nil
}

// readData reads the Data element d has just opened into b.
func (b *Body) readData(d *wbxml.Decoder, opts *DecodeOptions) error {
	w := &spoolWriter{limit: opts.threshold()}
	if opts != nil {
		w.dir = opts.SpoolDir
	}
	_, err := d.CopyText(w)
	sp, ferr := w.finish(err != nil)
	if err != nil {
		return fmt.Errorf("eas: reading %v: %w", wbxml.AirSyncBaseData, err)
	}
	if ferr != nil {
		return ferr
	}
	b.data, b.spool, b.size, b.hasData = w.buf, sp, w.n, true
	if sp != nil {
		runtime.AddCleanup(b, func(s *spoolFile) { s.remove() }, sp)
	}
	return nil
}

// decodeBody reads the children of a Body (or BodyPart) element.
func decodeBody(d *wbxml.Decoder, parent wbxml.Tag, opts *DecodeOptions) (*Body, error) {
	b := &Body{}
	for {
		tag, ok, err := d.Child()
		if err != nil {
			b.Release()
			return nil, fmt.Errorf("eas: reading %v: %w", parent, err)
		}
		if !ok {
			return b, nil
		}
		if tag == wbxml.AirSyncBaseData {
			if b.hasData { // a second Data: keep the first, drop the old file
				b.Release()
			}
			err = b.readData(d, opts)
			b.Fields.Set(tag)
		} else {
			var known bool
			if known, err = bodyFields.decode(d, tag, b, &b.Fields); err == nil && !known {
				err = d.Skip()
			}
		}
		if err != nil {
			b.Release()
			return nil, err
		}
	}
}

var bodyFields = newFieldTable(
	intField(wbxml.AirSyncBaseType, func(b *Body) *BodyType { return &b.Type }),
	intField(wbxml.AirSyncBaseEstimatedDataSize, func(b *Body) *int64 { return &b.EstimatedDataSize }).ro(),
	boolField(wbxml.AirSyncBaseTruncated, func(b *Body) *bool { return &b.Truncated }).ro(),
	strField(wbxml.AirSyncBasePreview, func(b *Body) *string { return &b.Preview }).ro().sinceV(V140),
	intField(wbxml.AirSyncBaseStatus, func(b *Body) *int { return &b.Status }).ro().sinceV(V141),
	intField(wbxml.ItemOperationsPart, func(b *Body) *int { return &b.Part }).ro(),
)

// encodeBody writes a Body element (MS-ASAIRS 2.2.2.9) with its Type and
// Data, the children a client sends (a server adds the others). Text that is valid UTF-8 without NUL
// goes as an inline string, anything else and streamed data as opaque.
func encodeBody(e *wbxml.Encoder, tag wbxml.Tag, b *Body, en encoding) error {
	e.Start(tag)
	bodyFields.encode(e, b, &b.Fields, en)
	switch {
	case b.reader != nil:
		e.Start(wbxml.AirSyncBaseData)
		e.OpaqueFrom(b.reader, b.size)
		e.End()
		b.reader = nil
	case b.spool != nil:
		r, err := b.Open()
		if err != nil {
			return err
		}
		e.Start(wbxml.AirSyncBaseData)
		e.OpaqueFrom(r, b.size)
		e.End()
		r.Close()
	case b.hasData:
		if utf8.Valid(b.data) && bytes.IndexByte(b.data, 0) < 0 {
			e.Element(wbxml.AirSyncBaseData, string(b.data))
		} else {
			e.Start(wbxml.AirSyncBaseData)
			e.Opaque(b.data)
			e.End()
		}
	}
	e.End()
	return nil
}
