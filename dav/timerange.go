package dav

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// maxInstances bounds recurrence expansion per component, so that a rule
// like FREQ=SECONDLY cannot pin a CPU. Instances beyond it are not seen by
// time-range queries, and Span reports such a series as unbounded.
const maxInstances = 100000

// spanSlack widens every span given to the Backend: floating times and
// dates are evaluated in UTC here, and a TZID we cannot load falls back to
// UTC, so a true instant can be up to 14 hours away; 26 hours also covers
// an instant event's zero length.
const spanSlack = 26 * time.Hour

// icalTime parses a DATE or DATE-TIME property. Floating times, dates and
// TZIDs that are not IANA names (e.g. Windows zone names) are read in UTC:
// RFC 4791 9.9 evaluates floating values in the calendar's time zone, and
// ours is UTC.
func icalTime(p *ical.Prop) (t time.Time, isDate bool, err error) {
	v := strings.TrimSpace(p.Value)
	if p.ValueType() == ical.ValueDate || len(v) == 8 {
		t, err = time.ParseInLocation("20060102", v, time.UTC)
		return t, true, err
	}
	if strings.HasSuffix(v, "Z") {
		t, err = time.ParseInLocation("20060102T150405Z", v, time.UTC)
		return t, false, err
	}
	loc := time.UTC
	if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		loc = location(tzid)
	}
	t, err = time.ParseInLocation("20060102T150405", v, loc)
	return t, false, err
}

// locations caches location: time.LoadLocation reads and parses a zone
// file on every call, and a query evaluates thousands of TZIDs. TZIDs
// come from clients, so the cache is bounded.
var locations struct {
	sync.Mutex
	m map[string]*time.Location
}

const maxCachedLocations = 1024

// location resolves a TZID to an IANA zone, UTC when none fits. Prefixed
// forms such as Mozilla's "/mozilla.org/20050126_1/Europe/Berlin" are
// tried without their leading segments.
func location(tzid string) *time.Location {
	locations.Lock()
	l, ok := locations.m[tzid]
	locations.Unlock()
	if ok {
		return l
	}
	loc := time.UTC
	name := strings.Trim(tzid, `"/ `)
	for name != "" {
		if l, err := time.LoadLocation(name); err == nil {
			loc = l
			break
		}
		_, rest, found := strings.Cut(name, "/")
		if !found {
			break
		}
		name = rest
	}
	locations.Lock()
	if locations.m == nil || len(locations.m) >= maxCachedLocations {
		locations.m = map[string]*time.Location{}
	}
	locations.m[tzid] = loc
	locations.Unlock()
	return loc
}

// timing holds the date properties of one component that RFC 4791 9.9
// evaluates time ranges on.
type timing struct {
	comp                string
	start, end, due     time.Time
	hasStart, startDate bool
	hasEnd, hasDue      bool
	dur                 time.Duration
	hasDur              bool
	completed, created  time.Time
	hasCompleted        bool
	hasCreated          bool
}

func timingOf(c *ical.Component) (timing, error) {
	tm := timing{comp: c.Name}
	get := func(name string, dst *time.Time, has *bool) (bool, error) {
		p := c.Props.Get(name)
		if p == nil {
			return false, nil
		}
		t, isDate, err := icalTime(p)
		if err != nil {
			return false, fmt.Errorf("parsing %s %q: %w", name, p.Value, err)
		}
		*dst, *has = t, true
		return isDate, nil
	}
	var err error
	if tm.startDate, err = get(ical.PropDateTimeStart, &tm.start, &tm.hasStart); err != nil {
		return tm, err
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
		has  *bool
	}{
		{ical.PropDateTimeEnd, &tm.end, &tm.hasEnd},
		{ical.PropDue, &tm.due, &tm.hasDue},
		{ical.PropCompleted, &tm.completed, &tm.hasCompleted},
		{ical.PropCreated, &tm.created, &tm.hasCreated},
	} {
		if _, err := get(f.name, f.dst, f.has); err != nil {
			return tm, err
		}
	}
	if p := c.Props.Get(ical.PropDuration); p != nil {
		d, err := p.Duration()
		if err != nil {
			return tm, fmt.Errorf("parsing DURATION %q: %w", p.Value, err)
		}
		tm.dur, tm.hasDur = d, true
	}
	return tm, nil
}

