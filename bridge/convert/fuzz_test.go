package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/easbridge/easbridge/eas"
)

func addSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzICalToEvent: any calendar object converts to an event or fails
// with an error, never a panic; an event that converts converts back.
func FuzzICalToEvent(f *testing.F) {
	addSeeds(f, "testdata/ics/*.ics")
	addSeeds(f, "testdata/golden/*.ics")
	opts := Options{Now: goldenNow, Local: time.UTC}
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := ParseICal(bytes.NewReader(data))
		if err != nil || cal == nil {
			return
		}
		for _, conv := range []func() (eas.Item, error){
			func() (eas.Item, error) { return ICalToEvent(cal, opts) },
			func() (eas.Item, error) { return ICalToTask(cal, opts) },
			func() (eas.Item, error) { return ICalToNote(cal, opts) },
		} {
			it, err := conv()
			if err != nil {
				continue
			}
			back, err := ItemToICal(it, opts)
			if err != nil {
				if strings.Contains(err.Error(), "no IANA zone") {
					continue
				}
				t.Fatalf("item read from iCalendar does not convert back: %v\n%s", err, dump(it))
			}
			_ = ical.NewEncoder(&bytes.Buffer{}).Encode(back)
		}
	})
}

// FuzzEventToICal: an event decoded from arbitrary field values (a
// random blob, times, recurrence) converts without panicking, and what
// converts reads back.
func FuzzEventToICal(f *testing.F) {
	f.Add([]byte("W. Europe Standard Time"), int64(1767225600), int64(3600), uint8(1), uint8(2), uint8(5), int16(-60), true, "Subject")
	f.Add([]byte{}, int64(0), int64(0), uint8(0), uint8(0), uint8(0), int16(0), false, "")
	f.Fuzz(func(t *testing.T, blob []byte, start, dur int64, typ, dow, week uint8, bias int16, allDay bool, subject string) {
		tz := &eas.TimeZone{}
		if len(blob) == eas.TimeZoneSize {
			_ = tz.UnmarshalBinary(blob)
		} else {
			tz.StandardName = string(blob)
			tz.Bias = int32(bias)
		}
		if tz.Validate() != nil {
			return
		}
		st := time.Unix(start%(1<<34), 0).UTC()
		ev := &eas.Event{TimeZone: tz, StartTime: st, EndTime: st.Add(time.Duration(dur%(1<<20)) * time.Second),
			AllDayEvent: allDay, Subject: subject, UID: "fuzz",
			Recurrence: &eas.Recurrence{Type: eas.RecurrenceType(typ % 8), DayOfWeek: eas.DayMask(dow), WeekOfMonth: int(week % 7),
				DayOfMonth: int(week), MonthOfYear: int(dow % 14)}}
		if ev.EndTime.Before(ev.StartTime) {
			ev.EndTime = ev.StartTime
		}
		cal, err := EventToICal(ev, Options{Now: goldenNow})
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := ical.NewEncoder(&b).Encode(cal); err != nil {
			return // go-ical refuses CR/LF in values it does not escape
		}
		back, err := ical.NewDecoder(&b).Decode()
		if err != nil {
			t.Fatalf("our output does not parse: %v\n%s", err, b.String())
		}
		if _, err := ICalToEvent(back, Options{}); err != nil && !strings.Contains(err.Error(), "not representable") {
			t.Fatalf("our output does not convert back: %v\n%s", err, b.String())
		}
	})
}

// FuzzVCardToContact: any vCard converts or fails cleanly, and a
// contact read converts back to both versions.
func FuzzVCardToContact(f *testing.F) {
	addSeeds(f, "testdata/vcf/*.vcf")
	f.Fuzz(func(t *testing.T, data []byte) {
		card, err := ParseVCard(bytes.NewReader(data))
		if err != nil {
			return
		}
		c, err := VCardToContact(card, Options{})
		if err != nil {
			return
		}
		for _, v := range []string{"3.0", "4.0"} {
			out, err := ContactToVCard(c, v, Options{})
			if err != nil {
				t.Fatalf("contact does not convert back: %v", err)
			}
			_ = MergeCard(card, out)
		}
	})
}
