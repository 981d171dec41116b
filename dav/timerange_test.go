package dav

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func utc(s string) time.Time {
	t, err := time.Parse("20060102T150405Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSpan(t *testing.T) {
	tests := []struct {
		fixture    string
		start, end string // "" = zero
	}{
		{"ics/simple.ics", "20260310T090000Z", "20260310T100000Z"},
		{"ics/allday.ics", "20260320T000000Z", "20260321T000000Z"},
		// Six Mondays from 2026-03-02 10:00 Berlin; the last, 04-06, is in
		// summer time (08:00Z), one hour long.
		{"ics/recurring.ics", "20260302T090000Z", "20260406T090000Z"},
		{"ics/infinite.ics", "20250101T080000Z", ""},
		{"ics/todo.ics", "20260315T170000Z", "20260315T170000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			start, end, err := Span([]byte(readFixture(t, tt.fixture)))
			if err != nil {
				t.Fatal(err)
			}
			wantStart := utc(tt.start).Add(-spanSlack)
			if !start.Equal(wantStart) {
				t.Errorf("start %v, want %v", start, wantStart)
			}
			var wantEnd time.Time
			if tt.end != "" {
				wantEnd = utc(tt.end).Add(spanSlack)
			}
			if !end.Equal(wantEnd) {
				t.Errorf("end %v, want %v", end, wantEnd)
			}
		})
	}
	// A todo without any date has no span: always a candidate.
	undated := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:u\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
	if s, e, err := Span([]byte(undated)); err != nil || !s.IsZero() || !e.IsZero() {
		t.Errorf("undated todo: %v %v %v", s, e, err)
	}
	if _, _, err := Span([]byte("garbage")); err == nil {
		t.Error("garbage has a span")
	}
}

// event builds a one-component calendar from property lines.
func component(name string, lines ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:" + name + "\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\n" +
		strings.Join(lines, "\r\n") + "\r\nEND:" + name + "\r\nEND:VCALENDAR\r\n"
}