// eventLength is the effective length of a VEVENT (RFC 4791 9.9): DTEND,
// else DURATION, else one day for a DATE start and zero for a DATE-TIME.
func (tm timing) eventLength() time.Duration {
	switch {
	case tm.hasEnd:
		if d := tm.end.Sub(tm.start); d > 0 {
			return d
		}
		return 0
	case tm.hasDur:
		return max(tm.dur, 0)
	case tm.startDate:
		return 24 * time.Hour
	}
	return 0
}

func (tm timing) shifted(d time.Duration) timing {
	tm.start = tm.start.Add(d)
	tm.end = tm.end.Add(d)
	tm.due = tm.due.Add(d)
	return tm
}

// timeRange is a CalDAV time-range; zero bounds are open.
type timeRange struct{ start, end time.Time }

// before reports a < b where a zero start means -infinity.
func (r timeRange) startBefore(t time.Time) bool     { return r.start.IsZero() || r.start.Before(t) }
func (r timeRange) startAtOrBefore(t time.Time) bool { return r.start.IsZero() || !r.start.After(t) }
func (r timeRange) endAfter(t time.Time) bool        { return r.end.IsZero() || r.end.After(t) }
func (r timeRange) endAtOrAfter(t time.Time) bool    { return r.end.IsZero() || !r.end.Before(t) }

// overlaps applies the tables of RFC 4791 9.9 to one instance.
func (tm timing) overlaps(r timeRange) bool {
	switch tm.comp {
	case ical.CompEvent:
		if !tm.hasStart {
			return false
		}
		if l := tm.eventLength(); l > 0 {
			return r.startBefore(tm.start.Add(l)) && r.endAfter(tm.start)
		}
		return r.startAtOrBefore(tm.start) && r.endAfter(tm.start)
	case ical.CompToDo:
		return tm.todoOverlaps(r)
	case ical.CompJournal:
		if !tm.hasStart {
			return false
		}
		if tm.startDate {
			return r.startBefore(tm.start.Add(24*time.Hour)) && r.endAfter(tm.start)
		}
		return r.startAtOrBefore(tm.start) && r.endAfter(tm.start)
	}
	return false
}

// todoOverlaps is the VTODO table of RFC 4791 9.9.
func (tm timing) todoOverlaps(r timeRange) bool {
	switch {
	case tm.hasStart && tm.hasDur:
		e := tm.start.Add(tm.dur)
		return r.startAtOrBefore(e) && (r.endAfter(tm.start) || r.endAtOrAfter(e))
	case tm.hasStart && tm.hasDue:
		return (r.startBefore(tm.due) || r.startAtOrBefore(tm.start)) &&
			(r.endAfter(tm.start) || r.endAtOrAfter(tm.due))
	case tm.hasStart:
		return r.startAtOrBefore(tm.start) && r.endAfter(tm.start)
	case tm.hasDue:
		return r.startBefore(tm.due) && r.endAtOrAfter(tm.due)
	case tm.hasCompleted && tm.hasCreated:
		return (r.startAtOrBefore(tm.created) || r.startAtOrBefore(tm.completed)) &&
			(r.endAtOrAfter(tm.created) || r.endAtOrAfter(tm.completed))
	case tm.hasCompleted:
		return r.startAtOrBefore(tm.completed) && r.endAtOrAfter(tm.completed)
	case tm.hasCreated:
		return r.endAfter(tm.created)
	}
	return true
}

// seriesLimit bounds how far a recurrence is followed, by frequency: a
// rule whose BY-parts can never match (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30)
// would otherwise be searched up to the year 9999, at some 30µs a step.
// Instances beyond the bound are not seen by queries.
func seriesLimit(f rrule.Frequency) (years int) {
	switch f {
	case rrule.YEARLY:
		return 1000
	case rrule.MONTHLY:
		return 500
	case rrule.WEEKLY:
		return 100
	}
	return 10
}

