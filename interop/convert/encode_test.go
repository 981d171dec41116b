//go:build interop

package convert_test

import (
	"io"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"
)

func encodeCal(w io.Writer, cal *ical.Calendar) error { return ical.NewEncoder(w).Encode(cal) }

func encodeCard(w io.Writer, card vcard.Card) error { return vcard.NewEncoder(w).Encode(card) }
