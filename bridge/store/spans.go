package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// Span is a UTC interval [Start, End) during which an object occurs. A
// zero Start is unbounded before, a zero End unbounded after.
type Span struct {
	Start, End time.Time
}

// maxOccurrences bounds the expansion of one recurring series; what lies
// beyond is indexed as one open span.
const maxOccurrences = 1000

// longSpan (seconds) separates short spans, found by a bounded index scan
// on their start, from long ones, scanned on their own.
const longSpan = 31 * 24 * 3600

// floatingSlack widens spans whose times could not be pinned to a zone
// (an unknown TZID), by the largest UTC offset in use.
const floatingSlack = 14 * time.Hour

func (sp Span) bounds() (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if !sp.Start.IsZero() {
		lo = sp.Start.Unix()
	}
	if !sp.End.IsZero() {
		hi = sp.End.Unix()
		if hi <= lo {
			hi = lo + 1 // an instant still occupies its second
		}
	}
	return lo, hi
}

// objectSpans computes the spans of a calendar object, or falls back to
// fallback when the data cannot be read. Address books have no spans.
func objectSpans(kind Kind, data []byte, fallback Span, log *slog.Logger) []Span {
	if kind == KindContacts || kind == KindMail {
		return nil
	}
	spans, err := Spans(data)
	if err != nil {
		log.Warn("store cannot index object, using whole-object span", "err", err)
		return []Span{fallback}
	}
	return spans
}

// Spans computes the UTC spans of every occurrence of the events, tasks or
// journal entries in an iCalendar object: recurrences are expanded (RRULE,
// RDATE, EXDATE, RECURRENCE-ID overrides) up to maxOccurrences, beyond
// which one open span stands for the rest. TZIDs are IANA names (looked up
// directly, or by their last path elements as some clients prefix them);
// floating times and DATE values are taken as UTC. A component without
// dates yields a span open on both sides.
func Spans(data []byte) ([]Span, error) {
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, fmt.Errorf("store: parsing iCalendar: %w", err)
	}
	var spans []Span
	overridden := map[string][]time.Time{} // UID -> RECURRENCE-IDs
	for _, comp := range cal.Children {
		if !isCalendarComponent(comp.Name) || comp.Props.Get(ical.PropRecurrenceID) == nil {
			continue
		}
		rid, _, err := propTime(comp.Props.Get(ical.PropRecurrenceID))
		if err != nil {
			return nil, err
		}
		uid := propText(comp, ical.PropUID)
		overridden[uid] = append(overridden[uid], rid)
	}
	for _, comp := range cal.Children {
		if !isCalendarComponent(comp.Name) {
			continue
		}
		cs, err := componentSpans(comp, overridden[propText(comp, ical.PropUID)])
		if err != nil {
			return nil, fmt.Errorf("store: %s %q: %w", comp.Name, propText(comp, ical.PropUID), err)
		}
		spans = append(spans, cs...)
	}
	if len(spans) == 0 {
		spans = []Span{{}}
	}
	return spans, nil
}

func isCalendarComponent(name string) bool {
	return name == ical.CompEvent || name == ical.CompToDo || name == ical.CompJournal
}

func propText(comp *ical.Component, name string) string {
	if p := comp.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

// componentSpans expands one component; exclude lists the instants that
// overriding components replace.
func componentSpans(comp *ical.Component, exclude []time.Time) ([]Span, error) {
	start, end, slack, ok, err := componentInterval(comp)
	if err != nil || !ok {
		return []Span{{}}, err
	}
	dur := end.Sub(start)
	widen := func(sp Span) Span {
		if slack > 0 {
			sp.Start, sp.End = sp.Start.Add(-slack), sp.End.Add(slack)
		}
		return sp
	}
	rr := comp.Props.Get(ical.PropRecurrenceRule)
	rdates := comp.Props.Values(ical.PropRecurrenceDates)
	if comp.Props.Get(ical.PropRecurrenceID) != nil || (rr == nil && len(rdates) == 0) {
		return []Span{widen(Span{start, end})}, nil
	}
	var set rrule.Set
	if rr != nil {
		opt, err := rrule.StrToROptionInLocation(rr.Value, start.Location())
		if err != nil {
			return nil, fmt.Errorf("parsing RRULE: %w", err)
		}
		opt.Dtstart = start
		rule, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("building RRULE: %w", err)
		}
		set.RRule(rule)
	}
	set.DTStart(start)
	set.RDate(start) // DTSTART is always the first instance (RFC 5545 3.8.5.3)
	for _, name := range []string{ical.PropRecurrenceDates, ical.PropExceptionDates} {
		for _, p := range comp.Props.Values(name) {
			times, err := propTimes(&p, start.Location())
			if err != nil {
				return nil, fmt.Errorf("parsing %s: %w", name, err)
			}
			for _, t := range times {
				if name == ical.PropRecurrenceDates {
					set.RDate(t)
				} else {
					set.ExDate(t)
				}
			}
		}
	}
	for _, t := range exclude {
		set.ExDate(t)
	}
	var spans []Span
	next := set.Iterator()
	for {
		t, ok := next()
		if !ok {
			break
		}
		if len(spans) == maxOccurrences {
			spans = append(spans, widen(Span{Start: t}))
			break
		}
		spans = append(spans, widen(Span{t, t.Add(dur)}))
	}
	return spans, nil
}

