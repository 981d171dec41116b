package convert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// recurTags names the Recurrence child elements of one namespace, to mark
// in Recurrence.Fields what a converted rule carries.
type recurTags struct {
	typ, interval, until, occurrences, dow, dom, wom, moy, fdow wbxml.Tag
}

var (
	calendarRecurTags = recurTags{wbxml.CalendarType, wbxml.CalendarInterval, wbxml.CalendarUntil,
		wbxml.CalendarOccurrences, wbxml.CalendarDayOfWeek, wbxml.CalendarDayOfMonth,
		wbxml.CalendarWeekOfMonth, wbxml.CalendarMonthOfYear, wbxml.CalendarFirstDayOfWeek}
	taskRecurTags = recurTags{wbxml.TasksType, wbxml.TasksInterval, wbxml.TasksUntil,
		wbxml.TasksOccurrences, wbxml.TasksDayOfWeek, wbxml.TasksDayOfMonth,
		wbxml.TasksWeekOfMonth, wbxml.TasksMonthOfYear, wbxml.TasksFirstDayOfWeek}
)

var dayCodes = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// byDayList writes the days of a mask as BYDAY codes, with an ordinal
// prefix when n != 0.
func byDayList(m eas.DayMask, n int) string {
	var parts []string
	for _, d := range m.Days() {
		if n != 0 {
			parts = append(parts, strconv.Itoa(n)+dayCodes[d])
		} else {
			parts = append(parts, dayCodes[d])
		}
	}
	return strings.Join(parts, ",")
}

// ordinal maps EAS WeekOfMonth (1..4, 5 = last) to an RRULE ordinal.
func ordinal(week int) int {
	if week >= 5 {
		return -1
	}
	return week
}

// rruleOf returns the RRULE value for an EAS recurrence of a series whose
// first occurrence starts at start (wall-clock time in the series' zone).
// All-day series get a DATE UNTIL, the others a UTC one (RFC 5545
// 3.3.10). Patterns (MS-ASCAL 2.2.2.45): daily (with a DayOfWeek mask:
// FREQ=DAILY;BYDAY=...), weekly, monthly on a day, monthly on the n-th
// weekday (week 5 = last = -1; several days use BYSETPOS), yearly both
// ways.
func rruleOf(r *eas.Recurrence, start time.Time, allDay bool, fdowTag wbxml.Tag) (string, error) {
	var b strings.Builder
	mask := r.DayOfWeek & 127 // bits above Saturday mean nothing
	if mask == 0 {
		mask = eas.MaskOf(start.Weekday())
	}
	if r.DayOfMonth < 0 || r.DayOfMonth > 31 || r.MonthOfYear < 0 || r.MonthOfYear > 12 {
		return "", fmt.Errorf("convert: recurrence day %d of month %d out of range", r.DayOfMonth, r.MonthOfYear)
	}
	dom, moy := r.DayOfMonth, r.MonthOfYear
	if dom == 0 {
		dom = start.Day()
	}
	if moy == 0 {
		moy = int(start.Month())
	}
	week := r.WeekOfMonth
	if week == 0 {
		week = (start.Day()-1)/7 + 1
	}
	nth := func() {
		if len(mask.Days()) == 1 {
			fmt.Fprintf(&b, ";BYDAY=%s", byDayList(mask, ordinal(week)))
		} else {
			fmt.Fprintf(&b, ";BYDAY=%s;BYSETPOS=%d", byDayList(mask, 0), ordinal(week))
		}
	}
	switch r.Type {
	case eas.RecurDaily:
		b.WriteString("FREQ=DAILY")
		if r.DayOfWeek&127 != 0 {
			fmt.Fprintf(&b, ";BYDAY=%s", byDayList(r.DayOfWeek&127, 0))
		}
	case eas.RecurWeekly:
		fmt.Fprintf(&b, "FREQ=WEEKLY;BYDAY=%s", byDayList(mask, 0))
	case eas.RecurMonthly:
		fmt.Fprintf(&b, "FREQ=MONTHLY;BYMONTHDAY=%d", dom)
	case eas.RecurMonthlyNth:
		b.WriteString("FREQ=MONTHLY")
		nth()
	case eas.RecurYearly:
		fmt.Fprintf(&b, "FREQ=YEARLY;BYMONTH=%d;BYMONTHDAY=%d", moy, dom)
	case eas.RecurYearlyNth:
		fmt.Fprintf(&b, "FREQ=YEARLY;BYMONTH=%d", moy)
		nth()
	default:
		return "", fmt.Errorf("convert: recurrence type %d: %w", r.Type, ErrUnsupported)
	}
	if r.Interval >= 1 { // 0 means 1; an explicit 1 stays explicit
		fmt.Fprintf(&b, ";INTERVAL=%d", r.Interval)
	}
	switch {
	case r.Occurrences > 0:
		fmt.Fprintf(&b, ";COUNT=%d", r.Occurrences)
	case !r.Until.IsZero() && allDay:
		fmt.Fprintf(&b, ";UNTIL=%s", r.Until.In(start.Location()).Format("20060102"))
	case !r.Until.IsZero():
		fmt.Fprintf(&b, ";UNTIL=%s", r.Until.UTC().Format("20060102T150405Z"))
	}
	if r.Fields.Has(fdowTag) || r.FirstDayOfWeek != 0 {
		fmt.Fprintf(&b, ";WKST=%s", dayCodes[r.FirstDayOfWeek%7])
	}
	return b.String(), nil
}

