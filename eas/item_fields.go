package eas

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// pageCount is the number of code pages of MS-ASWBXML (0 AirSync .. 25 Find).
const pageCount = 26

// Fields records which elements of an item were present, and which of those
// were empty, so that "absent" and "empty" stay apart where EAS tells them
// apart (MS-ASCMD 2.2.3.179 Supported, ghosted properties; MS-ASCAL 2.2.2.38
// Reminder as an empty tag; an Exception that omits an element inherits it
// from the series, MS-ASCAL 2.2.2.21).
//
// This is the single presence design of the item types: every field is a
// plain value (a string, number, time.Time, slice or pointer to a container),
// and Fields says whether the element that carries it was on the wire. The
// elements are named by their wbxml tag, e.g. wbxml.ContactsBirthday.
//
// DecodeItem fills Fields with every element it read. EncodeItem writes an
// element when its value is non-zero or when Fields marks it present: so an
// item built from scratch sends what it holds, a decoded item sends exactly
// what it carried (including explicit zeros such as BusyStatus 0), and a
// caller can send an empty element (to clear a value, or Reminder "none")
// with SetEmpty: a field whose value is zero and that is marked empty is
// written as an empty element (a non-zero value always wins). Elements that a protocol version does not know, and
// elements only a server sends, are never written.
//
// The zero Fields is empty and ready to use; Fields is a comparable value.
type Fields struct {
	present [pageCount]uint64
	empty   [pageCount]uint64
}

func fieldBit(t wbxml.Tag) (page int, bit uint64, ok bool) {
	p, tok := int(t.Page()), t.Token()
	if p >= pageCount || tok >= 64 {
		return 0, 0, false
	}
	return p, 1 << tok, true
}

// Has reports whether the element t was present.
func (f *Fields) Has(t wbxml.Tag) bool {
	p, b, ok := fieldBit(t)
	return ok && f.present[p]&b != 0
}

// IsEmpty reports whether the element t was present as an empty element.
func (f *Fields) IsEmpty(t wbxml.Tag) bool {
	p, b, ok := fieldBit(t)
	return ok && f.empty[p]&b != 0
}

// Set marks the elements as present (with a value).
func (f *Fields) Set(tags ...wbxml.Tag) {
	for _, t := range tags {
		if p, b, ok := fieldBit(t); ok {
			f.present[p] |= b
			f.empty[p] &^= b
		}
	}
}

// SetEmpty marks the elements as present and empty: EncodeItem writes them
// as empty elements whatever the field holds.
func (f *Fields) SetEmpty(tags ...wbxml.Tag) {
	for _, t := range tags {
		if p, b, ok := fieldBit(t); ok {
			f.present[p] |= b
			f.empty[p] |= b
		}
	}
}

// Clear marks the elements as absent.
func (f *Fields) Clear(tags ...wbxml.Tag) {
	for _, t := range tags {
		if p, b, ok := fieldBit(t); ok {
			f.present[p] &^= b
			f.empty[p] &^= b
		}
	}
}

// Tags lists the present elements in code page and token order.
func (f *Fields) Tags() []wbxml.Tag {
	var out []wbxml.Tag
	for p := range pageCount {
		for tok := range 64 {
			if f.present[p]&(1<<tok) != 0 {
				out = append(out, wbxml.Tag(p<<8|tok))
			}
		}
	}
	return out
}

// IsZero reports whether no element is marked.
func (f *Fields) IsZero() bool { return *f == Fields{} }

// field describes one simple (text-valued) element of an item type T: how
// to parse it into T and format it back, and who may send it in which
// versions.
type field[T any] struct {
	tag          wbxml.Tag
	since        Version // lowest version that knows the element; 0: all
	clientSince  Version // a client sends it from this version on; 0: all
	clientBefore Version // a client stops sending it at this version; 0: never
	readOnly     bool    // only servers send it
	parse        func(*T, string) error
	format       func(*T) (s string, nonZero bool)
	zero         func(*T)
}

// sinceV returns f restricted to versions >= v, for clients and servers.
func (f field[T]) sinceV(v Version) field[T] { f.since = v; return f }

// clientSinceV returns f that a client sends only from version v on
// (servers send it in every version).
func (f field[T]) clientSinceV(v Version) field[T] { f.clientSince = v; return f }

// clientBeforeV returns f that a client sends only before version v.
func (f field[T]) clientBeforeV(v Version) field[T] { f.clientBefore = v; return f }

