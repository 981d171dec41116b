package convert

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/easbridge/easbridge/eas"
)

// vtimezone builds the VTIMEZONE of an IANA zone (RFC 5545 3.6.5): the
// yearly rules in force in year, as a STANDARD and, when the zone has
// daylight time, a DAYLIGHT observance starting in 1970. Readers resolve
// the IANA TZID themselves; the rules are for those that do not.
func vtimezone(loc *time.Location, year int) *ical.Component {
	tz := timeZoneFor(loc, year)
	c := ical.NewComponent(ical.CompTimezone)
	c.Props.SetText(ical.PropTimezoneID, loc.String())
	std := -int(tz.Bias+tz.StandardBias) * 60
	if !tz.HasDST() {
		c.Children = append(c.Children, observance(ical.CompTimezoneStandard, std, std, "19700101T000000", ""))
		return c
	}
	dst := -int(tz.Bias+tz.DaylightBias) * 60
	c.Children = append(c.Children,
		observance(ical.CompTimezoneStandard, dst, std, ruleStart(tz.StandardDate), ruleRRule(tz.StandardDate)),
		observance(ical.CompTimezoneDaylight, std, dst, ruleStart(tz.DaylightDate), ruleRRule(tz.DaylightDate)))
	return c
}

func observance(name string, from, to int, start, rule string) *ical.Component {
	c := ical.NewComponent(name)
	c.Props.Set(&ical.Prop{Name: ical.PropDateTimeStart, Params: ical.Params{}, Value: start})
	c.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetFrom, Params: ical.Params{}, Value: formatOffset(from)})
	c.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetTo, Params: ical.Params{}, Value: formatOffset(to)})
	if rule != "" {
		c.Props.Set(&ical.Prop{Name: ical.PropRecurrenceRule, Params: ical.Params{}, Value: rule})
	}
	return c
}

func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
}

func parseOffset(s string) (int, error) {
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("convert: malformed UTC offset %q", s)
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[3:5])
	if err1 != nil || err2 != nil || h > 23 || m > 59 {
		return 0, fmt.Errorf("convert: malformed UTC offset %q", s)
	}
	sec := h*3600 + m*60
	if s[0] == '-' {
		sec = -sec
	}
	return sec, nil
}

// ruleStart is the first onset of a yearly rule in 1970, local time before
// the change.
func ruleStart(st eas.SystemTime) string {
	return ruleDate(st, 1970).Format("20060102T150405")
}

func ruleRRule(st eas.SystemTime) string {
	return fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", st.Month, ordinal(int(st.Day)), dayCodes[st.DayOfWeek%7])
}

// blobOfVTimezone reads a VTIMEZONE into a TimeZone blob: the last
// STANDARD and DAYLIGHT observances (by DTSTART) with yearly BYDAY rules.
// It is how a TZID that names no known zone (a private name with its own
// VTIMEZONE) is matched against IANA zones.
func blobOfVTimezone(c *ical.Component) (*eas.TimeZone, error) {
	var std, dst *ical.Component
	for _, ch := range c.Children {
		switch ch.Name {
		case ical.CompTimezoneStandard:
			if std == nil || propValue(ch, ical.PropDateTimeStart) > propValue(std, ical.PropDateTimeStart) {
				std = ch
			}
		case ical.CompTimezoneDaylight:
			if dst == nil || propValue(ch, ical.PropDateTimeStart) > propValue(dst, ical.PropDateTimeStart) {
				dst = ch
			}
		}
	}
	if std == nil && dst == nil {
		return nil, fmt.Errorf("convert: VTIMEZONE without observances")
	}
	if std == nil {
		std = dst
		dst = nil
	}
	stdOff, err := parseOffset(propValue(std, ical.PropTimezoneOffsetTo))
	if err != nil {
		return nil, err
	}
	tz := &eas.TimeZone{Bias: int32(-stdOff / 60)}
	if dst == nil {
		return tz, nil
	}
	dstOff, err := parseOffset(propValue(dst, ical.PropTimezoneOffsetTo))
	if err != nil {
		return nil, err
	}
	tz.DaylightBias = int32(-(dstOff - stdOff) / 60)
	if tz.StandardDate, err = observanceRule(std); err != nil {
		return nil, err
	}
	if tz.DaylightDate, err = observanceRule(dst); err != nil {
		return nil, err
	}
	return tz, nil
}

