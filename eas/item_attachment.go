package eas

import (
	"strconv"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// AttachMethod is how an attachment is attached (MS-ASAIRS 2.2.2.31).
type AttachMethod int

// The attachment methods.
const (
	AttachNormal      AttachMethod = 1 // a regular file
	AttachEmbeddedMsg AttachMethod = 5 // an embedded message
	AttachOLE         AttachMethod = 6 // an OLE object
)

// Attachment describes one attachment of a message or (16.0) an event
// (MS-ASAIRS 2.2.2.7). Its content is fetched separately with
// ItemOperations by FileReference.
type Attachment struct {
	FileReference     string
	DisplayName       string
	Method            AttachMethod
	EstimatedDataSize int64
	ContentID         string
	ContentLocation   string
	IsInline          bool
	// ContentType is the MIME type (16.0 and later).
	ContentType string
	// ClientID is the id the client gave an attachment it added (16.0).
	ClientID string
	// UmAttDuration and UmAttOrder describe voice mail (Email2, 14.0).
	UmAttDuration int
	UmAttOrder    int
	Fields        Fields
}

var attachmentFields = newFieldTable(
	strField(wbxml.AirSyncBaseFileReference, func(a *Attachment) *string { return &a.FileReference }),
	strField(wbxml.AirSyncBaseDisplayName, func(a *Attachment) *string { return &a.DisplayName }),
	intField(wbxml.AirSyncBaseMethod, func(a *Attachment) *AttachMethod { return &a.Method }),
	intField(wbxml.AirSyncBaseEstimatedDataSize, func(a *Attachment) *int64 { return &a.EstimatedDataSize }),
	strField(wbxml.AirSyncBaseContentId, func(a *Attachment) *string { return &a.ContentID }),
	strField(wbxml.AirSyncBaseContentLocation, func(a *Attachment) *string { return &a.ContentLocation }),
	boolField(wbxml.AirSyncBaseIsInline, func(a *Attachment) *bool { return &a.IsInline }),
	strField(wbxml.AirSyncBaseContentType, func(a *Attachment) *string { return &a.ContentType }).sinceV(V160),
	strField(wbxml.AirSyncBaseClientId, func(a *Attachment) *string { return &a.ClientID }).sinceV(V160),
	intField(wbxml.Email2UmAttDuration, func(a *Attachment) *int { return &a.UmAttDuration }).sinceV(V140),
	intField(wbxml.Email2UmAttOrder, func(a *Attachment) *int { return &a.UmAttOrder }).sinceV(V140),
)

func decodeAttachments(d *wbxml.Decoder) ([]Attachment, error) {
	out := []Attachment{}
	err := decodeChildren(d, wbxml.AirSyncBaseAttachments, func(tag wbxml.Tag) (bool, error) {
		if tag != wbxml.AirSyncBaseAttachment {
			return false, nil
		}
		var a Attachment
		err := decodeChildren(d, tag, func(t wbxml.Tag) (bool, error) {
			return attachmentFields.decode(d, t, &a, &a.Fields)
		})
		out = append(out, a)
		return true, err
	})
	return out, err
}

// AttachmentChanges are the attachment edits a 16.x client sends with a
// draft message or an event (MS-ASAIRS 2.2.2.2 Add, 2.2.2.21 Delete).
type AttachmentChanges struct {
	Add []NewAttachment
	// Delete lists the FileReferences of attachments to remove.
	Delete []string
}

// NewAttachment is an attachment a client adds (MS-ASAIRS 2.2.2.2).
type NewAttachment struct {
	// ClientID is a temporary id; the server answers with the
	// FileReference it assigned.
	ClientID        string
	DisplayName     string
	Method          AttachMethod
	ContentType     string
	Content         []byte
	ContentID       string
	ContentLocation string
	IsInline        bool
}

func encodeAttachmentChanges(e *wbxml.Encoder, c *AttachmentChanges) {
	if len(c.Add) == 0 && len(c.Delete) == 0 {
		return
	}
	e.Start(wbxml.AirSyncBaseAttachments)
	for i := range c.Add {
		a := &c.Add[i]
		m := a.Method
		if m == 0 {
			m = AttachNormal
		}
		e.Start(wbxml.AirSyncBaseAdd)
		e.Element(wbxml.AirSyncBaseClientId, a.ClientID)
		e.Element(wbxml.AirSyncBaseMethod, strconv.Itoa(int(m)))
		e.Element(wbxml.AirSyncBaseDisplayName, a.DisplayName)
		if a.ContentType != "" {
			e.Element(wbxml.AirSyncBaseContentType, a.ContentType)
		}
		if a.ContentID != "" {
			e.Element(wbxml.AirSyncBaseContentId, a.ContentID)
		}
		if a.ContentLocation != "" {
			e.Element(wbxml.AirSyncBaseContentLocation, a.ContentLocation)
		}
		if a.IsInline {
			e.Element(wbxml.AirSyncBaseIsInline, "1")
		}
		e.Start(wbxml.AirSyncBaseContent)
		e.Opaque(a.Content)
		e.End()
		e.End()
	}
	for _, ref := range c.Delete {
		e.Start(wbxml.AirSyncBaseDelete)
		e.Element(wbxml.AirSyncBaseFileReference, ref)
		e.End()
	}
	e.End()
}

// encodeAttachments writes the Attachments list, as only a server does.
func encodeAttachments(e *wbxml.Encoder, list []Attachment, fs *Fields, en encoding) {
	if len(list) == 0 && !fs.Has(wbxml.AirSyncBaseAttachments) {
		return
	}
	e.Start(wbxml.AirSyncBaseAttachments)
	for i := range list {
		e.Start(wbxml.AirSyncBaseAttachment)
		attachmentFields.encode(e, &list[i], &list[i].Fields, en)
		e.End()
	}
	e.End()
}
