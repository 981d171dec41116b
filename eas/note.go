package eas

import (
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Note is a Notes class item (MS-ASNOTE, 14.0 and later).
type Note struct {
	Subject string
	Body    *Body
	// MessageClass is "IPM.StickyNote" or a custom class.
	MessageClass string
	// LastModifiedDate is set by the server (Compact DateTime,
	// MS-ASNOTE 2.2.2.4).
	LastModifiedDate time.Time
	Categories       []string
	// Fields records which elements were present.
	Fields Fields
}

// Class returns ClassNotes.
func (*Note) Class() Class { return ClassNotes }

// Release removes the spool file of the note's body.
func (n *Note) Release() error {
	if n == nil {
		return nil
	}
	return n.Body.Release()
}

var noteFields = newFieldTable(
	strField(wbxml.NotesSubject, func(n *Note) *string { return &n.Subject }),
	strField(wbxml.NotesMessageClass, func(n *Note) *string { return &n.MessageClass }),
	dateField(wbxml.NotesLastModifiedDate, dateCompact, func(n *Note) *time.Time { return &n.LastModifiedDate }).ro(),
)

func decodeNote(d *wbxml.Decoder, parent wbxml.Tag, n *Note, opts *DecodeOptions) error {
	return decodeChildren(d, parent, func(tag wbxml.Tag) (bool, error) {
		var err error
		switch tag {
		case wbxml.AirSyncBaseBody:
			n.Body.Release()
			n.Body, err = decodeBody(d, tag, opts)
		case wbxml.NotesCategories:
			n.Categories, err = readStrings(d, tag, wbxml.NotesCategory)
		default:
			return noteFields.decode(d, tag, n, &n.Fields)
		}
		if err == nil {
			n.Fields.Set(tag)
		}
		return true, err
	})
}

func encodeNote(e *wbxml.Encoder, n *Note, en encoding) error {
	fs := &n.Fields
	noteFields.encode(e, n, fs, en)
	writeStrings(e, wbxml.NotesCategories, wbxml.NotesCategory, n.Categories, fs)
	if n.Body != nil {
		return encodeBody(e, wbxml.AirSyncBaseBody, n.Body, en)
	}
	return nil
}
