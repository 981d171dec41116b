package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

var goldenNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// TestGoldenICS converts each testdata/ics file to EAS (golden
// NAME.eas.txt) and back (golden NAME.out.ics).
func TestGoldenICS(t *testing.T) {
	files, _ := filepath.Glob("testdata/ics/*.ics")
	if len(files) == 0 {
		t.Fatal("no testdata/ics files")
	}
	opts := Options{ServerID: "2:1", Now: goldenNow, Local: mustLoad(t, "Europe/Berlin"), Self: "alice@example.com"}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".ics")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			cal := decodeICal(t, string(src))
			var item eas.Item
			switch {
			case firstComponent(cal, "VTODO") != nil:
				item, err = ICalToTask(cal, opts)
			case firstComponent(cal, "VJOURNAL") != nil:
				item, err = ICalToNote(cal, opts)
			default:
				item, err = ICalToEvent(cal, opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".eas.txt", dump(item))
			out, err := ItemToICal(item, opts)
			if err != nil {
				t.Fatal(err)
			}
			text := encodeICal(t, out)
			golden(t, name+".out.ics", text)
			// iCal -> EAS -> iCal -> EAS: the second EAS item is the first.
			var again eas.Item
			switch item.(type) {
			case *eas.Task:
				again, err = ICalToTask(decodeICal(t, text), opts)
			case *eas.Note:
				again, err = ICalToNote(decodeICal(t, text), opts)
			default:
				again, err = ICalToEvent(decodeICal(t, text), opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := Diff(item, again); len(d) > 0 {
				t.Errorf("fields %v changed on the second pass:\n--- got\n%s\n--- want\n%s", d, dump(again), dump(item))
			}
		})
	}
}

// TestGoldenVCF converts each testdata/vcf file to EAS and back to both
// vCard versions.
func TestGoldenVCF(t *testing.T) {
	files, _ := filepath.Glob("testdata/vcf/*.vcf")
	if len(files) == 0 {
		t.Fatal("no testdata/vcf files")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".vcf")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := VCardToContact(decodeVCard(t, string(src)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".eas.txt", dump(c))
			for _, v := range []string{"3.0", "4.0"} {
				card, err := ContactToVCard(c, v, Options{ServerID: "3:" + name})
				if err != nil {
					t.Fatal(err)
				}
				text := encodeVCard(t, card)
				golden(t, name+".out"+v[:1]+".vcf", text)
				again, err := VCardToContact(decodeVCard(t, text), Options{})
				if err != nil {
					t.Fatal(err)
				}
				if d, _ := Diff(c, again); len(d) > 0 {
					t.Errorf("vCard %s: fields %v changed on the second pass", v, d)
				}
			}
		})
	}
}

// goldenEvents are EAS events, one per recurrence pattern, in the blob
// form servers send (Windows names), converted to golden ICS.
func goldenEvents(t *testing.T) map[string]*eas.Event {
	berlin := mustLoad(t, "Europe/Berlin")
	tz := eas.TimeZoneFor(berlin, 2026)
	tz.StandardName, tz.DaylightName = "W. Europe Standard Time", "W. Europe Daylight Time"
	start := time.Date(2026, 3, 10, 9, 0, 0, 0, berlin) // a Tuesday, second of the month
	base := func(r *eas.Recurrence) *eas.Event {
		ev := &eas.Event{TimeZone: &tz, StartTime: start.UTC(), EndTime: start.Add(time.Hour).UTC(), Subject: "Pattern",
			UID: "golden-uid", DtStamp: goldenNow, BusyStatus: eas.BusyBusy, Reminder: 10, Recurrence: r}
		ev.Fields.Set(wbxml.CalendarReminder, wbxml.CalendarBusyStatus)
		return ev
	}
	out := map[string]*eas.Event{
		"daily":            base(&eas.Recurrence{Type: eas.RecurDaily, Interval: 2, Occurrences: 10}),
		"daily-weekdays":   base(&eas.Recurrence{Type: eas.RecurDaily, DayOfWeek: 62, Until: start.AddDate(0, 1, 0).UTC()}),
		"weekly":           base(&eas.Recurrence{Type: eas.RecurWeekly, DayOfWeek: eas.Tuesday | eas.Thursday, Interval: 2, FirstDayOfWeek: 1}),
		"monthly":          base(&eas.Recurrence{Type: eas.RecurMonthly, DayOfMonth: 10, Occurrences: 12}),
		"monthly-nth":      base(&eas.Recurrence{Type: eas.RecurMonthlyNth, DayOfWeek: eas.Tuesday, WeekOfMonth: 2}),
		"monthly-last":     base(&eas.Recurrence{Type: eas.RecurMonthlyNth, DayOfWeek: eas.Tuesday, WeekOfMonth: 5}),
		"monthly-last-day": base(&eas.Recurrence{Type: eas.RecurMonthlyNth, DayOfWeek: 127, WeekOfMonth: 5}),
		"yearly":           base(&eas.Recurrence{Type: eas.RecurYearly, DayOfMonth: 10, MonthOfYear: 3}),
		"yearly-nth":       base(&eas.Recurrence{Type: eas.RecurYearlyNth, DayOfWeek: eas.Tuesday, WeekOfMonth: 2, MonthOfYear: 3, Interval: 1}),
	}
	out["weekly"].Recurrence.Fields.Set(wbxml.CalendarFirstDayOfWeek)
	ex := out["weekly"]
	moved := eas.Exception{ExceptionStartTime: start.AddDate(0, 0, 14).UTC()}
	moved.StartTime, moved.EndTime = start.AddDate(0, 0, 15).UTC(), start.AddDate(0, 0, 15).Add(time.Hour).UTC()
	moved.Subject = "Pattern (moved)"
	moved.Fields.Set(wbxml.CalendarStartTime, wbxml.CalendarEndTime, wbxml.CalendarSubject)
	moved.Fields.SetEmpty(wbxml.CalendarReminder)
	inst := eas.Exception{Deleted: true}
	inst.InstanceID = start.AddDate(0, 0, 28).UTC() // the 16.x form
	ex.Exceptions = []eas.Exception{moved, inst}
	allDay := base(nil)
	allDay.AllDayEvent = true
	allDay.StartTime = time.Date(2026, 3, 10, 0, 0, 0, 0, berlin).UTC()
	allDay.EndTime = allDay.StartTime.AddDate(0, 0, 1)
	out["allday-single"] = allDay
	zero := base(nil)
	zero.TimeZone = &eas.TimeZone{}
	out["zero-blob"] = zero
	return out
}

func TestGoldenEASEvents(t *testing.T) {
	for name, ev := range goldenEvents(t) {
		t.Run(name, func(t *testing.T) {
			cal, err := EventToICal(ev, Options{Now: goldenNow})
			if err != nil {
				t.Fatal(err)
			}
			text := encodeICal(t, cal)
			golden(t, "eas-"+name+".ics", text)
			back, err := ICalToEvent(decodeICal(t, text), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := effective(t, ev), effective(t, back); a != b {
				t.Errorf("round trip differs:\n--- got\n%s\n--- want\n%s", b, a)
			}
		})
	}
}
