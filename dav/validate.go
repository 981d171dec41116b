package dav

import (
	"bytes"
	"errors"
	"fmt"
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
	cals, err := decodeCalendars(data, 2)
	if err == nil && len(cals) == 0 {
		err = errors.New("no VCALENDAR")
	}
	if err != nil {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-data", "",
			"dav: body is not valid iCalendar: %v", err)
	}
	if len(cals) > 1 {
		return in, preconditionError(http.StatusForbidden, "c:valid-calendar-object-resource", "",
			"dav: body holds more than one VCALENDAR")
	}
	cal := cals[0]
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
	cards, err := decodeCards(data, 2)
	if err == nil && len(cards) == 0 {
		err = errors.New("no vCard")
	}
	if err != nil {
		return in, preconditionError(http.StatusForbidden, "card:valid-address-data", "",
			"dav: body is not a valid vCard: %v", err)
	}
	if len(cards) > 1 {
		return in, preconditionError(http.StatusForbidden, "card:valid-address-data", "",
			"dav: body holds more than one vCard")
	}
	card := cards[0]
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

// decodeCalendars decodes up to max VCALENDARs. go-ical panics on some
// malformed lines (a parameter without a value at the end of a line), so
// a panic is turned into an error: bad input must never take the server
// down.
func decodeCalendars(data []byte, max int) (cals []*ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cals, err = nil, fmt.Errorf("malformed iCalendar: %v", r)
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	for len(cals) < max {
		cal, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		cals = append(cals, cal)
	}
	return cals, nil
}

// decodeCalendar decodes the first VCALENDAR of data.
func decodeCalendar(data []byte) (*ical.Calendar, error) {
	cals, err := decodeCalendars(data, 1)
	if err != nil {
		return nil, err
	}
	if len(cals) == 0 {
		return nil, errors.New("no VCALENDAR")
	}
	return cals[0], nil
}

// decodeCards decodes up to max vCards, turning a decoder panic into an
// error like decodeCalendars.
func decodeCards(data []byte, max int) (cards []vcard.Card, err error) {
	defer func() {
		if r := recover(); r != nil {
			cards, err = nil, fmt.Errorf("malformed vCard: %v", r)
		}
	}()
	dec := vcard.NewDecoder(bytes.NewReader(data))
	for len(cards) < max {
		card, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		cards = append(cards, card)
	}
	return cards, nil
}
