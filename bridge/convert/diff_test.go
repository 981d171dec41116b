package convert

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestDiff(t *testing.T) {
	a := &eas.Event{Subject: "x", StartTime: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), Body: eas.NewBody(eas.BodyPlain, []byte("b")),
		Attendees: []eas.Attendee{{Email: "a@x"}}}
	b := *a
	b.StartTime = a.StartTime.In(time.FixedZone("X", 3600)) // same instant
	b.Body = eas.NewBody(eas.BodyPlain, []byte("b"))        // same content
	b.Fields.Set(wbxml.CalendarSubject)                     // bookkeeping only
	if d, err := Diff(a, &b); err != nil || len(d) != 0 {
		t.Fatalf("Diff of equal items = %v, %v", d, err)
	}
	b.Attendees = []eas.Attendee{{Email: "a@x", Status: eas.ResponseAccepted}}
	b.Subject = "y"
	if d, _ := Diff(a, &b); !slices.Equal(d, []string{"Subject", "Attendees"}) {
		t.Fatalf("Diff = %v", d)
	}
	if _, err := Diff(a, &eas.Contact{}); err == nil {
		t.Fatal("Diff across classes succeeded")
	}
	var nilEvent *eas.Event
	if _, err := Diff(a, nilEvent); err == nil {
		t.Fatal("Diff with nil succeeded")
	}
}

func TestMerge3(t *testing.T) {
	base := &eas.Contact{FirstName: "Ann", LastName: "Lee", JobTitle: "Dev", CompanyName: "A"}
	local := *base
	local.JobTitle = "Lead" // local only
	local.CompanyName = "B" // both, differently
	local.Fields.Set(wbxml.ContactsJobTitle)
	server := *base
	server.LastName = "Lee-Smith" // server only
	server.CompanyName = "C"
	for _, tc := range []struct {
		p       Policy
		company string
	}{{ServerWins, "C"}, {ClientWins, "B"}} {
		res, err := Merge3(base, &local, &server, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		m := res.Item.(*eas.Contact)
		if m.JobTitle != "Lead" || m.LastName != "Lee-Smith" || m.CompanyName != tc.company || m.FirstName != "Ann" {
			t.Errorf("policy %d: merged %s", tc.p, dump(m))
		}
		if !slices.Equal(res.Conflicts, []string{"CompanyName"}) {
			t.Errorf("policy %d: conflicts %v", tc.p, res.Conflicts)
		}
		if !m.Fields.Has(wbxml.ContactsJobTitle) {
			t.Errorf("policy %d: presence of the local field lost", tc.p)
		}
	}
	// Both sides made the same change: no conflict.
	server.CompanyName = "B"
	res, _ := Merge3(base, &local, &server, ServerWins)
	if len(res.Conflicts) != 0 {
		t.Errorf("same change reported as conflict: %v", res.Conflicts)
	}
}

// TestOrphanInstance: a 16.x server's lone occurrence (InstanceId on the
// item) is a VEVENT with RECURRENCE-ID, and back.
func TestOrphanInstance(t *testing.T) {
	start := time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC)
	ev := &eas.Event{StartTime: start.Add(time.Hour), EndTime: start.Add(2 * time.Hour), UID: "series-uid", Subject: "one", InstanceID: start}
	cal, err := EventToICal(ev, Options{Now: goldenNow})
	if err != nil {
		t.Fatal(err)
	}
	text := encodeICal(t, cal)
	if !strings.Contains(text, "RECURRENCE-ID:20260504T070000Z") {
		t.Fatalf("no RECURRENCE-ID:\n%s", text)
	}
	back, err := ICalToEvent(decodeICal(t, text), Options{})
	if err != nil || !back.InstanceID.Equal(start) || back.UID != "series-uid" {
		t.Fatalf("back: %v %v", err, dump(back))
	}
}
