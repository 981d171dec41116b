package wbxml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errNoElement is returned when a method needs an element and there is
// none (before Root, or after the root element ended).
var errNoElement = errors.New("wbxml: no current element")

// ready checks the sticky error and that Root has been called.
func (d *Decoder) ready() error {
	if d.err != nil {
		return d.err
	}
	if !d.started {
		return errors.New("wbxml: Root must be called first")
	}
	return nil
}

// Root reads the header and the root start tag, and returns the root's
// tag. A body that is not WBXML 1.3 (an HTML page sent with status 200,
// say) gives an error matching ErrNotWBXML; an empty body one matching
// both ErrNotWBXML and io.EOF, since some servers answer "no changes"
// that way. Bytes after the root element are not read.
func (d *Decoder) Root() (Tag, error) {
	if d.started {
		if d.err != nil {
			return 0, d.err
		}
		return 0, errors.New("wbxml: Root called twice")
	}
	if err := d.start(); err != nil {
		return 0, err
	}
	it, err := d.raw()
	if err != nil {
		return 0, err
	}
	if it.kind != rawStart {
		return 0, d.syntax("document does not start with an element")
	}
	if err := d.push(it.tag, !it.content); err != nil {
		return 0, err
	}
	return it.tag, nil
}

// Child reads the next child start tag of the current element, which is
// the element last returned by Root or Child that has not ended. At the
// end of the current element it consumes the end and returns
// (0, false, nil); the parent becomes current again. Text directly inside
// the current element is skipped.
func (d *Decoder) Child() (Tag, bool, error) {
	if err := d.ready(); err != nil {
		return 0, false, err
	}
	if len(d.stack) == 0 {
		return 0, false, nil
	}
	top := &d.stack[len(d.stack)-1]
	if top.empty {
		d.pop()
		return 0, false, nil
	}
	top.fresh = false
	for {
		it, err := d.raw()
		if err != nil {
			return 0, false, err
		}
		switch it.kind {
		case rawStart:
			if err := d.push(it.tag, !it.content); err != nil {
				return 0, false, err
			}
			return it.tag, true, nil
		case rawEnd:
			d.pop()
			return 0, false, nil
		default:
			if err := d.discard(it); err != nil {
				return 0, false, err
			}
		}
	}
}