// ro returns f marked as sent by servers only.
func (f field[T]) ro() field[T] { f.readOnly = true; return f }

func (f *field[T]) sendable(en encoding) bool {
	if f.since != 0 && en.v < f.since {
		return false
	}
	if en.server {
		return true
	}
	return !f.readOnly && (f.clientSince == 0 || en.v >= f.clientSince) &&
		(f.clientBefore == 0 || en.v < f.clientBefore)
}

func strField[T any](tag wbxml.Tag, p func(*T) *string) field[T] {
	return field[T]{
		tag:    tag,
		zero:   func(x *T) { *p(x) = "" },
		parse:  func(x *T, s string) error { *p(x) = s; return nil },
		format: func(x *T) (string, bool) { s := *p(x); return s, s != "" },
	}
}

type integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32
}

func intField[T any, N integer](tag wbxml.Tag, p func(*T) *N) field[T] {
	return field[T]{
		tag:  tag,
		zero: func(x *T) { *p(x) = 0 },
		parse: func(x *T, s string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || int64(N(n)) != n {
				return fmt.Errorf("malformed integer %q", s)
			}
			*p(x) = N(n)
			return nil
		},
		format: func(x *T) (string, bool) {
			n := *p(x)
			return strconv.FormatInt(int64(n), 10), n != 0
		},
	}
}

// parseBool reads an EAS boolean (MS-ASDTYPE 2.1): "0" or "1"; "true" and
// "false" are accepted too.
func parseBool(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "1", "true", "True", "TRUE":
		return true, nil
	case "0", "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("malformed boolean %q", s)
}

func formatBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func boolField[T any](tag wbxml.Tag, p func(*T) *bool) field[T] {
	return field[T]{
		tag:  tag,
		zero: func(x *T) { *p(x) = false },
		parse: func(x *T, s string) error {
			b, err := parseBool(s)
			*p(x) = b
			return err
		},
		format: func(x *T) (string, bool) { b := *p(x); return formatBool(b), b },
	}
}

func dateField[T any](tag wbxml.Tag, layout dateLayout, p func(*T) *time.Time) field[T] {
	return field[T]{
		tag:  tag,
		zero: func(x *T) { *p(x) = time.Time{} },
		parse: func(x *T, s string) error {
			t, err := ParseDate(s)
			*p(x) = t
			return err
		},
		format: func(x *T) (string, bool) {
			t := *p(x)
			return formatDate(t, layout), !t.IsZero()
		},
	}
}

func base64Field[T any](tag wbxml.Tag, p func(*T) *[]byte) field[T] {
	return field[T]{
		tag:  tag,
		zero: func(x *T) { *p(x) = nil },
		parse: func(x *T, s string) error {
			b, err := decodeBase64(s)
			*p(x) = b
			return err
		},
		format: func(x *T) (string, bool) {
			b := *p(x)
			return base64.StdEncoding.EncodeToString(b), len(b) != 0
		},
	}
}

// decodeBase64 accepts standard base64 with or without padding, ignoring
// white space (some servers wrap long values).
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return nil, fmt.Errorf("malformed base64: %w", err)
	}
	return b, nil
}

// fieldTable is the set of simple elements of one item type, in the order
// EncodeItem writes them.
type fieldTable[T any] struct {
	list  []field[T]
	byTag map[wbxml.Tag]int
}

func newFieldTable[T any](fs ...field[T]) *fieldTable[T] {
	t := &fieldTable[T]{list: fs, byTag: make(map[wbxml.Tag]int, len(fs))}
	for i, f := range fs {
		t.byTag[f.tag] = i
	}
	return t
}

// decode reads the element tag that d has just opened if the table knows
// it, recording it in fs. It reports whether the table knew the element.
func (t *fieldTable[T]) decode(d *wbxml.Decoder, tag wbxml.Tag, x *T, fs *Fields) (bool, error) {
	i, ok := t.byTag[tag]
	if !ok {
		return false, nil
	}
	s, err := d.Text()
	if err != nil {
		return true, fmt.Errorf("eas: reading %v: %w", tag, err)
	}
	if s == "" {
		// An empty element: the zero value, remembered as empty.
		t.list[i].zero(x)
		fs.SetEmpty(tag)
		return true, nil
	}
	if err := t.list[i].parse(x, s); err != nil {
		t.list[i].zero(x)
		return true, &FieldError{Tag: tag, Err: err}
	}
	fs.Set(tag)
	return true, nil
}

