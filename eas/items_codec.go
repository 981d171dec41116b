package eas

import (
	"errors"
	"fmt"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// FieldError reports an element whose value is malformed: a bad date,
// number, boolean, base64 or TimeZone blob. The element was read to its
// end, so the decoder is still in step with the document.
type FieldError struct {
	// Tag is the element, such as Contacts:Birthday.
	Tag wbxml.Tag
	// Err says what is wrong with the value.
	Err error
}

// Error names the element and the problem.
func (e *FieldError) Error() string { return fmt.Sprintf("eas: %v: %v", e.Tag, e.Err) }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// DecodeItem reads one item of the given class from d, which has just
// returned the ApplicationData start tag from Child (the same children
// appear in ItemOperations and Search Properties). It reads the element's
// children up to and including its end. Unknown elements are skipped, since
// servers add their own. It uses the default DecodeOptions: bodies larger
// than DefaultSpoolThreshold go to a temporary file, so the caller must
// call ReleaseItem on the item when done with it.
//
// A malformed value gives a *FieldError naming the element. DecodeItem
// then still reads the rest of the item and returns it along with the
// error (the bad field left zero), so that the caller can report or keep
// it, and must release it; the decoder is in step for the next element.
// Any other error means the document itself is broken, and the item is nil.
func DecodeItem(d *wbxml.Decoder, class Class, v Version) (Item, error) {
	return DecodeItemWith(d, class, v, DecodeOptions{})
}

// DecodeItemWith is DecodeItem with options. The SMS class decodes as an
// Email; any other class not listed in Class is an error (the element is
// skipped first).
func DecodeItemWith(d *wbxml.Decoder, class Class, v Version, opts DecodeOptions) (Item, error) {
	const parent = wbxml.AirSyncApplicationData
	var (
		it  Item
		err error
	)
	switch class {
	case ClassEmail, ClassSMS:
		m := &Email{}
		it, err = m, decodeEmail(d, parent, m, &opts)
	case ClassCalendar:
		ev := &Event{}
		it, err = ev, decodeEvent(d, parent, ev, &opts)
	case ClassContacts:
		c := &Contact{}
		it, err = c, decodeContact(d, parent, c, &opts)
	case ClassTasks:
		t := &Task{}
		it, err = t, decodeTask(d, parent, t, &opts)
	case ClassNotes:
		n := &Note{}
		it, err = n, decodeNote(d, parent, n, &opts)
	default:
		if err := d.Skip(); err != nil {
			return nil, fmt.Errorf("eas: skipping item of class %q: %w", class, err)
		}
		return nil, fmt.Errorf("eas: cannot decode items of class %q", class)
	}
	if err == nil {
		return it, nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return it, err
	}
	ReleaseItem(it)
	return nil, err
}

// EncodeItem writes the children of ApplicationData for it, as version v
// lets a client send them; the caller writes the ApplicationData start and
// end. An element is written when its value is non-zero or when the item's
// Fields marks it present (see Fields); elements the version does not know
// or that only servers send are left out. Encoder errors surface at the
// encoder's Close; EncodeItem returns those it meets itself (a body's spool
// file that cannot be read, an unknown item type).
func EncodeItem(e *wbxml.Encoder, it Item, v Version) error {
	return encodeItem(e, it, encoding{v: v})
}

// EncodeItemAsServer writes the children of ApplicationData for it as a
// server answering a version-v client would: every element the version
// knows, including those only servers send (DateReceived, AttendeeStatus,
// Body EstimatedDataSize ...). It is for eas/eastest and tests.
func EncodeItemAsServer(e *wbxml.Encoder, it Item, v Version) error {
	return encodeItem(e, it, encoding{v: v, server: true})
}

func encodeItem(e *wbxml.Encoder, it Item, en encoding) error {
	switch x := it.(type) {
	case *Email:
		if x != nil {
			return encodeEmail(e, x, en)
		}
	case *Event:
		if x != nil {
			return encodeEvent(e, x, en)
		}
	case *Contact:
		if x != nil {
			return encodeContact(e, x, en)
		}
	case *Task:
		if x != nil {
			return encodeTask(e, x, en)
		}
	case *Note:
		if x != nil {
			return encodeNote(e, x, en)
		}
	default:
		if it != nil {
			return fmt.Errorf("eas: cannot encode item type %T", it)
		}
	}
	return errors.New("eas: cannot encode a nil item")
}

// ReleaseItem removes the temporary files of an item's bodies. The client
// releases the items it decoded once the caller's handler returns; it is
// safe to call more than once and on nil.
func ReleaseItem(it Item) error {
	if r, ok := it.(interface{ Release() error }); ok && it != nil {
		return r.Release()
	}
	return nil
}