// componentInterval returns the interval of a component's first instance
// as RFC 4791 9.9 reads it for time-range matching, approximated from
// above; ok is false when the component has no dates at all.
func componentInterval(comp *ical.Component) (start, end time.Time, slack time.Duration, ok bool, err error) {
	get := func(name string) (time.Time, bool, bool, error) {
		p := comp.Props.Get(name)
		if p == nil {
			return time.Time{}, false, false, nil
		}
		t, exact, err := propTime(p)
		if err != nil {
			return time.Time{}, false, false, fmt.Errorf("parsing %s: %w", name, err)
		}
		if !exact {
			slack = floatingSlack
		}
		return t, p.ValueType() == ical.ValueDate || len(p.Value) == 8, true, nil
	}
	dtstart, allDay, hasStart, err := get(ical.PropDateTimeStart)
	if err != nil {
		return
	}
	endName := ical.PropDateTimeEnd
	if comp.Name == ical.CompToDo {
		endName = ical.PropDue
	}
	dtend, _, hasEnd, err := get(endName)
	if err != nil {
		return
	}
	var dur time.Duration
	if p := comp.Props.Get(ical.PropDuration); p != nil {
		if dur, err = p.Duration(); err != nil {
			return
		}
	}
	switch {
	case hasStart && hasEnd:
		start, end = dtstart, dtend
	case hasStart && dur != 0:
		start, end = dtstart, dtstart.Add(dur)
	case hasStart && allDay && comp.Name != ical.CompToDo:
		start, end = dtstart, dtstart.AddDate(0, 0, 1)
	case hasStart:
		start, end = dtstart, dtstart
	case hasEnd: // a task with only DUE
		start, end = dtend.Add(-time.Second), dtend
	default:
		return time.Time{}, time.Time{}, 0, false, nil
	}
	if end.Before(start) {
		end = start
	}
	if comp.Name == ical.CompToDo {
		end = end.Add(time.Second) // DUE itself matches (RFC 4791 9.9: end >= DUE)
	}
	return start, end, slack, true, nil
}

// propTime parses a DATE or DATE-TIME property. exact is false when a TZID
// could not be resolved and the time was read as UTC.
func propTime(p *ical.Prop) (t time.Time, exact bool, err error) {
	loc, exact := location(p.Params.Get(ical.ParamTimezoneID))
	times, err := propTimes(p, loc)
	if err != nil {
		return time.Time{}, false, err
	}
	if len(times) == 0 {
		return time.Time{}, false, fmt.Errorf("empty date value")
	}
	return times[0], exact, nil
}

// propTimes parses a comma-separated DATE, DATE-TIME or PERIOD list
// (EXDATE and RDATE may hold several values; of a PERIOD the start counts).
func propTimes(p *ical.Prop, dflt *time.Location) ([]time.Time, error) {
	loc := dflt
	if tzid := p.Params.Get(ical.ParamTimezoneID); tzid != "" {
		loc, _ = location(tzid)
	}
	var out []time.Time
	for _, v := range strings.Split(p.Value, ",") {
		v, _, _ = strings.Cut(strings.TrimSpace(v), "/")
		var t time.Time
		var err error
		switch {
		case len(v) == 8:
			t, err = time.ParseInLocation("20060102", v, loc)
		case strings.HasSuffix(v, "Z"):
			t, err = time.ParseInLocation("20060102T150405Z", v, time.UTC)
		default:
			t, err = time.ParseInLocation("20060102T150405", v, loc)
		}
		if err != nil {
			return nil, fmt.Errorf("bad date %q", v)
		}
		out = append(out, t)
	}
	return out, nil
}

// location resolves a TZID to an IANA zone: directly, or by its last one
// or two path elements ("/mozilla.org/20050126_1/Europe/Berlin"). An empty
// TZID is floating time, taken as UTC. ok is false when the TZID is
// unknown and UTC stands in for it.
func location(tzid string) (loc *time.Location, ok bool) {
	if tzid == "" {
		return time.UTC, true
	}
	if loc, err := time.LoadLocation(tzid); err == nil {
		return loc, true
	}
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for n := 3; n >= 1; n-- {
		if len(parts) >= n {
			if loc, err := time.LoadLocation(strings.Join(parts[len(parts)-n:], "/")); err == nil {
				return loc, true
			}
		}
	}
	return time.UTC, false
}

// QueryTimeRange returns, with data, every object of the named collection
// with a span overlapping [start, end) (zero bounds: unbounded). It may
// return objects that do not match exactly; callers check.
func (s *Store) QueryTimeRange(ctx context.Context, collName string, start, end time.Time) ([]Object, error) {
	lo, hi := Span{start, end}.bounds()
	if end.IsZero() {
		hi = math.MaxInt64
	}
	shortFrom := int64(math.MinInt64)
	if lo > math.MinInt64+longSpan {
		shortFrom = lo - longSpan
	}
	var out []Object
	err := s.read(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", collName)
		if err != nil {
			return err
		}
		out, err = queryObjects(ctx, tx, true, `WHERE id IN (
			SELECT object_id FROM span WHERE collection_id = ?1 AND long = 0 AND start >= ?2 AND start < ?4 AND end > ?3
			UNION
			SELECT object_id FROM span WHERE collection_id = ?1 AND long = 1 AND start < ?4 AND end > ?3)
			ORDER BY name`, c.ID, shortFrom, lo, hi)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: time-range query on %s: %w", collName, err)
	}
	return out, nil
}