// encode writes every element of x that is non-zero or marked in fs and
// that version v lets the client send.
func (t *fieldTable[T]) encode(e *wbxml.Encoder, x *T, fs *Fields, en encoding) {
	for i := range t.list {
		f := &t.list[i]
		if !f.sendable(en) {
			continue
		}
		encodeOne(e, f, x, fs)
	}
}

// encodeTag writes the single element tag of x, if the table has it and
// the version allows it.
func (t *fieldTable[T]) encodeTag(e *wbxml.Encoder, tag wbxml.Tag, x *T, fs *Fields, en encoding) {
	if i, ok := t.byTag[tag]; ok && t.list[i].sendable(en) {
		encodeOne(e, &t.list[i], x, fs)
	}
}

func encodeOne[T any](e *wbxml.Encoder, f *field[T], x *T, fs *Fields) {
	s, nonZero := f.format(x)
	switch {
	case nonZero:
		e.Element(f.tag, s)
	case fs.IsEmpty(f.tag):
		e.Empty(f.tag)
	case fs.Has(f.tag):
		e.Element(f.tag, s)
	}
}

// readStrings reads a container of repeated text elements of tag item,
// such as Categories/Category or Children/Child; other children are
// skipped.
func readStrings(d *wbxml.Decoder, container, item wbxml.Tag) ([]string, error) {
	out := []string{}
	for {
		tag, ok, err := d.Child()
		if err != nil {
			return nil, fmt.Errorf("eas: reading %v: %w", container, err)
		}
		if !ok {
			return out, nil
		}
		if tag != item {
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("eas: reading %v: %w", container, err)
			}
			continue
		}
		s, err := d.Text()
		if err != nil {
			return nil, fmt.Errorf("eas: reading %v: %w", item, err)
		}
		out = append(out, s)
	}
}

// writeStrings writes a container of repeated text elements when the list
// is non-empty or the container is marked present in fs (an empty
// container clears the list on the server).
func writeStrings(e *wbxml.Encoder, container, item wbxml.Tag, list []string, fs *Fields) {
	if len(list) == 0 && !fs.Has(container) {
		return
	}
	e.Start(container)
	for _, s := range list {
		e.Element(item, s)
	}
	e.End()
}

func floatField[T any](tag wbxml.Tag, p func(*T) *float64) field[T] {
	return field[T]{
		tag:  tag,
		zero: func(x *T) { *p(x) = 0 },
		parse: func(x *T, s string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return fmt.Errorf("malformed number %q", s)
			}
			*p(x) = f
			return nil
		},
		format: func(x *T) (string, bool) {
			f := *p(x)
			return strconv.FormatFloat(f, 'g', -1, 64), f != 0
		},
	}
}

// decodeChildren calls fn for each child element of the element d has
// just opened, up to and including its end. fn reports whether it read the
// child; unknown children are skipped, since servers add elements. A
// *FieldError from fn does not stop the loop (the element was read whole):
// the first one is returned once the parent has ended.
func decodeChildren(d *wbxml.Decoder, parent wbxml.Tag, fn func(tag wbxml.Tag) (bool, error)) error {
	var first error
	for {
		tag, ok, err := d.Child()
		if err != nil {
			return fmt.Errorf("eas: reading %v: %w", parent, err)
		}
		if !ok {
			return first
		}
		known, err := fn(tag)
		if err == nil && !known {
			if err = d.Skip(); err != nil {
				return fmt.Errorf("eas: skipping %v: %w", tag, err)
			}
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				return err
			}
			if first == nil {
				first = err
			}
		}
	}
}

// bytesField is an element whose content is kept as raw bytes (opaque
// data, or text the client does not interpret).
func bytesField[T any](tag wbxml.Tag, p func(*T) *[]byte) field[T] {
	return field[T]{
		tag:    tag,
		zero:   func(x *T) { *p(x) = nil },
		parse:  func(x *T, s string) error { *p(x) = []byte(s); return nil },
		format: func(x *T) (string, bool) { b := *p(x); return string(b), len(b) != 0 },
	}
}

// textField reads the text of the element d has just opened, with an
// error that names it.
func textField(d *wbxml.Decoder, tag wbxml.Tag) (string, error) {
	s, err := d.Text()
	if err != nil {
		return "", fmt.Errorf("eas: reading %v: %w", tag, err)
	}
	return s, nil
}

// encoding is how an item is being written: for which protocol version,
// and whether as a client (what MS-AS* lets a client send) or as a server
// (every element the version knows; used by eas/eastest).
type encoding struct {
	v      Version
	server bool
}