// Each calls fn for every child start tag of the current element, in
// document order, and returns nil once the element has ended (its end
// consumed, the parent current again). It is the loop every decoding
// function would otherwise write around Child.
//
// fn must consume the child it is given before it returns nil: with Text,
// Bytes, CopyText, Skip, or a nested Each. A child it does not know it
// should Skip, so unknown elements are passed over. Each stops at the
// first error, from the decoder or from fn, and returns it unchanged;
// decoder errors stay sticky as usual. A child left unconsumed (or more
// than the child consumed) is a programming error that Each reports, and
// records as the decoder's sticky error, rather than walk on at the wrong
// level.
func (d *Decoder) Each(fn func(t Tag) error) error {
	depth := len(d.stack)
	for {
		t, ok, err := d.Child()
		if err != nil || !ok {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		if len(d.stack) != depth {
			return d.fail(fmt.Errorf("wbxml: Each: %v was not consumed exactly", t))
		}
	}
}

// content feeds the text and opaque content of the element just returned
// by Root or Child to fn and consumes its end tag.
func (d *Decoder) content(fn func(it rawItem) error) error {
	if err := d.ready(); err != nil {
		return err
	}
	if len(d.stack) == 0 {
		return errNoElement
	}
	top := d.stack[len(d.stack)-1]
	if !top.fresh {
		return fmt.Errorf("wbxml: text of %s requested after its children were read", top.tag)
	}
	if top.empty {
		d.pop()
		return nil
	}
	for {
		it, err := d.raw()
		if err != nil {
			return err
		}
		switch it.kind {
		case rawEnd:
			d.pop()
			return nil
		case rawStart:
			return d.syntax("element %s has a child element %s where text was expected", top.tag, it.tag)
		default:
			if err := fn(it); err != nil {
				return err
			}
		}
	}
}

// Bytes returns the content of the element just returned by Root or
// Child: its inline strings and opaque data concatenated, empty for an
// empty element. It consumes the element's end. An element with child
// elements is an error, and so is content beyond MaxString.
func (d *Decoder) Bytes() ([]byte, error) {
	b, err := d.scratch()
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// Text is Bytes as a string.
func (d *Decoder) Text() (string, error) {
	b, err := d.scratch()
	return string(b), err
}

// scratch collects the content of the current element in the decoder's
// buffer, valid until the next call; one allocation per element is then
// left to Text and Bytes.
func (d *Decoder) scratch() ([]byte, error) {
	b := d.buf[:0]
	err := d.content(func(it rawItem) error {
		var err error
		b, err = d.collect(b, it)
		return err
	})
	d.keep(b)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// keep retains b as the decoder's buffer unless it is large, so that one
// huge element does not pin its memory for the life of the decoder.
func (d *Decoder) keep(b []byte) {
	if cap(b) > 1<<20 {
		b = nil
	}
	d.buf = b
}

// CopyText writes the content of the element just returned by Root or
// Child to w as it arrives, without holding it, and consumes the
// element's end. It is not bounded by MaxString: use it for bodies and
// attachments ([MS-ASCMD] ItemOperations Fetch, AirSyncBase Data).
func (d *Decoder) CopyText(w io.Writer) (int64, error) {
	var n int64
	err := d.content(func(it rawItem) error {
		return d.data(it, func(p []byte) error {
			k, err := w.Write(p)
			n += int64(k)
			if err != nil {
				return d.fail(fmt.Errorf("wbxml: copying text: %w", err))
			}
			return nil
		})
	})
	return n, err
}

// Skip skips the rest of the current element (normally the one just
// returned by Root or Child), children included, and consumes its end.
func (d *Decoder) Skip() error {
	if err := d.ready(); err != nil {
		return err
	}
	if len(d.stack) == 0 {
		return errNoElement
	}
	if d.stack[len(d.stack)-1].empty {
		d.pop()
		return nil
	}
	depth := 0
	for {
		it, err := d.raw()
		if err != nil {
			return err
		}
		switch it.kind {
		case rawStart:
			if it.content {
				depth++
				if len(d.stack)+depth > d.maxDepth() {
					return d.syntax("elements nested deeper than %d", d.maxDepth())
				}
			}
		case rawEnd:
			if depth == 0 {
				d.pop()
				return nil
			}
			depth--
		default:
			if err := d.discard(it); err != nil {
				return err
			}
		}
	}
}

// Token returns the next low-level item of the document, reading the
// header first if needed, and io.EOF after the root element has ended.
// Text and Opaque data are bounded by MaxString and valid until the next
// call. Mixing Token with Child is allowed but rarely useful.
func (d *Decoder) Token() (Token, error) {
	if err := d.start(); err != nil {
		return Token{}, err
	}
	if n := len(d.stack); n > 0 && d.stack[n-1].empty {
		d.pop()
	}
	if d.done {
		return Token{}, io.EOF
	}
	it, err := d.raw()
	if err != nil {
		return Token{}, err
	}
	switch it.kind {
	case rawStart:
		if it.content {
			if err := d.push(it.tag, false); err != nil {
				return Token{}, err
			}
		} else if len(d.stack) == 0 {
			d.done = true // an empty root element is the whole body
		}
		return Token{Kind: StartElement, Tag: it.tag, Empty: !it.content}, nil
	case rawEnd:
		if len(d.stack) == 0 {
			return Token{}, d.syntax("end tag without a start tag")
		}
		t := d.stack[len(d.stack)-1].tag
		d.pop()
		return Token{Kind: EndElement, Tag: t}, nil
	}
	if len(d.stack) == 0 {
		return Token{}, d.syntax("content outside the root element")
	}
	d.stack[len(d.stack)-1].fresh = false
	b, err := d.collect(d.buf[:0], it)
	if err != nil {
		return Token{}, err
	}
	d.keep(b)
	k := Text
	if it.kind == rawOpaque {
		k = Opaque
	}
	return Token{Kind: k, Data: b}, nil
}
