package dav

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav/caldav"
)

// validateCalendar checks a PUT body for a calendar collection of kind
// (RFC 4791 4.1 and 5.3.2.1) and returns what the Backend stores. Every
// refusal is a 403 with the CalDAV precondition and a readable message.
func validateCalendar(data []byte, kind Kind) (ObjectInput, error) {
	in := ObjectInput{Data: data}
	dec := ical.NewDecoder(bytes.NewReader(data))
	cal, err := dec.Decode()
	if err != nil {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-data", "",
			"dav: body is not valid iCalendar: %v", err)
	}
	if _, err := dec.Decode(); err != io.EOF {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-object-resource", "",
			"dav: body holds more than one VCALENDAR")
	}
	compType, uid, err := caldav.ValidateCalendarObject(cal)
	if err != nil {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-object-resource", "",
			"dav: calendar object resource is not valid: %v", err)
	}
	if compType == "" {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-object-resource", "",
			"dav: VCALENDAR holds no component")
	}
	if want := componentOf(kind); compType != want {
		return in, preconditionError(http.StatusForbidden, "c:supported-calendar-component", "",
			"dav: this collection holds %s components, not %s", want, compType)
	}
	if uid == "" {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-object-resource", "",
			"dav: %s has no UID", compType)
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone && c.Props.Get(ical.PropUID) == nil {
			return in, preconditionError(http.StatusForbidden, "c:valid-calendar-object-resource", "",
				"dav: a %s has no UID", c.Name)
		}
	}
	in.UID = uid
	in.Start, in.End, err = calendarSpan(cal)
	if err != nil {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-data", "",
			"dav: bad date or recurrence: %v", err)
	}
	return in, nil
}

// validateCard checks a PUT body for an address book (RFC 6352 5.1 and
// 6.3.2.1): one vCard with a VERSION and a UID.
func validateCard(data []byte) (ObjectInput, error) {
	in := ObjectInput{Data: data}
	dec := vcard.NewDecoder(bytes.NewReader(data))
	card, err := dec.Decode()
	if err != nil {
		return in, preconditionError(http.StatusForbidden, "card:valid-address-data", "",
			"dav: body is not a valid vCard: %v", err)
	}
	if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
		return in, preconditionError(http.StatusForbidden, "card:valid-address-data", "",
			"dav: body holds more than one vCard")
	}
	if card.Value(vcard.FieldVersion) == "" {
		return in, preconditionError(http.StatusForbidden, "card:valid-address-data", "",
			"dav: vCard has no VERSION")
	}
	in.UID = strings.TrimSpace(card.Value(vcard.FieldUID))
	if in.UID == "" {
		return in, preconditionError(http.StatusForbidden, "card:valid-address-data", "",
			"dav: vCard has no UID")
	}
	return in, nil
}