// recurrence returns the instance iterator of a master component, or nil
// when it does not recur, and whether the series is endless (an RRULE
// with neither COUNT nor UNTIL). DTSTART is always the first instance
// (RFC 5545 3.8.5.3); EXDATEs are removed. FREQ=SECONDLY, MINUTELY and
// HOURLY are refused: Exchange cannot hold them (MS-ASCAL 2.2.2.39 knows
// daily to yearly only), and they make expansion costly.
//
// from, when not zero, is the earliest instance start the caller cares
// about: an endless daily or weekly rule is then started a whole number
// of periods later, close before from, instead of being walked from a
// DTSTART years back (rrule-go costs about a microsecond per instance).
// Whole periods keep every BY-part and the wall-clock time aligned.
func recurrence(c *ical.Component, tm timing, from time.Time) (next func() (time.Time, bool), endless bool, err error) {
	rr := c.Props.Get(ical.PropRecurrenceRule)
	rdates := c.Props.Values(ical.PropRecurrenceDates)
	if (rr == nil && len(rdates) == 0) || !tm.hasStart {
		return nil, false, nil
	}
	set := &rrule.Set{}
	if rr != nil {
		opt, err := rrule.StrToROptionInLocation(rr.Value, tm.start.Location())
		if err != nil {
			return nil, false, fmt.Errorf("parsing RRULE %q: %w", rr.Value, err)
		}
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY || opt.Freq == rrule.HOURLY {
			return nil, false, fmt.Errorf("RRULE %q: FREQ=%v is not supported", rr.Value, opt.Freq)
		}
		if impossibleMonthDays(opt) {
			return nil, false, fmt.Errorf("RRULE %q can never occur: no BYMONTH has such a BYMONTHDAY", rr.Value)
		}
		endless = opt.Count == 0 && opt.Until.IsZero()
		opt.Dtstart = fastForward(opt, tm.start, from)
		if limit := opt.Dtstart.AddDate(seriesLimit(opt.Freq), 0, 0); opt.Until.IsZero() || opt.Until.After(limit) {
			opt.Until = limit
		}
		rule, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, false, fmt.Errorf("building RRULE %q: %w", rr.Value, err)
		}
		set.RRule(rule)
	}
	set.RDate(tm.start)
	for _, list := range []struct {
		props []ical.Prop
		add   func(time.Time)
	}{{rdates, set.RDate}, {c.Props.Values(ical.PropExceptionDates), set.ExDate}} {
		for i := range list.props {
			p := list.props[i]
			if p.ValueType() == ical.ValuePeriod {
				continue // periods in RDATE are rare; DTSTART still counts
			}
			for _, v := range strings.Split(p.Value, ",") {
				q := ical.Prop{Name: p.Name, Params: p.Params, Value: v}
				t, _, err := icalTime(&q)
				if err != nil {
					return nil, false, fmt.Errorf("parsing %s %q: %w", p.Name, v, err)
				}
				list.add(t)
			}
		}
	}
	return set.Iterator(), endless, nil
}

// impossibleMonthDays reports whether every BYMONTHDAY lies beyond the
// length of every month the rule allows (BYMONTHDAY=30 with BYMONTH=2,
// the classic rule that never occurs), so it is refused at once instead
// of being searched for decades.
func impossibleMonthDays(opt *rrule.ROption) bool {
	if len(opt.Bymonthday) == 0 {
		return false
	}
	months := opt.Bymonth
	if len(months) == 0 {
		months = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	}
	for _, md := range opt.Bymonthday {
		if md < 0 {
			md = -md
		}
		for _, m := range months {
			if m < 1 || m > 12 {
				continue
			}
			// Days in month m of a leap year (2024).
			if md <= time.Date(2024, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
				return false
			}
		}
	}
	return true
}

// fastForward returns the DTSTART to expand an endless DAILY or WEEKLY
// rule from: start moved on by whole periods to at least one period
// before from. Other rules keep start (COUNT counts from it; months have
// uneven lengths).
func fastForward(opt *rrule.ROption, start, from time.Time) time.Time {
	if from.IsZero() || opt.Count != 0 || !opt.Until.IsZero() && opt.Until.Before(from) {
		return start
	}
	days := max(opt.Interval, 1)
	switch opt.Freq {
	case rrule.DAILY:
	case rrule.WEEKLY:
		days *= 7
	default:
		return start
	}
	periods := int(from.Sub(start)/(time.Duration(days)*24*time.Hour)) - 1
	if periods <= 0 {
		return start
	}
	return start.AddDate(0, 0, periods*days)
}

