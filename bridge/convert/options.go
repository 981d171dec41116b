package convert

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-ical"

	"github.com/easbridge/easbridge/eas"
)

// Options carries what a conversion needs beyond the item itself.
type Options struct {
	// ServerID is the item's EAS ServerId, from which a UID is derived
	// when the item has none.
	ServerID string
	// Local is the user's configured zone (from time.LoadLocation, not
	// time.Local, whose name is not a TZID): it stands for a missing or
	// all-zero TimeZone blob, for floating times and for all-day items
	// without a zone of their own. Nil means UTC.
	Local *time.Location
	// Self is the user's e-mail address: a meeting organised by Self is
	// MeetingStatus 1 (organiser), any other meeting 3 (received).
	Self string
	// Now stamps DTSTAMP when the item has no DtStamp; zero means
	// time.Now.
	Now time.Time
}

func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now().UTC().Truncate(time.Second)
	}
	return o.Now.UTC()
}

func (o *Options) local() *time.Location {
	if o.Local == nil {
		return time.UTC
	}
	return o.Local
}

// prodID is the PRODID of the calendars this package writes.
const prodID = "-//easbridge//convert//EN"

// ErrUnsupported reports an iCalendar or vCard construct EAS cannot
// represent (an RRULE with BYHOUR, say). The stored object keeps it; the
// server is not told.
var ErrUnsupported = errors.New("convert: not representable in EAS")

// DeriveUID returns the stable UID of an item that has none, from its
// ServerId: "eas-" and the first 32 hex digits of its SHA-256.
func DeriveUID(serverID string) string {
	sum := sha256.Sum256([]byte(serverID))
	return "eas-" + hex.EncodeToString(sum[:16])
}

// ItemToICal converts an event, task or note to its calendar object.
func ItemToICal(it eas.Item, opts Options) (*ical.Calendar, error) {
	switch x := it.(type) {
	case *eas.Event:
		return EventToICal(x, opts)
	case *eas.Task:
		return TaskToICal(x, opts)
	case *eas.Note:
		return NoteToICal(x, opts)
	}
	return nil, fmt.Errorf("convert: no iCalendar form for %T", it)
}
