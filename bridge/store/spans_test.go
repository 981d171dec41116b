package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestTimeRange stores each testdata/*.ics object and checks which time
// ranges find it through the index.
func TestTimeRange(t *testing.T) {
	tests := []struct {
		file       string
		start, end string
		want       bool
	}{
		// Weekly at 10:00 Berlin (09:00Z in winter), COUNT=10; the 12 Jan
		// instance moved to 14 Jan 15:00 Berlin, the 19 Jan one excluded.
		{"recurring-override.ics", "2026-01-05T09:00:00Z", "2026-01-05T09:00:01Z", true},
		{"recurring-override.ics", "2026-01-12T09:00:00Z", "2026-01-12T10:00:00Z", false},
		{"recurring-override.ics", "2026-01-14T14:00:00Z", "2026-01-14T15:00:00Z", true},
		{"recurring-override.ics", "2026-01-19T00:00:00Z", "2026-01-20T00:00:00Z", false},
		{"recurring-override.ics", "2026-01-26T09:30:00Z", "2026-01-26T09:31:00Z", true},
		{"recurring-override.ics", "2026-01-26T10:00:00Z", "2026-01-26T11:00:00Z", false},
		{"recurring-override.ics", "2026-03-09T08:00:00Z", "2026-03-09T09:00:01Z", true},
		{"recurring-override.ics", "2026-03-16T00:00:00Z", "2026-03-17T00:00:00Z", false},
		// All-day DATE events cover their UTC day.
		{"allday.ics", "2026-03-10T23:00:00Z", "2026-03-11T01:00:00Z", true},
		{"allday.ics", "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z", false},
		{"allday.ics", "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z", false},
		// A Mozilla-prefixed TZID resolves to its IANA zone.
		{"mozilla-tzid.ics", "2026-06-01T13:00:00Z", "2026-06-01T13:01:00Z", true},
		{"mozilla-tzid.ics", "2026-06-01T12:00:00Z", "2026-06-01T13:00:00Z", false},
		// An unknown TZID widens the span by 14 hours either way.
		{"unknown-tzid.ics", "2026-06-01T20:00:00Z", "2026-06-01T21:00:00Z", true},
		{"unknown-tzid.ics", "2026-06-03T00:00:00Z", "2026-06-04T00:00:00Z", false},
		// A daily series without end: expanded at first, then open.
		{"daily-forever.ics", "2020-06-01T08:10:00Z", "2020-06-01T08:11:00Z", true},
		{"daily-forever.ics", "2020-06-01T09:00:00Z", "2020-06-01T10:00:00Z", false},
		{"daily-forever.ics", "2031-05-10T08:05:00Z", "2031-05-10T08:06:00Z", true},
		{"daily-forever.ics", "2019-12-25T12:05:00Z", "2019-12-25T12:06:00Z", true},
		{"daily-forever.ics", "2019-12-27T00:00:00Z", "2019-12-28T00:00:00Z", false},
		// Tasks: DUE only; no dates at all matches everything.
		{"task-due.ics", "2026-04-01T16:00:00Z", "2026-04-01T17:00:00Z", true},
		{"task-due.ics", "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z", false},
		{"task-nodate.ics", "1999-01-01T00:00:00Z", "1999-01-02T00:00:00Z", true},
		// Floating time is read as UTC.
		{"floating.ics", "2026-07-01T12:00:00Z", "2026-07-01T12:30:00Z", true},
		{"floating.ics", "2026-07-01T13:00:00Z", "2026-07-01T14:00:00Z", false},
		// An instant matches a range starting exactly at it, not one ending there.
		{"instant.ics", "2026-08-01T12:00:00Z", "2026-08-01T13:00:00Z", true},
		{"instant.ics", "2026-08-01T11:00:00Z", "2026-08-01T12:00:00Z", false},
	}
	ctx := context.Background()
	s := openTest(t)
	mustCollection(t, s, "cal", KindEvents)
	files, _ := filepath.Glob("testdata/*.ics")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PutObject(ctx, "cal", filepath.Base(f), PutInput{Data: data, UID: filepath.Base(f)}, Conditions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		objs, err := s.QueryTimeRange(ctx, "cal", utc(tt.start), utc(tt.end))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(","+names(objs)+",", ","+tt.file+",")
		if got != tt.want {
			t.Errorf("%s in [%s, %s): found=%v, want %v", tt.file, tt.start, tt.end, got, tt.want)
		}
	}
	// Unbounded queries find everything.
	objs, err := s.QueryTimeRange(ctx, "cal", time.Time{}, time.Time{})
	if err != nil || len(objs) != len(files) {
		t.Errorf("unbounded query found %d of %d (%v)", len(objs), len(files), err)
	}
}

func TestSpansBounded(t *testing.T) {
	data, _ := os.ReadFile("testdata/daily-forever.ics")
	spans, err := Spans(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != maxOccurrences+1 || !spans[maxOccurrences].End.IsZero() {
		t.Errorf("got %d spans, last %+v; want %d with an open tail", len(spans), spans[len(spans)-1], maxOccurrences+1)
	}
	seen := map[time.Time]bool{}
	for _, sp := range spans[:maxOccurrences] {
		if seen[sp.Start] {
			t.Errorf("occurrence %v expanded twice", sp.Start)
		}
		seen[sp.Start] = true
	}
}

// Data the index cannot read falls back to the span the caller gave.
func TestUnreadableDataUsesFallback(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustCollection(t, s, "cal", KindEvents)
	bad := []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:garbage\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	fb := Span{utc("2026-02-01T00:00:00Z"), utc("2026-02-02T00:00:00Z")}
	if _, _, err := s.PutObject(ctx, "cal", "x.ics", PutInput{Data: bad, UID: "x", Fallback: fb}, Conditions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		start, end string
		want       int
	}{{"2026-02-01T12:00:00Z", "2026-02-01T13:00:00Z", 1}, {"2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", 0}} {
		objs, _ := s.QueryTimeRange(ctx, "cal", utc(r.start), utc(r.end))
		if len(objs) != r.want {
			t.Errorf("[%s, %s): %d objects, want %d", r.start, r.end, len(objs), r.want)
		}
	}
}

func FuzzSpans(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.ics")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spans, err := Spans(data)
		if err != nil {
			return
		}
		if len(spans) == 0 {
			t.Error("no spans: an object must be findable")
		}
		for _, sp := range spans {
			if lo, hi := sp.bounds(); lo >= hi {
				t.Errorf("empty span %+v", sp)
			}
		}
	})
}
