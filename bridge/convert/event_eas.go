package convert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// ICalToEvent converts a calendar object holding one event (a series with
// its overriding occurrences, all of one UID, RFC 4791 4.1) into an EAS
// event. The zone of DTSTART becomes the TimeZone blob (BlobFor); UTC
// and floating times use Options.Local (UTC when nil). RDATE is not
// representable in EAS and is left to the stored object.
func ICalToEvent(cal *ical.Calendar, opts Options) (*eas.Event, error) {
	if cal == nil {
		return nil, fmt.Errorf("convert: nil calendar")
	}
	var master *ical.Component
	var overrides []*ical.Component
	uid := ""
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		u := propValue(c, ical.PropUID)
		if uid == "" {
			uid = u
		} else if u != uid {
			return nil, fmt.Errorf("convert: calendar holds events of two UIDs %q and %q", uid, u)
		}
		switch {
		case c.Props.Get(ical.PropRecurrenceID) != nil:
			overrides = append(overrides, c)
		case master != nil:
			return nil, fmt.Errorf("convert: calendar holds two series of UID %q", uid)
		default:
			master = c
		}
	}
	if master == nil {
		if len(overrides) == 0 {
			return nil, fmt.Errorf("convert: calendar holds no VEVENT")
		}
		master, overrides = overrides[0], overrides[1:] // a lone occurrence
	}
	zs := newZoneSet(cal)
	ev, loc, err := readEvent(master, zs, &opts)
	if err != nil {
		return nil, err
	}
	ev.UID = uid
	if uid != "" {
		ev.Fields.Set(wbxml.CalendarUID)
	}
	if rid := master.Props.Get(ical.PropRecurrenceID); rid != nil {
		t, _, _, err := zs.dateTime(rid, loc)
		if err != nil {
			return nil, err
		}
		ev.InstanceID = t.UTC()
	}
	if err := readRecurrence(master, overrides, ev, loc, zs, &opts); err != nil {
		return nil, err
	}
	return ev, nil
}

// readEvent reads the EAS fields of one VEVENT and returns the zone of
// its start.
func readEvent(c *ical.Component, zs *zoneSet, opts *Options) (*eas.Event, *time.Location, error) {
	ev := &eas.Event{}
	local := opts.local()
	if tzid := propValue(c, propTZID); tzid != "" {
		if loc := namedZone(tzid); loc != nil {
			local = loc
		}
	}
	sp := c.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return nil, nil, fmt.Errorf("convert: VEVENT without DTSTART")
	}
	start, isDate, loc, err := zs.dateTime(sp, local)
	if err != nil {
		return nil, nil, err
	}
	ev.StartTime, ev.AllDayEvent = start.UTC(), isDate
	ev.EndTime, err = readEnd(c, start, isDate, zs, loc)
	if err != nil {
		return nil, nil, err
	}
	if loc == time.UTC && !isDate {
		loc = opts.local()
		if loc != time.UTC && strings.HasSuffix(sp.Value, "Z") {
			loc = time.UTC // an explicit UTC event stays UTC
		}
	}
	ev.TimeZone = BlobFor(loc, start.Year())
	ev.Fields.Set(wbxml.CalendarTimeZone, wbxml.CalendarStartTime, wbxml.CalendarEndTime, wbxml.CalendarAllDayEvent)
	if err := readCommon(c, ev, opts); err != nil {
		return nil, nil, err
	}
	return ev, loc, nil
}

// readEnd reads DTEND, or DTSTART + DURATION, or the RFC 5545 3.6.1
// default (one day for a date, none for a date-time).
func readEnd(c *ical.Component, start time.Time, isDate bool, zs *zoneSet, loc *time.Location) (time.Time, error) {
	if ep := c.Props.Get(ical.PropDateTimeEnd); ep != nil {
		end, _, _, err := zs.dateTime(ep, loc)
		if err != nil {
			return time.Time{}, err
		}
		if end.Before(start) {
			return time.Time{}, fmt.Errorf("convert: DTEND %s before DTSTART", ep.Value)
		}
		return end.UTC(), nil
	}
	if dp := c.Props.Get(ical.PropDuration); dp != nil {
		d, err := dp.Duration()
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("convert: DURATION %q", dp.Value)
		}
		if isDate && d%(24*time.Hour) == 0 {
			return start.AddDate(0, 0, int(d/(24*time.Hour))).UTC(), nil // days, not hours, across DST
		}
		return start.Add(d).UTC(), nil
	}
	if isDate {
		return start.AddDate(0, 0, 1).UTC(), nil
	}
	return start.UTC(), nil
}