// TestTimeRangeRules checks the RFC 4791 9.9 tables row by row.
func TestTimeRangeRules(t *testing.T) {
	tests := []struct {
		name       string
		ics        string
		start, end string
		want       bool
	}{
		{"event dtend inside", component("VEVENT", "DTSTART:20260101T100000Z", "DTEND:20260101T110000Z"), "20260101T103000Z", "20260101T120000Z", true},
		{"event range ends at start", component("VEVENT", "DTSTART:20260101T100000Z", "DTEND:20260101T110000Z"), "20260101T090000Z", "20260101T100000Z", false},
		{"event range starts at end", component("VEVENT", "DTSTART:20260101T100000Z", "DTEND:20260101T110000Z"), "20260101T110000Z", "20260101T120000Z", false},
		{"event duration", component("VEVENT", "DTSTART:20260101T100000Z", "DURATION:PT2H"), "20260101T115900Z", "20260101T120000Z", true},
		{"instant event at range start", component("VEVENT", "DTSTART:20260101T100000Z"), "20260101T100000Z", "20260101T110000Z", true},
		{"instant event at range end", component("VEVENT", "DTSTART:20260101T100000Z"), "20260101T090000Z", "20260101T100000Z", false},
		{"date event no end is one day", component("VEVENT", "DTSTART;VALUE=DATE:20260101"), "20260101T235900Z", "20260102T000000Z", true},
		{"date event next day", component("VEVENT", "DTSTART;VALUE=DATE:20260101"), "20260102T000000Z", "20260102T010000Z", false},
		{"open start", component("VEVENT", "DTSTART:20260101T100000Z", "DTEND:20260101T110000Z"), "", "20260101T103000Z", true},
		{"open end", component("VEVENT", "DTSTART:20260101T100000Z", "DTEND:20260101T110000Z"), "20260101T103000Z", "", true},
		{"floating time read as UTC", component("VEVENT", "DTSTART:20260101T100000", "DTEND:20260101T110000"), "20260101T100000Z", "20260101T100100Z", true},
		{"tzid", component("VEVENT", "DTSTART;TZID=America/New_York:20260101T100000", "DURATION:PT1H"), "20260101T150000Z", "20260101T150100Z", true},
		{"mozilla tzid prefix", component("VEVENT", "DTSTART;TZID=/mozilla.org/20050126_1/America/New_York:20260101T100000", "DURATION:PT1H"), "20260101T150000Z", "20260101T150100Z", true},
		{"unknown tzid read as UTC", component("VEVENT", "DTSTART;TZID=W. Europe Standard Time:20260101T100000", "DURATION:PT1H"), "20260101T100000Z", "20260101T100100Z", true},
		{"exdate by date", component("VEVENT", "DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=DAILY;COUNT=3", "EXDATE;VALUE=DATE:20260102"), "20260102T000000Z", "20260103T000000Z", false},
		{"rdate", component("VEVENT", "DTSTART:20260101T100000Z", "DURATION:PT1H", "RDATE:20260201T100000Z"), "20260201T100000Z", "20260201T100100Z", true},
		{"until", component("VEVENT", "DTSTART:20260101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;UNTIL=20260103T100000Z"), "20260104T100000Z", "20260104T100100Z", false},
		{"daily for years", component("VEVENT", "DTSTART:20150101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;INTERVAL=3"), "20400101T103000Z", "20400101T103100Z", false},
		{"daily for years, hit", component("VEVENT", "DTSTART:20150101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;INTERVAL=3"), "20400102T103000Z", "20400102T103100Z", true},
		{"weekly from a Wednesday, a Monday years later", component("VEVENT", "DTSTART;TZID=Europe/Berlin:20150107T100000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE"), "20260302T090000Z", "20260302T091000Z", true},
		{"weekly, summer time kept", component("VEVENT", "DTSTART;TZID=Europe/Berlin:20150107T100000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE"), "20260706T090000Z", "20260706T091000Z", false},
		{"weekly, summer time instance", component("VEVENT", "DTSTART;TZID=Europe/Berlin:20150107T100000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE"), "20260706T080000Z", "20260706T081000Z", true},
		{"long instance started before range", component("VEVENT", "DTSTART:20150101T100000Z", "DURATION:P2D", "RRULE:FREQ=WEEKLY"), "20260102T000000Z", "20260102T000100Z", true},
		{"todo start+duration", component("VTODO", "DTSTART:20260101T100000Z", "DURATION:PT1H"), "20260101T110000Z", "20260101T120000Z", true},
		{"todo start+due", component("VTODO", "DTSTART:20260101T100000Z", "DUE:20260101T120000Z"), "20260101T120000Z", "20260101T130000Z", false},
		{"todo start only", component("VTODO", "DTSTART:20260101T100000Z"), "20260101T100000Z", "20260101T100100Z", true},
		{"todo due only, range ends at due", component("VTODO", "DUE:20260101T100000Z"), "20260101T090000Z", "20260101T100000Z", true},
		{"todo completed", component("VTODO", "COMPLETED:20260101T100000Z"), "20260101T100000Z", "20260101T100100Z", true},
		{"todo created only", component("VTODO", "CREATED:20260101T100000Z"), "20260101T100000Z", "20260101T100100Z", true},
		{"todo created only, range before", component("VTODO", "CREATED:20260101T100000Z"), "20251201T100000Z", "20260101T100000Z", false},
		{"todo nothing", component("VTODO", "SUMMARY:x"), "20000101T000000Z", "20000101T000100Z", true},
		{"journal date", component("VJOURNAL", "DTSTART;VALUE=DATE:20260101"), "20260101T120000Z", "20260101T130000Z", true},
		{"journal none", component("VJOURNAL", "SUMMARY:x"), "20260101T120000Z", "20260101T130000Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal, err := ical.NewDecoder(strings.NewReader(tt.ics)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			var r timeRange
			if tt.start != "" {
				r.start = utc(tt.start)
			}
			if tt.end != "" {
				r.end = utc(tt.end)
			}
			got, err := componentsMatchRange(cal.Children, r)
			if err != nil || got != tt.want {
				t.Fatalf("got %v (%v), want %v", got, err, tt.want)
			}
			// The index never hides a match.
			if tt.want {
				s, e, err := Span([]byte(tt.ics))
				if err != nil {
					t.Fatal(err)
				}
				if (!s.IsZero() && !r.end.IsZero() && !s.Before(r.end)) || (!e.IsZero() && !r.start.IsZero() && !e.After(r.start)) {
					t.Errorf("span [%v, %v) misses the range", s, e)
				}
			}
		})
	}
}

