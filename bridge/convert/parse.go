package convert

import (
	"fmt"
	"io"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"
)

// ParseICal decodes one iCalendar object. go-ical's decoder panics on
// some malformed input (a content line ending inside a parameter,
// found by FuzzICalToEvent); ParseICal turns that into an error, so bad
// input from a client never takes the daemon down.
func ParseICal(r io.Reader) (cal *ical.Calendar, err error) {
	defer func() {
		if p := recover(); p != nil {
			cal, err = nil, fmt.Errorf("convert: malformed iCalendar: %v", p)
		}
	}()
	cal, err = ical.NewDecoder(r).Decode()
	if err != nil {
		return nil, fmt.Errorf("convert: parsing iCalendar: %w", err)
	}
	return cal, nil
}

// ParseVCard decodes one vCard, turning a decoder panic into an error as
// ParseICal does.
func ParseVCard(r io.Reader) (card vcard.Card, err error) {
	defer func() {
		if p := recover(); p != nil {
			card, err = nil, fmt.Errorf("convert: malformed vCard: %v", p)
		}
	}()
	card, err = vcard.NewDecoder(r).Decode()
	if err != nil {
		return nil, fmt.Errorf("convert: parsing vCard: %w", err)
	}
	return card, nil
}
