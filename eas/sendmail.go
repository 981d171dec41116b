package eas

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Message is a message to send with SendMail, SmartReply or SmartForward.
type Message struct {
	// MIME is the whole RFC 5322 message. Set Date and Message-ID: some
	// servers (SOGo) keep the Sent copy without them otherwise.
	MIME []byte
	// ClientID identifies the submission (16.x ComposeMail ClientId): a
	// retry with the same id is not sent twice.
	ClientID string
	// SaveInSentItems keeps a copy in the Sent folder.
	SaveInSentItems bool
	// Source is the message replied to or forwarded (SmartReply,
	// SmartForward only).
	Source *MessageSource
	// ReplaceMime sends MIME as is, without the server appending the
	// original message (SmartReply, SmartForward).
	ReplaceMime bool
}

// MessageSource identifies the original of a SmartReply/SmartForward
// (MS-ASCMD 2.2.3.168): FolderID and ItemID, or LongID from a Search, and
// InstanceID for one occurrence of a recurring meeting.
type MessageSource struct {
	FolderID   string
	ItemID     string
	LongID     string
	InstanceID string
}

// SendMail submits a message (MS-ASCMD 2.2.1.17). From 14.0 on it sends
// ComposeMail WBXML, whose ClientId lets the server refuse a resent copy
// (status 118) when an answer was lost; 12.1 knows only the raw message
// posted as message/rfc822 (MS-ASHTTP 2.2.1.1.1.2.4). Success is an empty
// 200 answer. SmartReply and SmartForward follow the same rule, with the
// source in the query for 12.1. A Message without a ClientID gets a random
// one; a caller that may resend after a crash persists its own.
func (c *Client) SendMail(ctx context.Context, m *Message) error {
	return c.compose(ctx, "SendMail", wbxml.ComposeMailSendMail, m)
}

// SmartReply replies to Source, the server appending the original unless
// ReplaceMime is set (MS-ASCMD 2.2.1.19).
func (c *Client) SmartReply(ctx context.Context, m *Message) error {
	if m.Source == nil {
		return errors.New("eas: SmartReply needs the source message")
	}
	return c.compose(ctx, "SmartReply", wbxml.ComposeMailSmartReply, m)
}

// SmartForward forwards Source with its attachments (MS-ASCMD 2.2.1.18).
func (c *Client) SmartForward(ctx context.Context, m *Message) error {
	if m.Source == nil {
		return errors.New("eas: SmartForward needs the source message")
	}
	return c.compose(ctx, "SmartForward", wbxml.ComposeMailSmartForward, m)
}

func (c *Client) compose(ctx context.Context, cmd string, root wbxml.Tag, m *Message) error {
	if len(m.MIME) == 0 {
		return fmt.Errorf("eas: %s of an empty message", cmd)
	}
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	r, err := composeRequest(cmd, root, m, v)
	if err != nil {
		return err
	}
	return c.roundTrip(ctx, r, root, func(d *wbxml.Decoder) error {
		if d == nil {
			return nil // success (MS-ASCMD 2.2.1.17.1.2)
		}
		return d.Each(func(t wbxml.Tag) error {
			if t != wbxml.ComposeMailStatus {
				return d.Skip()
			}
			return readStatus(d, func(st int) error { return commandStatusError(cmd, st) })
		})
	})
}

// composeRequest builds the raw MIME or the ComposeMail WBXML request.
func composeRequest(cmd string, root wbxml.Tag, m *Message, v Version) (*request, error) {
	var r *request
	// The SendMail, SmartReply and SmartForward elements exist from 14.0
	// (MS-ASCMD 2.2.3.162); 12.1 knows only raw MIME. WBXML also keeps the
	// source ids in the body: in the query they must be percent-encoded,
	// and servers differ on decoding ids that themselves hold escapes.
	if v < V140 {
		r = &request{cmd: cmd, body: m.MIME, contentType: contentTypeRFC822}
		if m.SaveInSentItems {
			r.params = append(r.params, param{"SaveInSent", "T"})
		}
		if s := m.Source; s != nil {
			if s.LongID != "" {
				r.params = append(r.params, param{"LongId", s.LongID})
			} else {
				r.params = append(r.params, param{"CollectionId", s.FolderID}, param{"ItemId", s.ItemID})
			}
			if s.InstanceID != "" {
				r.params = append(r.params, param{"Occurrence", s.InstanceID})
			}
		}
	} else {
		body, err := encode(func(e *wbxml.Encoder) {
			e.Start(root)
			id := m.ClientID
			if id == "" {
				id = rand.Text() // ClientId is required (MS-ASCMD 2.2.3.28.1)
			}
			e.Element(wbxml.ComposeMailClientId, id)
			if m.SaveInSentItems {
				e.Empty(wbxml.ComposeMailSaveInSentItems)
			}
			if m.ReplaceMime {
				e.Empty(wbxml.ComposeMailReplaceMime)
			}
			if s := m.Source; s != nil {
				e.Start(wbxml.ComposeMailSource)
				if s.LongID != "" {
					e.Element(wbxml.ComposeMailLongId, s.LongID)
				} else {
					e.Element(wbxml.ComposeMailFolderId, s.FolderID)
					e.Element(wbxml.ComposeMailItemId, s.ItemID)
				}
				if s.InstanceID != "" {
					e.Element(wbxml.ComposeMailInstanceId, s.InstanceID)
				}
				e.End()
			}
			e.Start(wbxml.ComposeMailMime)
			e.Opaque(m.MIME)
			e.End()
			e.End()
		})
		if err != nil {
			return nil, err
		}
		r = &request{cmd: cmd, body: body}
	}
	return r, nil
}