// rrule is a parsed RRULE value.
type rrule struct {
	freq                          string
	interval, count               int
	until                         string
	byDay                         []string
	byMonthDay, byMonth, bySetPos []int
	wkst                          string
}

func parseRRule(s string) (*rrule, error) {
	r := &rrule{}
	for _, part := range strings.Split(strings.TrimPrefix(s, "RRULE:"), ";") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("convert: malformed RRULE part %q", part)
		}
		var err error
		switch strings.ToUpper(k) {
		case "FREQ":
			r.freq = strings.ToUpper(v)
		case "INTERVAL":
			r.interval, err = strconv.Atoi(v)
		case "COUNT":
			r.count, err = strconv.Atoi(v)
		case "UNTIL":
			r.until = v
		case "BYDAY":
			r.byDay = strings.Split(strings.ToUpper(v), ",")
		case "BYMONTHDAY":
			r.byMonthDay, err = intList(v)
		case "BYMONTH":
			r.byMonth, err = intList(v)
		case "BYSETPOS":
			r.bySetPos, err = intList(v)
		case "WKST":
			r.wkst = strings.ToUpper(v)
		default:
			return nil, fmt.Errorf("convert: RRULE %s: %w", k, ErrUnsupported)
		}
		if err != nil {
			return nil, fmt.Errorf("convert: RRULE %s=%q: %w", k, v, err)
		}
	}
	if r.interval < 0 || r.count < 0 || r.interval > 999 || r.count > 999 {
		return nil, fmt.Errorf("convert: RRULE interval %d count %d out of range", r.interval, r.count)
	}
	return r, nil
}

func intList(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimPrefix(p, "+"))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// parseByDay reads BYDAY codes into a mask and the common ordinal (0 for
// none); mixed ordinals are not representable.
func parseByDay(codes []string) (eas.DayMask, int, error) {
	var mask eas.DayMask
	ord, first := 0, true
	for _, c := range codes {
		if len(c) < 2 {
			return 0, 0, fmt.Errorf("convert: BYDAY %q", c)
		}
		day := -1
		for i, dc := range dayCodes {
			if strings.HasSuffix(c, dc) {
				day = i
			}
		}
		if day < 0 {
			return 0, 0, fmt.Errorf("convert: BYDAY %q", c)
		}
		n := 0
		if p := strings.TrimPrefix(c[:len(c)-2], "+"); p != "" {
			var err error
			if n, err = strconv.Atoi(p); err != nil {
				return 0, 0, fmt.Errorf("convert: BYDAY %q", c)
			}
		}
		if !first && n != ord {
			return 0, 0, fmt.Errorf("convert: BYDAY %v with mixed ordinals: %w", codes, ErrUnsupported)
		}
		first, ord = false, n
		mask |= eas.MaskOf(time.Weekday(day))
	}
	return mask, ord, nil
}

// weekOf maps an RRULE ordinal to EAS WeekOfMonth: 1..4, and -1 (and 5,
// which EAS cannot say apart from the last) to 5.
func weekOf(n int) (int, error) {
	switch {
	case n >= 1 && n <= 4:
		return n, nil
	case n == -1 || n == 5:
		return 5, nil
	}
	return 0, fmt.Errorf("convert: week ordinal %d: %w", n, ErrUnsupported)
}