func observanceRule(c *ical.Component) (eas.SystemTime, error) {
	start, err := time.Parse("20060102T150405", propValue(c, ical.PropDateTimeStart))
	if err != nil {
		return eas.SystemTime{}, fmt.Errorf("convert: observance DTSTART: %w", err)
	}
	rr, err := parseRRule(propValue(c, ical.PropRecurrenceRule))
	if err != nil || rr.freq != "YEARLY" || len(rr.byMonth) != 1 || len(rr.byDay) != 1 {
		return eas.SystemTime{}, fmt.Errorf("convert: observance RRULE %q: %w", propValue(c, ical.PropRecurrenceRule), ErrUnsupported)
	}
	mask, ord, err := parseByDay(rr.byDay)
	if err != nil {
		return eas.SystemTime{}, err
	}
	week, err := weekOf(ord)
	if err != nil {
		return eas.SystemTime{}, err
	}
	return eas.SystemTime{Month: uint16(rr.byMonth[0]), DayOfWeek: uint16(mask.Days()[0]), Day: uint16(week),
		Hour: uint16(start.Hour()), Minute: uint16(start.Minute())}, nil
}

// propValue returns the raw value of the first property name of c.
func propValue(c *ical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

// zoneSet collects the zones a calendar uses and resolves its TZIDs.
type zoneSet struct {
	vtz  map[string]*eas.TimeZone // blobs of the calendar's VTIMEZONEs
	used map[string]*time.Location
}

func newZoneSet(cal *ical.Calendar) *zoneSet {
	zs := &zoneSet{vtz: map[string]*eas.TimeZone{}, used: map[string]*time.Location{}}
	if cal == nil {
		return zs
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		if tz, err := blobOfVTimezone(c); err == nil {
			zs.vtz[strings.Trim(propValue(c, ical.PropTimezoneID), `"`)] = tz
		}
	}
	return zs
}

// dateTime reads a DATE or DATE-TIME property: the instant, whether it is
// a DATE, and the zone it was written in (floating and DATE values are in
// local).
func (zs *zoneSet) dateTime(p *ical.Prop, local *time.Location) (time.Time, bool, *time.Location, error) {
	if p == nil {
		return time.Time{}, false, nil, fmt.Errorf("convert: missing date-time property")
	}
	v := strings.TrimSpace(p.Value)
	isDate := p.Params.Get(ical.ParamValue) == string(ical.ValueDate) || len(v) == 8
	switch {
	case isDate:
		t, err := time.ParseInLocation("20060102", v, local)
		if err != nil {
			return time.Time{}, false, nil, fmt.Errorf("convert: %s: malformed date %q", p.Name, v)
		}
		return t, true, local, nil
	case strings.HasSuffix(v, "Z"):
		t, err := time.Parse("20060102T150405Z", v)
		if err != nil {
			return time.Time{}, false, nil, fmt.Errorf("convert: %s: malformed date-time %q", p.Name, v)
		}
		return t, false, time.UTC, nil
	}
	loc := local
	if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		year := 2000
		if len(v) >= 4 {
			if y, err := strconv.Atoi(v[:4]); err == nil {
				year = y
			}
		}
		var err error
		if loc, err = resolveTZID(tzid, zs.vtz, year); err != nil {
			return time.Time{}, false, nil, err
		}
	}
	t, err := time.ParseInLocation("20060102T150405", v, loc)
	if err != nil {
		return time.Time{}, false, nil, fmt.Errorf("convert: %s: malformed date-time %q", p.Name, v)
	}
	return t, false, loc, nil
}

// setTime writes t as a DATE-TIME in loc: UTC with Z, else with the IANA
// TZID, remembering the zone for its VTIMEZONE.
func (zs *zoneSet) setTime(props ical.Props, name string, t time.Time, loc *time.Location) {
	p := ical.NewProp(name)
	if loc == nil || loc == time.UTC || loc.String() == "UTC" {
		p.Value = t.UTC().Format("20060102T150405Z")
	} else {
		p.Params.Set(ical.PropTimezoneID, loc.String())
		p.Value = t.In(loc).Format("20060102T150405")
		zs.used[loc.String()] = loc
	}
	props.Set(p)
}

// addTimezones appends the VTIMEZONE of every zone used.
func (zs *zoneSet) addTimezones(cal *ical.Calendar, year int) {
	names := make([]string, 0, len(zs.used))
	for n := range zs.used {
		names = append(names, n)
	}
	slices.Sort(names)
	var tzs []*ical.Component
	for _, n := range names {
		tzs = append(tzs, vtimezone(zs.used[n], year))
	}
	cal.Children = append(tzs, cal.Children...)
}
