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

func (g gen) maybe(s string) string {
	if g.pick(3) == 0 {
		return ""
	}
	return s
}

// contactWord avoids ';' (go-vcard neither escapes nor splits it in
// structured values) and ',' in names (vCard lists).
func (g gen) contactWord() string {
	w := []string{"Anna", "Zoë", "Müller", "O'Brien", "東京", "Jean-Luc", "van der Berg", "line\nbreak", `back\slash`}
	return w[g.pick(len(w))]
}

func (g gen) contact() *eas.Contact {
	w := g.contactWord
	c := &eas.Contact{FirstName: g.maybe(w()), MiddleName: g.maybe(w()), LastName: g.maybe(w()), Title: g.maybe("Dr."),
		Suffix: g.maybe("Jr."), NickName: g.maybe(w()), YomiFirstName: g.maybe(w()), YomiLastName: g.maybe(w()),
		YomiCompanyName: g.maybe(w()), JobTitle: g.maybe(w()), Department: g.maybe(w()), CompanyName: g.maybe(w() + " GmbH"),
		OfficeLocation: g.maybe("B2.11"), WebPage: g.maybe("https://example.com/~" + fmt.Sprint(g.pick(99))),
		Spouse: g.maybe(w()), ManagerName: g.maybe(w()), AssistantName: g.maybe(w()),
		CustomerID: g.maybe("C-17"), GovernmentID: g.maybe("G-42"), AccountName: g.maybe("acct")}
	if g.pick(4) != 0 {
		c.FileAs = fmt.Sprintf("%s, %s", w(), w())
	}
	for i, e := range emails(c) {
		if g.pick(3) != 0 {
			*e = fmt.Sprintf("user%d@example.com", i)
		}
	}
	for _, s := range phoneSlots {
		if g.pick(2) == 0 {
			*s.get(c) = fmt.Sprintf("+49 30 %07d", g.r.IntN(10000000))
		}
	}
	for _, s := range addrSlots {
		if g.pick(2) == 0 {
			*s.get(c) = eas.PostalAddress{Street: "Hauptstr. 1\nHinterhaus", City: w(), State: g.maybe("BE"), PostalCode: "10115", Country: "Germany"}
		}
	}
	if g.pick(2) == 0 {
		c.Birthday = time.Date(1950+g.pick(60), time.Month(1+g.pick(12)), 1+g.pick(28), 0, 0, 0, 0, time.UTC)
	}
	if g.pick(2) == 0 {
		c.Anniversary = time.Date(1990+g.pick(30), time.Month(1+g.pick(12)), 1+g.pick(28), 0, 0, 0, 0, time.UTC)
	}
	if g.pick(2) == 0 {
		c.Picture = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{byte(g.pick(256))}, 100+g.pick(5000))...)
	}
	if g.pick(2) == 0 {
		c.Body = eas.NewBody(eas.BodyPlain, []byte(g.text(8)))
	}
	if g.pick(2) == 0 {
		c.Categories = []string{"Friends", "Work Stuff"}
	}
	if g.pick(2) == 0 {
		c.Children = []string{w(), w()}
	}
	for _, im := range ims(c) {
		if g.pick(2) == 0 {
			*im = fmt.Sprintf("xmpp:im%d@example.com", g.pick(9))
		}
	}
	return c
}

// contactView is what a contact means: presence marks dropped, FileAs
// equal to the composed name treated as empty, e-mails reduced to the
// address.
func contactView(c *eas.Contact) string {
	x := *c
	x.Fields = eas.Fields{}
	if x.FileAs == displayName(&x) {
		x.FileAs = ""
	}
	for _, e := range emails(&x) {
		*e = emailAddress(*e)
	}
	// vCard has no slot numbers: a second number without a first one
	// comes back as the first.
	compact := func(ps ...*string) {
		var vals []string
		for _, p := range ps {
			if *p != "" {
				vals = append(vals, *p)
			}
			*p = ""
		}
		for i, v := range vals {
			*ps[i] = v
		}
	}
	compact(emails(&x)...)
	compact(ims(&x)...)
	compact(&x.BusinessPhoneNumber, &x.Business2PhoneNumber)
	compact(&x.HomePhoneNumber, &x.Home2PhoneNumber)
	return dump(&x)
}

