package bridge

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"

	"github.com/easbridge/easbridge/bridge/convert"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
)

// vcardVersion is the vCard version written to address books.
const vcardVersion = "3.0"

// local is an item in its DAV form.
type local struct {
	data []byte
	uid  string
	cal  *ical.Calendar // for calendar kinds
	card vcard.Card     // for address books
}

// options returns the conversion options of an item.
func (e *Engine) options(serverID string) convert.Options {
	return convert.Options{ServerID: serverID, Local: e.cfg.Local, Self: e.cfg.Self}
}

// toLocal converts a server item into its DAV form.
func (e *Engine) toLocal(k store.Kind, it eas.Item, serverID string) (*local, error) {
	opts := e.options(serverID)
	if k == store.KindContacts {
		c, ok := it.(*eas.Contact)
		if !ok {
			return nil, fmt.Errorf("bridge: a %T in an address book", it)
		}
		card, err := convert.ContactToVCard(c, vcardVersion, opts)
		if err != nil {
			return nil, err
		}
		return encodeCard(card)
	}
	cal, err := convert.ItemToICal(it, opts)
	if err != nil {
		return nil, err
	}
	return encodeCal(cal)
}

// parseLocal decodes a stored object of a collection of kind k.
func parseLocal(k store.Kind, data []byte) (*local, error) {
	l := &local{data: data}
	var err error
	if k == store.KindContacts {
		l.card, err = convert.ParseVCard(bytes.NewReader(data))
		if err == nil {
			l.uid = l.card.Value(vcard.FieldUID)
		}
	} else {
		l.cal, err = convert.ParseICal(bytes.NewReader(data))
		if err == nil {
			l.uid = calUID(l.cal)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bridge: parsing stored object: %w", err)
	}
	return l, nil
}

// toServer converts a DAV object into the server item of a collection of
// kind k.
func (e *Engine) toServer(k store.Kind, l *local, serverID string) (eas.Item, error) {
	opts := e.options(serverID)
	switch k {
	case store.KindContacts:
		return convert.VCardToContact(l.card, opts)
	case store.KindEvents:
		return convert.ICalToEvent(l.cal, opts)
	case store.KindTasks:
		return convert.ICalToTask(l.cal, opts)
	case store.KindJournal:
		return convert.ICalToNote(l.cal, opts)
	}
	return nil, fmt.Errorf("bridge: no server form for kind %q", k)
}

// mergeStored folds a fresh server version into the stored object, so that
// what EAS cannot carry survives (convert.MergeCalendar, MergeCard).
func mergeStored(stored, fresh *local) (*local, error) {
	if fresh.card != nil {
		return encodeCard(convert.MergeCard(stored.card, fresh.card))
	}
	return encodeCal(convert.MergeCalendar(stored.cal, fresh.cal))
}

func encodeCal(cal *ical.Calendar) (*local, error) {
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("bridge: encoding calendar object: %w", err)
	}
	return &local{data: buf.Bytes(), uid: calUID(cal), cal: cal}, nil
}

func encodeCard(card vcard.Card) (*local, error) {
	var buf bytes.Buffer
	if err := vcard.NewEncoder(&buf).Encode(card); err != nil {
		return nil, fmt.Errorf("bridge: encoding vCard: %w", err)
	}
	return &local{data: buf.Bytes(), uid: card.Value(vcard.FieldUID), card: card}, nil
}

// calUID is the UID of the first component that has one.
func calUID(cal *ical.Calendar) string {
	for _, c := range cal.Children {
		if p := c.Props.Get(ical.PropUID); p != nil && p.Value != "" {
			return p.Value
		}
	}
	return ""
}

// safeUID matches UIDs usable as object names as they are.
var safeUID = regexp.MustCompile(`^[A-Za-z0-9@._+=-]{1,200}$`)

// objectName names the object of a new server item: its UID when that is
// a safe path segment, else the UID derived from its ServerId.
func objectName(k store.Kind, uid, serverID string) string {
	ext := ".ics"
	if k == store.KindContacts {
		ext = ".vcf"
	}
	if !safeUID.MatchString(uid) {
		uid = convert.DeriveUID(serverID)
	}
	return uid + ext
}
