package convert

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-vcard"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// storedEvent is what a desktop client wrote: properties EAS cannot
// carry, which a server change must not erase.
const storedEvent = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\n" +
	"X-WR-CALNAME:Work\r\n" +
	"BEGIN:VEVENT\r\nUID:keep-me\r\nDTSTAMP:20260101T000000Z\r\n" +
	"DTSTART;TZID=Europe/Berlin:20260310T090000\r\nDTEND;TZID=Europe/Berlin:20260310T100000\r\n" +
	"SUMMARY:Old title\r\nCOLOR:tomato\r\nX-MOZ-GENERATION:4\r\n" +
	"ATTACH:https://files.example.com/agenda.pdf\r\n" +
	"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;X-CUSTOM=yes:mailto:bob@example.com\r\n" +
	"ORGANIZER;CN=Alice:mailto:alice@example.com\r\n" +
	"LOCATION;X-MY-PARAM=1:Room 1\r\n" +
	"BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Soon\r\nTRIGGER:-PT15M\r\nX-MOZ-LASTACK:20260310T074500Z\r\nEND:VALARM\r\n" +
	"BEGIN:VALARM\r\nACTION:AUDIO\r\nTRIGGER;RELATED=END:PT0M\r\nEND:VALARM\r\n" +
	"END:VEVENT\r\nEND:VCALENDAR\r\n"