// recurrenceOf parses an RRULE value into an EAS recurrence, for a series
// starting at start (wall-clock time in the series' zone, whose Location
// resolves a floating UNTIL). Both nth-weekday forms are read: BYDAY=-1SU
// and BYDAY=SU;BYSETPOS=-1; BYMONTHDAY=-1 is the last day of the month.
func recurrenceOf(value string, start time.Time, tags recurTags) (*eas.Recurrence, error) {
	rr, err := parseRRule(value)
	if err != nil {
		return nil, err
	}
	r := &eas.Recurrence{Interval: rr.interval, Occurrences: rr.count}
	mask, ord, err := parseByDay(rr.byDay)
	if err != nil {
		return nil, err
	}
	if len(rr.bySetPos) > 1 || (len(rr.bySetPos) == 1 && ord != 0) || len(rr.byMonthDay) > 1 || len(rr.byMonth) > 1 {
		return nil, fmt.Errorf("convert: RRULE %q: %w", value, ErrUnsupported)
	}
	if len(rr.bySetPos) == 1 {
		ord = rr.bySetPos[0]
	}
	if err := setPattern(r, rr, mask, ord, start); err != nil {
		return nil, fmt.Errorf("convert: RRULE %q: %w", value, err)
	}
	if rr.until != "" {
		if r.Until, err = parseUntil(rr.until, start.Location()); err != nil {
			return nil, err
		}
		r.Fields.Set(tags.until)
	}
	if rr.wkst != "" {
		_, d, err := parseByDay([]string{rr.wkst})
		if err != nil || d != 0 {
			return nil, fmt.Errorf("convert: WKST %q", rr.wkst)
		}
		m, _, _ := parseByDay([]string{rr.wkst})
		r.FirstDayOfWeek = int(m.Days()[0])
		r.Fields.Set(tags.fdow)
	}
	markFields(r, tags)
	return r, nil
}

// setPattern fills Type and the day fields from the parsed rule,
// defaulting from start as RFC 5545 3.3.10 does.
func setPattern(r *eas.Recurrence, rr *rrule, mask eas.DayMask, ord int, start time.Time) error {
	month := int(start.Month())
	if len(rr.byMonth) == 1 {
		month = rr.byMonth[0]
	}
	dom := start.Day()
	if len(rr.byMonthDay) == 1 {
		dom = rr.byMonthDay[0]
	}
	var err error
	switch rr.freq {
	case "DAILY":
		if ord != 0 || len(rr.byMonthDay)+len(rr.byMonth) > 0 {
			return ErrUnsupported
		}
		r.Type, r.DayOfWeek = eas.RecurDaily, mask
	case "WEEKLY":
		if ord != 0 || len(rr.byMonthDay)+len(rr.byMonth) > 0 {
			return ErrUnsupported
		}
		if mask == 0 {
			mask = eas.MaskOf(start.Weekday())
		}
		r.Type, r.DayOfWeek = eas.RecurWeekly, mask
	case "MONTHLY", "YEARLY":
		if len(rr.byMonth) > 0 && rr.freq == "MONTHLY" {
			return ErrUnsupported
		}
		switch {
		case mask != 0 && len(rr.byMonthDay) > 0:
			return ErrUnsupported
		case mask != 0:
			if ord == 0 {
				return ErrUnsupported // every Monday of the month
			}
			r.DayOfWeek = mask
			r.WeekOfMonth, err = weekOf(ord)
			r.Type = eas.RecurMonthlyNth
		case dom == -1:
			r.Type, r.DayOfWeek, r.WeekOfMonth = eas.RecurMonthlyNth, 127, 5
		case dom >= 1 && dom <= 31:
			r.Type, r.DayOfMonth = eas.RecurMonthly, dom
		default:
			return ErrUnsupported
		}
		if rr.freq == "YEARLY" {
			if month < 1 || month > 12 {
				return ErrUnsupported
			}
			r.MonthOfYear = month
			r.Type += 3 // Monthly 2 -> Yearly 5, MonthlyNth 3 -> YearlyNth 6
		}
	default:
		return fmt.Errorf("FREQ %q: %w", rr.freq, ErrUnsupported)
	}
	return err
}

// markFields marks the elements a converted rule carries.
func markFields(r *eas.Recurrence, tags recurTags) {
	r.Fields.Set(tags.typ)
	for _, f := range []struct {
		tag wbxml.Tag
		set bool
	}{
		{tags.interval, r.Interval != 0}, {tags.occurrences, r.Occurrences != 0},
		{tags.dow, r.DayOfWeek != 0}, {tags.dom, r.DayOfMonth != 0},
		{tags.wom, r.WeekOfMonth != 0}, {tags.moy, r.MonthOfYear != 0},
	} {
		if f.set {
			r.Fields.Set(f.tag)
		}
	}
}

// parseUntil reads an UNTIL value: UTC date-time, floating date-time (in
// loc, as some writers emit it), or a date, which ends at midnight
// starting that day in loc.
func parseUntil(v string, loc *time.Location) (time.Time, error) {
	if strings.HasSuffix(v, "Z") {
		loc = time.UTC
		v = strings.TrimSuffix(v, "Z")
	}
	for _, l := range []string{"20060102T150405", "20060102"} {
		if len(v) != len(l) {
			continue
		}
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("convert: malformed UNTIL %q", v)
}
