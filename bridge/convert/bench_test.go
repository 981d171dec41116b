package convert

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// benchMeeting is a typical meeting: 10 attendees, a weekly recurrence
// with 20 modified or deleted occurrences.
func benchMeeting(b *testing.B) *eas.Event {
	berlin := mustLoad(b, "Europe/Berlin")
	tz := eas.TimeZoneFor(berlin, 2026)
	tz.StandardName, tz.DaylightName = "W. Europe Standard Time", "W. Europe Daylight Time"
	start := time.Date(2026, 1, 6, 9, 0, 0, 0, berlin)
	ev := &eas.Event{TimeZone: &tz, StartTime: start.UTC(), EndTime: start.Add(time.Hour).UTC(), Subject: "Weekly planning",
		UID: "bench-uid", OrganizerName: "Olga", OrganizerEmail: "olga@example.com", MeetingStatus: 1, ResponseRequested: true,
		Location: &eas.Location{DisplayName: "Room 4.01"}, Body: eas.NewBody(eas.BodyPlain, bytes.Repeat([]byte("Agenda item. "), 40)),
		Reminder: 15, BusyStatus: eas.BusyBusy, Categories: []string{"Work", "Planning"}, DtStamp: goldenNow,
		Recurrence: &eas.Recurrence{Type: eas.RecurWeekly, DayOfWeek: eas.Tuesday, Occurrences: 100}}
	ev.Fields.Set(wbxml.CalendarReminder)
	for i := range 10 {
		ev.Attendees = append(ev.Attendees, eas.Attendee{Email: fmt.Sprintf("person%d@example.com", i), Name: fmt.Sprintf("Person %d", i),
			Type: eas.AttendeeRequired, Status: eas.ResponseAccepted})
	}
	for i := range 20 {
		orig := start.AddDate(0, 0, 7*(i+1)).UTC()
		ex := eas.Exception{ExceptionStartTime: orig, Deleted: i%2 == 0}
		if !ex.Deleted {
			ex.StartTime, ex.EndTime = orig.Add(time.Hour), orig.Add(2*time.Hour)
			ex.Subject = "Weekly planning (moved)"
			ex.Fields.Set(wbxml.CalendarStartTime, wbxml.CalendarEndTime, wbxml.CalendarSubject)
		}
		ev.Exceptions = append(ev.Exceptions, ex)
	}
	return ev
}

func BenchmarkEventToICal(b *testing.B) {
	ev := benchMeeting(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EventToICal(ev, Options{Now: goldenNow}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkICalToEvent(b *testing.B) {
	cal, err := EventToICal(benchMeeting(b), Options{Now: goldenNow})
	if err != nil {
		b.Fatal(err)
	}
	cal = decodeICal(b, encodeICal(b, cal))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ICalToEvent(cal, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchContact() *eas.Contact {
	g := gen{rand.New(rand.NewPCG(9, 9))}
	c := g.contact()
	c.Picture = make([]byte, 50<<10)
	copy(c.Picture, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	return c
}

func BenchmarkContactToVCard(b *testing.B) {
	c := benchContact()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ContactToVCard(c, "4.0", Options{ServerID: "1:1"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVCardToContact(b *testing.B) {
	card, err := ContactToVCard(benchContact(), "3.0", Options{ServerID: "1:1"})
	if err != nil {
		b.Fatal(err)
	}
	card = decodeVCard(b, encodeVCard(b, card))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VCardToContact(card, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
