package convert

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

var genZones = []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC", "America/Sao_Paulo", "Asia/Tokyo"}

// gen builds random items whose every field is one both sides can
// represent.
type gen struct{ r *rand.Rand }

func (g gen) pick(n int) int { return g.r.IntN(n) }

func (g gen) word() string {
	words := []string{"Review", "Standup", "Planning", "Café", "naïve", "Zoë", "東京", "a;b", "x,y", `back\slash`, "line\nbreak", "Ümläut"}
	return words[g.pick(len(words))]
}

func (g gen) text(n int) string {
	s := g.word()
	for range g.pick(n) {
		s += " " + g.word()
	}
	return s
}

func (g gen) event(t testing.TB) *eas.Event {
	loc := mustLoad(t, genZones[g.pick(len(genZones))])
	year := 2025 + g.pick(3)
	blob := BlobFor(loc, year)
	allDay := g.pick(4) == 0
	var start time.Time
	if allDay {
		start = time.Date(year, time.Month(1+g.pick(12)), 1+g.pick(28), 0, 0, 0, 0, loc)
	} else {
		start = time.Date(year, time.Month(1+g.pick(12)), 1+g.pick(28), 6+g.pick(14), 15*g.pick(4), 0, 0, loc)
	}
	dur := time.Duration(1+g.pick(8)) * 30 * time.Minute
	end := start.Add(dur)
	if allDay {
		end = start.AddDate(0, 0, 1+g.pick(3))
	}
	ev := &eas.Event{TimeZone: blob, AllDayEvent: allDay, StartTime: start.UTC(), EndTime: end.UTC(),
		DtStamp: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Subject: g.text(3), UID: fmt.Sprintf("uid-%d@example.com", g.r.Int()),
		Sensitivity: eas.Sensitivity(g.pick(4)), BusyStatus: eas.BusyStatus(g.pick(5))}
	ev.Fields.Set(wbxml.CalendarSensitivity, wbxml.CalendarBusyStatus)
	if g.pick(2) == 0 {
		ev.Location = &eas.Location{DisplayName: g.text(2)}
		if g.pick(2) == 0 {
			ev.Location.City, ev.Location.Street = "Berlin", "Unter den Linden 1"
			ev.Location.Latitude, ev.Location.Longitude = 52.5170365, 13.3888599
		}
	}
	if g.pick(2) == 0 {
		ev.Body = eas.NewBody(eas.BodyPlain, []byte(g.text(10)))
	}
	if g.pick(2) == 0 {
		ev.Reminder = 5 * g.pick(13)
		ev.Fields.Set(wbxml.CalendarReminder)
	}
	if g.pick(2) == 0 {
		ev.Categories = []string{g.word(), "Blue Category"}
	}
	if g.pick(2) == 0 {
		ev.OrganizerName, ev.OrganizerEmail = "Olga Organiser", "olga@example.com"
		ev.MeetingStatus = []eas.MeetingStatus{1, 3, 5, 7}[g.pick(4)]
		ev.ResponseRequested = true
		for i := range 1 + g.pick(4) {
			ev.Attendees = append(ev.Attendees, eas.Attendee{Email: fmt.Sprintf("a%d@example.com", i), Name: g.text(1),
				Type: eas.AttendeeType(1 + g.pick(3)), Status: []eas.ResponseType{0, 2, 3, 4, 5}[g.pick(5)]})
		}
		ev.DisallowNewTimeProposal = g.pick(2) == 0
	}
	if g.pick(3) != 0 {
		g.recur(ev, start, loc)
	}
	return ev
}

func (g gen) recurrence(start time.Time) *eas.Recurrence {
	r := &eas.Recurrence{Type: []eas.RecurrenceType{0, 1, 2, 3, 5, 6}[g.pick(6)], Interval: g.pick(3)}
	switch r.Type {
	case eas.RecurDaily:
		if g.pick(2) == 0 {
			r.DayOfWeek = 62
		}
	case eas.RecurWeekly:
		r.DayOfWeek = eas.MaskOf(start.Weekday()) | eas.DayMask(g.r.IntN(128))
	case eas.RecurMonthly:
		r.DayOfMonth = start.Day()
	case eas.RecurMonthlyNth, eas.RecurYearlyNth:
		r.DayOfWeek, r.WeekOfMonth = eas.MaskOf(start.Weekday()), 1+g.pick(5)
		if g.pick(4) == 0 {
			r.DayOfWeek = []eas.DayMask{62, 65, 127}[g.pick(3)]
		}
	case eas.RecurYearly:
		r.DayOfMonth = start.Day()
	}
	if r.Type == eas.RecurYearly || r.Type == eas.RecurYearlyNth {
		r.MonthOfYear = int(start.Month())
	}
	switch g.pick(3) {
	case 0:
		r.Occurrences = 2 + g.pick(30)
	case 1:
		r.Until = start.AddDate(1, 0, 0).UTC()
	}
	if g.pick(2) == 0 {
		r.FirstDayOfWeek = g.pick(7)
		r.Fields.Set(wbxml.CalendarFirstDayOfWeek)
	}
	return r
}