func TestRoundTripContacts(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for i := range 400 {
		c := g.contact()
		for _, version := range []string{"3.0", "4.0"} {
			card, err := ContactToVCard(c, version, Options{ServerID: "1:" + fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			text := encodeVCard(t, card)
			back, err := VCardToContact(decodeVCard(t, text), Options{})
			if err != nil {
				t.Fatalf("item %d v%s: %v\n%s", i, version, err, text)
			}
			if a, b := contactView(c), contactView(back); a != b {
				t.Fatalf("item %d: EAS -> vCard %s -> EAS differs:\n%s\n--- got\n%s\n--- want\n%s", i, version, text, b, a)
			}
			card2, err := ContactToVCard(back, version, Options{ServerID: "1:" + fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			if text2 := encodeVCard(t, card2); text2 != text {
				t.Fatalf("item %d: vCard %s -> EAS -> vCard differs:\n--- got\n%s\n--- want\n%s", i, version, text2, text)
			}
		}
	}
}

func (g gen) task(loc *time.Location) *eas.Task {
	t := &eas.Task{Subject: g.text(3), Importance: eas.Importance(g.pick(3)), Sensitivity: eas.Sensitivity(g.pick(4))}
	t.Fields.Set(wbxml.TasksImportance, wbxml.TasksSensitivity)
	day := time.Date(2026, time.Month(1+g.pick(12)), 1+g.pick(28), 0, 0, 0, 0, time.UTC)
	switch g.pick(3) {
	case 0: // dates
		t.StartDate, t.DueDate = day, day.AddDate(0, 0, 3)
		t.UtcStartDate = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc).UTC()
		t.UtcDueDate = t.UtcStartDate.AddDate(0, 0, 3)
		t.UtcDueDate = time.Date(day.Year(), day.Month(), day.Day()+3, 0, 0, 0, 0, loc).UTC()
	case 1: // times in the local zone
		w := day.Add(time.Duration(8+g.pick(10)) * time.Hour)
		t.DueDate = w
		t.UtcDueDate = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), 0, 0, 0, loc).UTC()
	}
	if g.pick(2) == 0 {
		t.Body = eas.NewBody(eas.BodyPlain, []byte(g.text(6)))
	}
	if g.pick(2) == 0 {
		t.Complete, t.DateCompleted = true, time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	}
	if g.pick(2) == 0 {
		t.ReminderSet, t.ReminderTime = true, day.Add(-time.Hour)
	}
	if g.pick(2) == 0 {
		t.Categories = []string{"Errand", g.word()}
	}
	if g.pick(3) == 0 && !t.DueDate.IsZero() {
		anchor := t.StartDate
		if anchor.IsZero() {
			anchor = t.DueDate
		}
		r := g.recurrence(anchor)
		r.Start, r.Regenerate = anchor, g.pick(2) == 0
		r.Fields = eas.Fields{}
		if r.FirstDayOfWeek != 0 {
			r.Fields.Set(wbxml.TasksFirstDayOfWeek)
		}
		t.Recurrence = r
	}
	return t
}

func taskView(t *eas.Task) string {
	x := *t
	x.Fields = eas.Fields{}
	if r := x.Recurrence; r != nil {
		c := *r
		c.Fields = eas.Fields{}
		if c.Interval == 1 {
			c.Interval = 0
		}
		x.Recurrence = &c
	}
	return dump(&x)
}

func TestRoundTripTasksAndNotes(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(5, 6))}
	loc := mustLoad(t, "Europe/Berlin")
	opts := Options{Local: loc, ServerID: "7:1", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range 400 {
		task := g.task(loc)
		cal, err := TaskToICal(task, opts)
		if err != nil {
			t.Fatal(err)
		}
		text := encodeICal(t, cal)
		back, err := ICalToTask(decodeICal(t, text), opts)
		if err != nil {
			t.Fatalf("task %d: %v\n%s", i, err, text)
		}
		if a, b := taskView(task), taskView(back); a != b {
			t.Fatalf("task %d: EAS -> VTODO -> EAS differs:\n%s\n--- got\n%s\n--- want\n%s", i, text, b, a)
		}
		cal2, _ := TaskToICal(back, opts)
		if text2 := encodeICal(t, cal2); text2 != text {
			t.Fatalf("task %d: VTODO -> EAS -> VTODO differs:\n--- got\n%s\n--- want\n%s", i, text2, text)
		}

		note := &eas.Note{Subject: g.text(2), Body: eas.NewBody(eas.BodyPlain, []byte(g.text(9))), MessageClass: "IPM.StickyNote",
			LastModifiedDate: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), Categories: []string{g.word()}}
		if g.pick(2) == 0 {
			note.MessageClass = "IPM.StickyNote.Custom"
		}
		ncal, err := NoteToICal(note, opts)
		if err != nil {
			t.Fatal(err)
		}
		ntext := encodeICal(t, ncal)
		nback, err := ICalToNote(decodeICal(t, ntext), opts)
		if err != nil {
			t.Fatal(err)
		}
		note.Fields, nback.Fields = eas.Fields{}, eas.Fields{}
		if a, b := dump(note), dump(nback); a != b {
			t.Fatalf("note %d differs:\n%s\n--- got\n%s\n--- want\n%s", i, ntext, b, a)
		}
	}
}