// componentsMatchRange reports whether any instance of the components
// (one UID: a master and its overrides) overlaps r. Instances replaced by
// an override (RECURRENCE-ID) are judged by the override alone.
func componentsMatchRange(comps []*ical.Component, r timeRange) (bool, error) {
	overridden := map[int64]bool{}
	for _, c := range comps {
		if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
			t, _, err := icalTime(p)
			if err != nil {
				return false, fmt.Errorf("parsing RECURRENCE-ID %q: %w", p.Value, err)
			}
			overridden[t.Unix()] = true
		}
	}
	for _, c := range comps {
		tm, err := timingOf(c)
		if err != nil {
			return false, err
		}
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			if tm.overlaps(r) {
				return true, nil
			}
			continue
		}
		var from time.Time
		if !r.start.IsZero() {
			from = r.start.Add(-tm.instanceEnd().Sub(tm.start))
		}
		next, _, err := recurrence(c, tm, from)
		if err != nil {
			return false, err
		}
		if next == nil {
			if tm.overlaps(r) {
				return true, nil
			}
			continue
		}
		for i := 0; i < maxInstances; i++ {
			s, ok := next()
			if !ok || (!r.end.IsZero() && !s.Before(r.end)) {
				break
			}
			if overridden[s.Unix()] {
				continue
			}
			if tm.shifted(s.Sub(tm.start)).overlaps(r) {
				return true, nil
			}
		}
	}
	return false, nil
}

// instanceEnd is the end of an instance for span purposes.
func (tm timing) instanceEnd() time.Time {
	end := tm.start.Add(tm.eventLength())
	for _, t := range []struct {
		t   time.Time
		has bool
	}{{tm.due, tm.hasDue}, {tm.completed, tm.hasCompleted}, {tm.end, tm.hasEnd}} {
		if t.has && t.t.After(end) {
			end = t.t
		}
	}
	if tm.hasStart && tm.hasDur && tm.start.Add(tm.dur).After(end) {
		end = tm.start.Add(tm.dur)
	}
	return end
}

// componentSpan bounds every instance of one component; ok is false when
// the component has no date to index on (it must then always be a
// candidate). A zero end means unbounded.
func componentSpan(c *ical.Component) (start, end time.Time, ok bool, err error) {
	tm, err := timingOf(c)
	if err != nil {
		return start, end, false, err
	}
	if !tm.hasStart {
		// VTODO without DTSTART: indexed on DUE, COMPLETED or CREATED.
		switch {
		case tm.hasDue:
			return tm.due, tm.due, true, nil
		case tm.hasCompleted:
			lo := tm.completed
			if tm.hasCreated && tm.created.Before(lo) {
				lo = tm.created
			}
			return lo, tm.completed, true, nil
		case tm.hasCreated:
			return tm.created, time.Time{}, true, nil
		}
		return start, end, false, nil
	}
	next, endless, err := recurrence(c, tm, time.Time{})
	if err != nil || next == nil {
		return tm.start, tm.instanceEnd(), err == nil, err
	}
	if endless {
		// An endless rule must recur: one whose BY-parts never match would
		// make every query walk to the horizon (seriesLimit).
		next()
		if _, ok := next(); !ok {
			return start, end, false, fmt.Errorf("RRULE never recurs after DTSTART")
		}
		return tm.start, time.Time{}, true, nil
	}
	length := tm.instanceEnd().Sub(tm.start)
	var last time.Time
	for i := 0; ; i++ {
		s, ok := next()
		if !ok {
			break
		}
		if i == maxInstances {
			return tm.start, time.Time{}, true, nil
		}
		last = s
	}
	return tm.start, last.Add(length), true, nil
}

// Span returns the UTC interval that holds every instance of the
// iCalendar object in data, for ObjectInput.Start and End: the Backend
// indexes it so QueryTimeRange finds candidates without parsing. It is
// widened by a day on both sides (floating times, unknown zones). A zero
// end means the series never ends; both zero means the object has no date
// to index on and must always be a candidate. vCards have no span.
func Span(data []byte) (start, end time.Time, err error) {
	cal, err := decodeCalendar(data)
	if err != nil {
		return start, end, fmt.Errorf("dav: parsing iCalendar: %w", err)
	}
	return calendarSpan(cal)
}

func calendarSpan(cal *ical.Calendar) (start, end time.Time, err error) {
	first, open := true, false
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		s, e, ok, err := componentSpan(c)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("dav: %s: %w", c.Name, err)
		}
		if !ok {
			return time.Time{}, time.Time{}, nil
		}
		if first || s.Before(start) {
			start = s
		}
		if e.IsZero() {
			open = true
		} else if first || e.After(end) {
			end = e
		}
		first = false
	}
	if first {
		return time.Time{}, time.Time{}, nil
	}
	start = start.Add(-spanSlack).UTC()
	if open {
		return start, time.Time{}, nil
	}
	return start, end.Add(spanSlack).UTC(), nil
}