func (g gen) recur(ev *eas.Event, start time.Time, loc *time.Location) {
	ev.Recurrence = g.recurrence(start)
	step := func(k int) time.Time { return start.AddDate(0, 0, 7*k) } // not real occurrences: EAS does not check
	ev.Exceptions = []eas.Exception{}
	for k := range g.pick(4) {
		orig := step(k + 1)
		ex := eas.Exception{ExceptionStartTime: orig.UTC()}
		if g.pick(2) == 0 {
			ex.Deleted = true
		} else {
			ex.StartTime = orig.Add(time.Hour).UTC()
			ex.EndTime = ex.StartTime.Add(ev.EndTime.Sub(ev.StartTime))
			if ev.AllDayEvent {
				ex.StartTime, ex.EndTime = orig.UTC(), orig.AddDate(0, 0, 1).UTC()
			}
			ex.Fields.Set(wbxml.CalendarStartTime, wbxml.CalendarEndTime)
			if g.pick(2) == 0 {
				ex.Subject = ev.Subject + " (moved)"
				ex.Fields.Set(wbxml.CalendarSubject)
			}
			if g.pick(3) == 0 && ev.Fields.Has(wbxml.CalendarReminder) {
				ex.Fields.SetEmpty(wbxml.CalendarReminder)
			}
		}
		ev.Exceptions = append(ev.Exceptions, ex)
	}
	_ = loc
}

// effective is what an event means, for comparing round trips: the
// exceptions resolved against the series, defaults filled, bookkeeping
// dropped.
func effective(t testing.TB, ev *eas.Event) string {
	e := *ev
	loc, err := ZoneOf(e.TimeZone, e.StartTime.Year(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.TimeZone = nil
	var exs []string
	for i := range ev.Exceptions {
		ex := &ev.Exceptions[i]
		orig := ex.ExceptionStartTime
		if orig.IsZero() {
			orig = ex.InstanceID
		}
		if ex.Deleted {
			exs = append(exs, "deleted "+orig.UTC().Format(time.RFC3339))
			continue
		}
		x := effectiveException(ev, ex, orig)
		exs = append(exs, "modified "+orig.UTC().Format(time.RFC3339)+"\n"+effective(t, x))
	}
	slices.Sort(exs)
	e.Exceptions = nil
	e.Fields = eas.Fields{}
	if ev.Fields.Has(wbxml.CalendarReminder) && !ev.Fields.IsEmpty(wbxml.CalendarReminder) {
		e.Fields.Set(wbxml.CalendarReminder)
	} else {
		e.Reminder = 0
	}
	if r := e.Recurrence; r != nil {
		c := *r
		c.Fields = eas.Fields{}
		if c.Interval == 1 {
			c.Interval = 0
		}
		start := e.StartTime.In(loc)
		if c.DayOfMonth == 0 && (c.Type == eas.RecurMonthly || c.Type == eas.RecurYearly) {
			c.DayOfMonth = start.Day()
		}
		if c.MonthOfYear == 0 && c.Type >= eas.RecurYearly {
			c.MonthOfYear = int(start.Month())
		}
		if e.AllDayEvent && !c.Until.IsZero() {
			c.Until = dayOf(c.Until, loc)
		}
		e.Recurrence = &c
	}
	if len(e.Attendees) == 0 {
		e.ResponseRequested = false
	}
	attendees := slices.Clone(e.Attendees)
	for i := range attendees {
		attendees[i].Fields = eas.Fields{}
		if attendees[i].Status == eas.ResponseOrganizer {
			attendees[i].Status = 0
		}
	}
	e.Attendees = attendees
	if e.Location != nil {
		l := *e.Location
		l.Fields = eas.Fields{}
		e.Location = &l
	}
	return "zone " + loc.String() + "\n" + dump(&e) + fmt.Sprint(exs)
}

func TestRoundTripEvents(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	g := gen{r}
	opts := Options{Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range 500 {
		ev := g.event(t)
		cal, err := EventToICal(ev, opts)
		if err != nil {
			t.Fatalf("item %d: EventToICal: %v\n%s", i, err, dump(ev))
		}
		text := encodeICal(t, cal)
		back, err := ICalToEvent(decodeICal(t, text), opts)
		if err != nil {
			t.Fatalf("item %d: ICalToEvent: %v\n%s", i, err, text)
		}
		if a, b := effective(t, ev), effective(t, back); a != b {
			t.Fatalf("item %d: EAS -> iCal -> EAS differs:\n%s\n--- got\n%s\n--- want\n%s", i, text, b, a)
		}
		cal2, err := EventToICal(back, opts)
		if err != nil {
			t.Fatal(err)
		}
		if text2 := encodeICal(t, cal2); text2 != text {
			t.Fatalf("item %d: iCal -> EAS -> iCal differs:\n--- got\n%s\n--- want\n%s", i, text2, text)
		}
	}
}