func TestRecurrenceGuards(t *testing.T) {
	refused := []string{
		"FREQ=SECONDLY", "FREQ=MINUTELY;COUNT=5", "FREQ=HOURLY;INTERVAL=2", "FREQ=BOGUS",
		// BYMONTHDAY beyond every BYMONTH: refused without searching.
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
		"FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-30",
		// Never matches, found by searching up to the horizon.
		"FREQ=YEARLY;BYMONTH=1;BYDAY=1MO;BYSETPOS=2",
	}
	for _, rule := range refused {
		ics := component("VEVENT", "DTSTART:20260101T100000Z", "RRULE:"+rule)
		if _, err := validateCalendar([]byte(ics), KindEvents); err == nil {
			t.Errorf("RRULE:%s accepted", rule)
		}
	}
	for _, rule := range []string{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=DAILY;COUNT=1"} {
		ics := component("VEVENT", "DTSTART:20240229T100000Z", "RRULE:"+rule)
		if _, err := validateCalendar([]byte(ics), KindEvents); err != nil {
			t.Errorf("RRULE:%s refused: %v", rule, err)
		}
	}
}

// FuzzCalendar feeds arbitrary bodies to the PUT validator and, for those
// it accepts, to the time-range matcher: neither may panic, and an
// accepted object's span must hold every instance the matcher sees.
func FuzzCalendar(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "ics", "*.ics"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(component("VEVENT", "DTSTART:20260101T100000Z", "RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO,TU")))
	probes := []timeRange{
		{utc("20260101T000000Z"), utc("20260201T000000Z")},
		{utc("19700101T000000Z"), utc("19700102T000000Z")},
		{time.Time{}, utc("20260101T000000Z")},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := validateCalendar(data, KindEvents)
		if err != nil {
			return
		}
		cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
		if err != nil {
			t.Fatalf("validator accepted what the decoder refuses: %v", err)
		}
		for _, r := range probes {
			if !r.start.IsZero() {
				if out, err := expandCalendar(data, r); err == nil {
					if _, err := decodeCalendar(out); err != nil {
						t.Fatalf("expanded calendar does not parse: %v", err)
					}
				}
			}
			var comps []*ical.Component
			for _, c := range cal.Children {
				if c.Name == ical.CompEvent {
					comps = append(comps, c)
				}
			}
			match, err := componentsMatchRange(comps, r)
			if err != nil || !match {
				continue
			}
			if in.Start.IsZero() && in.End.IsZero() {
				continue
			}
			if (!in.Start.IsZero() && !r.end.IsZero() && !in.Start.Before(r.end)) ||
				(!in.End.IsZero() && !r.start.IsZero() && !in.End.After(r.start)) {
				t.Fatalf("span [%v, %v) misses a match in [%v, %v)", in.Start, in.End, r.start, r.end)
			}
		}
	})
}

// FuzzCard feeds arbitrary bodies to the vCard validator and the
// addressbook-query prefilter: no panic, and the prefilter never rejects
// a card the full matcher accepts.
func FuzzCard(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "vcf", "*.vcf"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err == nil {
			f.Add(data, "alice")
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, needle string) {
		if _, err := validateCard(data); err != nil {
			return
		}
		cards, err := decodeCards(data, 1)
		if err != nil || len(cards) == 0 {
			t.Fatalf("validator accepted what the decoder refuses: %v", err)
		}
		for _, name := range []string{"FN", "EMAIL", "NOTE"} {
			filter := &cardFilter{PropFilters: []cardPropFilter{{Name: name, TextMatches: []textMatch{{Text: needle}}}}}
			if matchCard(filter, cards[0]) && !newCardPrefilter(filter).mayMatch(data) {
				t.Fatalf("prefilter drops a match of %q in %s", needle, name)
			}
		}
	})
}