// readCommon reads what a series and an occurrence share.
func readCommon(c *ical.Component, ev *eas.Event, opts *Options) error {
	p := c.Props
	if s, err := p.Text(ical.PropSummary); err == nil && s != "" {
		ev.Subject = s
		ev.Fields.Set(wbxml.CalendarSubject)
	}
	if st := p.Get(ical.PropDateTimeStamp); st != nil {
		if t, err := time.Parse("20060102T150405Z", st.Value); err == nil {
			ev.DtStamp = t
			ev.Fields.Set(wbxml.CalendarDtStamp)
		}
	}
	ev.Location = readLocation(p)
	if ev.Location != nil {
		ev.Fields.Set(wbxml.CalendarLocation)
	}
	ev.Body = readBody(p)
	if ev.Body != nil {
		ev.Fields.Set(wbxml.AirSyncBaseBody)
	}
	readMeeting(c, ev, opts)
	if cl := propValue(c, ical.PropClass); cl != "" {
		ev.Sensitivity = sensitivityOf(cl)
		ev.Fields.Set(wbxml.CalendarSensitivity)
	}
	ev.BusyStatus = busyOf(c)
	ev.Fields.Set(wbxml.CalendarBusyStatus)
	ev.Categories = readCategories(p)
	if len(ev.Categories) > 0 {
		ev.Fields.Set(wbxml.CalendarCategories)
	}
	if strings.EqualFold(propValue(c, propDisallowCounter), "TRUE") {
		ev.DisallowNewTimeProposal = true
		ev.Fields.Set(wbxml.CalendarDisallowNewTimeProposal)
	}
	if m, ok := reminderOf(c); ok {
		ev.Reminder = m
		ev.Fields.Set(wbxml.CalendarReminder)
	}
	return nil
}

func readCategories(p ical.Props) []string {
	var out []string
	for _, cp := range p.Values(ical.PropCategories) {
		l, err := cp.TextList()
		if err != nil {
			l = []string{cp.Value}
		}
		for _, s := range l {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// reminderOf finds the alarm EAS can carry: the first VALARM whose
// trigger is a duration before (or at) the start. Other alarms stay in
// the stored object only.
func reminderOf(c *ical.Component) (int, bool) {
	// A DISPLAY (or AUDIO) alarm is what Outlook calls a reminder; an
	// EMAIL alarm only when there is nothing else.
	for _, display := range []bool{true, false} {
		if m, ok := relativeAlarm(c, display); ok {
			return m, true
		}
	}
	return 0, false
}

func relativeAlarm(c *ical.Component, display bool) (int, bool) {
	for _, a := range c.Children {
		if a.Name != ical.CompAlarm || (display && strings.EqualFold(propValue(a, ical.PropAction), "EMAIL")) {
			continue
		}
		tp := a.Props.Get(ical.PropTrigger)
		if tp == nil || strings.EqualFold(tp.Params.Get(ical.ParamValue), "DATE-TIME") ||
			strings.EqualFold(tp.Params.Get(ical.ParamRelated), "END") {
			continue
		}
		d, err := tp.Duration()
		if err != nil || d > 0 {
			continue
		}
		return int(-d / time.Minute), true
	}
	return 0, false
}

func sensitivityOf(class string) eas.Sensitivity {
	switch strings.ToUpper(class) {
	case "PUBLIC":
		return eas.SensitivityNormal
	case "X-PERSONAL":
		return eas.SensitivityPersonal
	case "CONFIDENTIAL":
		return eas.SensitivityConfidential
	}
	return eas.SensitivityPrivate // RFC 5545 3.8.1.3: unknown is private
}

// busyOf reads X-MICROSOFT-CDO-BUSYSTATUS, else TRANSP (TRANSPARENT is
// free, anything else busy).
func busyOf(c *ical.Component) eas.BusyStatus {
	v := strings.ToUpper(propValue(c, propBusyStatus))
	for k, name := range busyNames {
		if name == v {
			return k
		}
	}
	if strings.EqualFold(propValue(c, ical.PropTransparency), "TRANSPARENT") {
		return eas.BusyFree
	}
	return eas.BusyBusy
}

// readLocation reads LOCATION with its X-EAS- parameters and GEO.
func readLocation(p ical.Props) *eas.Location {
	lp, gp := p.Get(ical.PropLocation), p.Get(ical.PropGeo)
	if lp == nil && gp == nil {
		return nil
	}
	l := &eas.Location{}
	if lp != nil {
		l.DisplayName, _ = lp.Text()
		for _, f := range locationParams {
			*f.get(l) = paramText(lp.Params.Get(f.name))
		}
		for name, dst := range map[string]*float64{"X-EAS-ACCURACY": &l.Accuracy, "X-EAS-ALTITUDE": &l.Altitude, "X-EAS-ALTITUDEACCURACY": &l.AltitudeAccuracy} {
			if v := lp.Params.Get(name); v != "" {
				*dst, _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	if gp != nil {
		if la, lo, ok := strings.Cut(gp.Value, ";"); ok {
			l.Latitude, _ = strconv.ParseFloat(strings.TrimSpace(la), 64)
			l.Longitude, _ = strconv.ParseFloat(strings.TrimSpace(lo), 64)
		}
	}
	if *l == (eas.Location{}) {
		return nil
	}
	return l
}

// readBody reads DESCRIPTION as a plain body; when X-ALT-DESC holds HTML
// whose text is still DESCRIPTION (the user did not edit it), the HTML.
func readBody(p ical.Props) *eas.Body {
	desc, _ := p.Text(ical.PropDescription)
	if alt := p.Get(propAltDesc); alt != nil && strings.EqualFold(alt.Params.Get(ical.ParamFormatType), "text/html") {
		if h, err := alt.Text(); err == nil && htmlText(h) == desc {
			return eas.NewBody(eas.BodyHTML, []byte(h))
		}
	}
	if desc == "" {
		return nil
	}
	return eas.NewBody(eas.BodyPlain, []byte(desc))
}
