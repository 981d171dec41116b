package main

import (
	"fmt"
	"time"
)

// The data set, the same for every server: events spread over two years,
// every 20th weekly for half a year, every 100th daily without end, half
// of them in Europe/Berlin; and contacts.
const (
	numEvents   = 10000
	numContacts = 5000
)

var dataStart = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// The month the calendar-query asks for.
var monthStart, monthEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

const berlin = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n" +
	"TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"

func eventName(i int) string { return fmt.Sprintf("event-%05d.ics", i) }

func contactName(i int) string { return fmt.Sprintf("contact-%05d.vcf", i) }

// event returns event i; rev distinguishes later versions of it.
func event(i, rev int) []byte {
	// A multiplicative walk over two years of hours, so neighbours differ.
	hours := (i * 7919) % (2 * 365 * 24)
	start := dataStart.Add(time.Duration(hours) * time.Hour)
	var tz, dtstart, dtend string
	if i%2 == 0 {
		loc, _ := time.LoadLocation("Europe/Berlin")
		ls := start.In(loc)
		tz = berlin
		dtstart = "DTSTART;TZID=Europe/Berlin:" + ls.Format("20060102T150405")
		dtend = "DTEND;TZID=Europe/Berlin:" + ls.Add(time.Hour).Format("20060102T150405")
	} else {
		dtstart = "DTSTART:" + start.Format("20060102T150405Z")
		dtend = "DTEND:" + start.Add(90*time.Minute).Format("20060102T150405Z")
	}
	rrule := ""
	switch {
	case i%100 == 50:
		rrule = "RRULE:FREQ=DAILY\r\n"
	case i%20 == 0:
		rrule = "RRULE:FREQ=WEEKLY;COUNT=26\r\n"
	}
	return []byte(fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easbridge//bench//EN\r\n%s"+
		"BEGIN:VEVENT\r\nUID:bench-event-%05d\r\nDTSTAMP:20250101T000000Z\r\n%s\r\n%s\r\n%s"+
		"SUMMARY:Meeting %d revision %d\r\nLOCATION:Room %d\r\n"+
		"DESCRIPTION:Agenda item one\\, agenda item two\\, and some words so the body has a realistic size.\r\n"+
		"END:VEVENT\r\nEND:VCALENDAR\r\n", tz, i, dtstart, dtend, rrule, i, rev, i%40))
}

func contact(i int) []byte {
	return []byte(fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-contact-%05d\r\nFN:Person %05d\r\n"+
		"N:%05d;Person;;;\r\nEMAIL;TYPE=INTERNET:person%d@example.com\r\nTEL;TYPE=CELL:+49 170 %07d\r\n"+
		"ORG:Company %d\r\nEND:VCARD\r\n", i, i, i, i, i, i%300))
}