func TestMergeCalendarPreserves(t *testing.T) {
	stored := decodeICal(t, storedEvent)
	ev, err := ICalToEvent(stored, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The server changes the title and the reminder.
	ev.Subject = "New title"
	ev.Reminder = 30
	ev.Fields.Set(wbxml.CalendarReminder)
	fresh, err := EventToICal(ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	merged := encodeICal(t, MergeCalendar(stored, fresh))
	for _, want := range []string{"SUMMARY:New title", "COLOR:tomato", "X-MOZ-GENERATION:4", "ATTACH:https://files.example.com/agenda.pdf",
		"X-CUSTOM=yes", "LOCATION;X-MY-PARAM=1:Room 1", "X-WR-CALNAME:Work", "TRIGGER:-PT30M", "X-MOZ-LASTACK:20260310T074500Z",
		"TRIGGER;RELATED=END:PT0M"} {
		if !strings.Contains(merged, want) {
			t.Errorf("merged object lacks %q:\n%s", want, merged)
		}
	}
	for _, gone := range []string{"Old title", "TRIGGER:-PT15M"} {
		if strings.Contains(merged, gone) {
			t.Errorf("merged object still has %q:\n%s", gone, merged)
		}
	}
	if n := strings.Count(merged, "BEGIN:VALARM"); n != 2 {
		t.Errorf("%d alarms, want 2", n)
	}
	// Stored is untouched.
	if encodeICal(t, stored) != encodeICal(t, decodeICal(t, storedEvent)) {
		t.Error("MergeCalendar modified the stored calendar")
	}
	// The attendee removed on the server goes, the parameters of one kept stay.
	ev.Attendees = nil
	fresh, _ = EventToICal(ev, Options{})
	if m := encodeICal(t, MergeCalendar(stored, fresh)); strings.Contains(m, "bob@example.com") {
		t.Errorf("removed attendee survived:\n%s", m)
	}
}

func TestMergeCalendarOccurrences(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)
	ex := eas.Exception{ExceptionStartTime: start.AddDate(0, 0, 7).UTC()}
	ex.Subject = "moved"
	ex.Fields.Set(wbxml.CalendarSubject)
	ev := &eas.Event{TimeZone: BlobFor(berlin, 2026), StartTime: start.UTC(), EndTime: start.Add(time.Hour).UTC(), UID: "s",
		Subject: "series", Recurrence: &eas.Recurrence{Type: eas.RecurWeekly, DayOfWeek: eas.Monday}, Exceptions: []eas.Exception{ex}}
	stored, _ := EventToICal(ev, Options{})
	for _, c := range stored.Children {
		if c.Name == "VEVENT" {
			setX(c.Props, "X-CLIENT-NOTE", "mine") // the client's own mark, per occurrence
		}
	}
	ev.Exceptions[0].Subject = "moved again"
	fresh, _ := EventToICal(ev, Options{})
	merged := encodeICal(t, MergeCalendar(stored, fresh))
	if strings.Count(merged, "X-CLIENT-NOTE:mine") != 2 || !strings.Contains(merged, "SUMMARY:moved again") {
		t.Fatalf("occurrence merge lost data:\n%s", merged)
	}
	ev.Exceptions = nil
	fresh, _ = EventToICal(ev, Options{})
	if merged := encodeICal(t, MergeCalendar(stored, fresh)); strings.Contains(merged, "RECURRENCE-ID") {
		t.Fatalf("occurrence dropped on the server survived:\n%s", merged)
	}
}

const storedCard = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:client-made\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n" +
	"EMAIL;PREF=1:ann@example.com\r\nEMAIL:ann2@example.com\r\nEMAIL:ann3@example.com\r\nEMAIL:ann4@example.com\r\n" +
	"TEL;TYPE=cell:+1 555 0001\r\nTEL;TYPE=home:+1 555 0002\r\nTEL;TYPE=home:+1 555 0003\r\nTEL;TYPE=home:+1 555 0004\r\n" +
	"PHOTO:https://example.com/ann.jpg\r\nX-CUSTOM-FIELD:keep\r\nitem1.URL:https://ann.example.com\r\nitem1.X-ABLABEL:blog\r\n" +
	"GENDER:F\r\nEND:VCARD\r\n"

func TestMergeCardPreserves(t *testing.T) {
	stored := decodeVCard(t, storedCard)
	c, err := VCardToContact(stored, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Email3Address != "ann3@example.com" || c.Home2PhoneNumber != "+1 555 0003" {
		t.Fatalf("slots: %s", dump(c))
	}
	c.MobilePhoneNumber = "+1 555 9999" // the server's change
	c.JobTitle = "CTO"
	fresh, err := ContactToVCard(c, "4.0", Options{ServerID: "9:9"})
	if err != nil {
		t.Fatal(err)
	}
	merged := encodeVCard(t, MergeCard(stored, fresh))
	for _, want := range []string{"UID:urn:uuid:client-made", "ann4@example.com", "+1 555 0004", "+1 555 9999", "TITLE:CTO",
		"X-CUSTOM-FIELD:keep", "PHOTO:https://example.com/ann.jpg", "GENDER:F", "item1.X-ABLABEL:blog"} {
		if !strings.Contains(merged, want) {
			t.Errorf("merged card lacks %q:\n%s", want, merged)
		}
	}
	if strings.Contains(merged, "+1 555 0001") {
		t.Errorf("replaced mobile number survived:\n%s", merged)
	}
	if n := len(MergeCard(stored, fresh)[vcard.FieldEmail]); n != 4 {
		t.Errorf("%d e-mails, want 4", n)
	}
}

func TestMergeKeepsFullDescription(t *testing.T) {
	stored := decodeICal(t, storedEvent)
	desc := strings.Repeat("long text ", 50)
	stored.Children[0].Props.SetText("DESCRIPTION", desc)
	ev, err := ICalToEvent(stored, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev.Body = eas.NewBody(eas.BodyPlain, []byte("long text long"))
	ev.Body.Truncated = true
	fresh, _ := EventToICal(ev, Options{})
	merged := MergeCalendar(stored, fresh)
	if got, _ := firstComponent(merged, "VEVENT").Props.Text("DESCRIPTION"); got != desc {
		t.Fatalf("DESCRIPTION = %q", got)
	}
	ev.Body.Truncated = false
	fresh, _ = EventToICal(ev, Options{})
	if got, _ := firstComponent(MergeCalendar(stored, fresh), "VEVENT").Props.Text("DESCRIPTION"); got != "long text long" {
		t.Fatalf("a complete server body did not replace the stored one: %q", got)
	}
}
