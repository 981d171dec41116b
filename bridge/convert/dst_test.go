package convert

import (
	"fmt"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// blobInstant converts a wall-clock time of the zone a blob describes to
// the instant, using only the blob's own rules (as an EAS server would).
func blobInstant(tz *eas.TimeZone, wall time.Time) time.Time {
	t := wall.Add(-tz.Offset(wall))
	return wall.Add(-tz.Offset(t))
}

// TestDSTWallClock: a weekly 09:00 meeting keeps 09:00 on every
// occurrence over two years of DST changes, iCal -> EAS (checked on the
// blob's rules) and EAS -> iCal (checked by expanding the RRULE).
func TestDSTWallClock(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"} {
		t.Run(zone, func(t *testing.T) {
			loc := mustLoad(t, zone)
			src := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:dst-%s\r\n"+
				"DTSTAMP:20260101T000000Z\r\nDTSTART;TZID=%s:20260105T090000\r\nDTEND;TZID=%s:20260105T100000\r\n"+
				"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=105\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", zone, zone, zone)
			ev, err := ICalToEvent(decodeICal(t, src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ev.Recurrence == nil || ev.Recurrence.Type != eas.RecurWeekly || ev.Recurrence.Occurrences != 105 {
				t.Fatalf("recurrence = %+v", ev.Recurrence)
			}
			first := ev.StartTime.In(loc)
			changes := 0
			prevOff := 0
			for k := range 105 {
				day := first.AddDate(0, 0, 7*k)
				wall := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, time.UTC)
				got := blobInstant(ev.TimeZone, wall)
				want := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, loc)
				if !got.Equal(want) {
					t.Fatalf("EAS occurrence %d: blob puts 09:00 on %s at %s, want %s", k, wall.Format("2006-01-02"), got.UTC(), want.UTC())
				}
				if _, off := want.Zone(); k > 0 && off != prevOff {
					changes++
				}
				_, prevOff = want.Zone()
			}
			if zone != "Asia/Kolkata" && changes < 4 {
				t.Fatalf("only %d offset changes in two years: the test does not cross DST", changes)
			}
			// And back: EAS -> iCal, expanded.
			cal, err := EventToICal(ev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			back := decodeICal(t, encodeICal(t, cal))
			events := back.Events()
			if len(events) != 1 {
				t.Fatalf("%d events", len(events))
			}
			set, err := events[0].RecurrenceSet(loc)
			if err != nil {
				t.Fatal(err)
			}
			occ := set.All()
			if len(occ) != 105 {
				t.Fatalf("expanded %d occurrences, want 105", len(occ))
			}
			for i, o := range occ {
				if l := o.In(loc); l.Hour() != 9 || l.Minute() != 0 || l.Weekday() != time.Monday {
					t.Fatalf("iCal occurrence %d at %s local", i, l)
				}
			}
		})
	}
}

// TestDSTFromWindowsBlob: an Outlook blob named by its Windows zone,
// converted to iCal, expands to 09:00 local on every occurrence.
func TestDSTFromWindowsBlob(t *testing.T) {
	for win, zone := range map[string]string{"W. Europe Standard Time": "Europe/Berlin", "Eastern Standard Time": "America/New_York",
		"AUS Eastern Standard Time": "Australia/Sydney", "India Standard Time": "Asia/Kolkata"} {
		loc := mustLoad(t, zone)
		tz := eas.TimeZoneFor(loc, 2026)
		tz.StandardName, tz.DaylightName = win, win
		start := time.Date(2026, 1, 5, 9, 0, 0, 0, loc)
		ev := &eas.Event{TimeZone: &tz, StartTime: start.UTC(), EndTime: start.Add(time.Hour).UTC(), UID: "w",
			Recurrence: &eas.Recurrence{Type: eas.RecurWeekly, DayOfWeek: eas.Monday, Until: start.AddDate(2, 0, 0).UTC()}}
		cal, err := EventToICal(ev, Options{})
		if err != nil {
			t.Fatal(err)
		}
		text := encodeICal(t, cal)
		back := decodeICal(t, text)
		if got := back.Events()[0].Props.Get("DTSTART").Params.Get("TZID"); got != zone {
			t.Fatalf("%s: TZID %q, want %q", win, got, zone)
		}
		set, err := back.Events()[0].RecurrenceSet(loc)
		if err != nil {
			t.Fatal(err)
		}
		occ := set.All()
		if len(occ) < 104 {
			t.Fatalf("%s: %d occurrences", win, len(occ))
		}
		for _, o := range occ {
			if o.In(loc).Hour() != 9 {
				t.Fatalf("%s: occurrence at %s", win, o.In(loc))
			}
		}
	}
}
