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

// Properties this package writes for EAS fields of an event. MergeCalendar
// replaces exactly these in a stored object and keeps the rest.
const (
	propBusyStatus      = "X-MICROSOFT-CDO-BUSYSTATUS"
	propDisallowCounter = "X-MICROSOFT-DISALLOW-COUNTER"
	propAltDesc         = "X-ALT-DESC"
	propTZID            = "X-EASBRIDGE-TZID"
	propMeetingStatus   = "X-EASBRIDGE-MEETINGSTATUS"
	propConference      = "CONFERENCE"
)

// eventProps are the VEVENT properties derived from EAS fields.
var eventProps = []string{
	ical.PropUID, ical.PropDateTimeStamp, ical.PropSummary, ical.PropLocation, ical.PropGeo,
	ical.PropDescription, propAltDesc, ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration,
	ical.PropRecurrenceRule, ical.PropExceptionDates, ical.PropRecurrenceID, ical.PropOrganizer,
	ical.PropAttendee, ical.PropClass, ical.PropTransparency, propBusyStatus, ical.PropCategories,
	ical.PropStatus, propDisallowCounter, propTZID, propMeetingStatus, propConference,
}

// EventToICal converts an EAS event into a calendar object: one VEVENT
// for the series, one per modified occurrence (RECURRENCE-ID), EXDATEs for
// deleted ones, and the VTIMEZONE of the event's zone (an IANA TZID, see
// ZoneOf). A 16.x orphan instance (Event.InstanceID set) becomes a VEVENT
// with RECURRENCE-ID.
func EventToICal(ev *eas.Event, opts Options) (*ical.Calendar, error) {
	if ev == nil {
		return nil, fmt.Errorf("convert: nil event")
	}
	year := ev.StartTime.UTC().Year()
	loc, err := ZoneOf(ev.TimeZone, year, opts.Local)
	if err != nil {
		return nil, err
	}
	uid := ev.UID
	if uid == "" {
		if uid = ev.ClientUID; uid == "" {
			uid = DeriveUID(opts.ServerID)
		}
	}
	zs := newZoneSet(nil)
	cal := newCalendar()
	master := ical.NewComponent(ical.CompEvent)
	if err := writeEvent(master, ev, uid, loc, zs, &opts); err != nil {
		return nil, err
	}
	if !ev.InstanceID.IsZero() {
		setRecurrenceID(master, ev.InstanceID, ev.AllDayEvent, loc, zs)
	}
	cal.Children = append(cal.Children, master)
	if ev.Recurrence != nil {
		overrides, err := writeRecurrence(master, ev, uid, loc, zs, &opts)
		if err != nil {
			return nil, err
		}
		cal.Children = append(cal.Children, overrides...)
	}
	zs.addTimezones(cal, year)
	return cal, nil
}

func newCalendar() *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, prodID)
	return cal
}

// writeRecurrence adds RRULE and EXDATE to master and returns the
// overriding VEVENTs of the modified occurrences.
func writeRecurrence(master *ical.Component, ev *eas.Event, uid string, loc *time.Location, zs *zoneSet, opts *Options) ([]*ical.Component, error) {
	rule, err := rruleOf(ev.Recurrence, ev.StartTime.In(loc), ev.AllDayEvent, wbxml.CalendarFirstDayOfWeek)
	if err != nil {
		return nil, err
	}
	master.Props.Set(&ical.Prop{Name: ical.PropRecurrenceRule, Params: ical.Params{}, Value: rule})
	var out []*ical.Component
	for i := range ev.Exceptions {
		ex := &ev.Exceptions[i]
		orig := ex.ExceptionStartTime
		if orig.IsZero() {
			orig = ex.InstanceID
		}
		if orig.IsZero() {
			return nil, fmt.Errorf("convert: exception %d has no start time", i)
		}
		if ex.Deleted {
			tmp := ical.NewComponent(ical.CompEvent)
			setRecurrenceID(tmp, orig, ev.AllDayEvent, loc, zs)
			p := tmp.Props.Get(ical.PropRecurrenceID)
			p.Name = ical.PropExceptionDates
			master.Props.Add(p)
			continue
		}
		eff := effectiveException(ev, ex, orig)
		c := ical.NewComponent(ical.CompEvent)
		if err := writeEvent(c, eff, uid, loc, zs, opts); err != nil {
			return nil, fmt.Errorf("convert: exception %d: %w", i, err)
		}
		setRecurrenceID(c, orig, ev.AllDayEvent, loc, zs)
		out = append(out, c)
	}
	return out, nil
}

func setRecurrenceID(c *ical.Component, orig time.Time, allDay bool, loc *time.Location, zs *zoneSet) {
	if allDay {
		p := ical.NewProp(ical.PropRecurrenceID)
		p.SetDate(dayOf(orig, loc))
		c.Props.Set(p)
		return
	}
	zs.setTime(c.Props, ical.PropRecurrenceID, orig, loc)
}

// dayOf returns the calendar date an all-day instant stands for in loc:
// the nearest midnight, so a server that put midnight in a neighbouring
// zone does not move the day.
func dayOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc).Add(12 * time.Hour)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// effectiveException returns the occurrence an exception describes: the
// series' fields overridden by those the exception carries (MS-ASCAL
// 2.2.2.21: an element an Exception omits is inherited).
func effectiveException(ev *eas.Event, ex *eas.Exception, orig time.Time) *eas.Event {
	e := *ev
	e.Recurrence, e.Exceptions, e.InstanceID = nil, nil, time.Time{}
	x, fs := &ex.Event, &ex.Fields
	dur := ev.EndTime.Sub(ev.StartTime)
	e.StartTime, e.EndTime = orig, orig.Add(dur)
	has := fs.Has
	if has(wbxml.CalendarStartTime) {
		e.StartTime = x.StartTime
		if !has(wbxml.CalendarEndTime) {
			e.EndTime = x.StartTime.Add(dur)
		}
	}
	if has(wbxml.CalendarEndTime) {
		e.EndTime = x.EndTime
	}
	if has(wbxml.CalendarSubject) {
		e.Subject = x.Subject
	}
	if has(wbxml.CalendarLocation) || has(wbxml.AirSyncBaseLocation) {
		e.Location = x.Location
	}
	if has(wbxml.AirSyncBaseBody) {
		e.Body = x.Body
	}
	if has(wbxml.CalendarAllDayEvent) {
		e.AllDayEvent = x.AllDayEvent
	}
	if has(wbxml.CalendarBusyStatus) {
		e.BusyStatus = x.BusyStatus
	}
	if has(wbxml.CalendarSensitivity) {
		e.Sensitivity = x.Sensitivity
	}
	if has(wbxml.CalendarMeetingStatus) {
		e.MeetingStatus = x.MeetingStatus
	}
	if has(wbxml.CalendarAttendees) {
		e.Attendees = x.Attendees
	}
	if has(wbxml.CalendarCategories) {
		e.Categories = x.Categories
	}
	if has(wbxml.CalendarDtStamp) {
		e.DtStamp = x.DtStamp
	}
	if has(wbxml.CalendarReminder) {
		e.Reminder = x.Reminder
		e.Fields.Clear(wbxml.CalendarReminder)
		if fs.IsEmpty(wbxml.CalendarReminder) {
			e.Fields.SetEmpty(wbxml.CalendarReminder)
		} else {
			e.Fields.Set(wbxml.CalendarReminder)
		}
	}
	return &e
}

// writeEvent sets the properties of one VEVENT from ev.
func writeEvent(c *ical.Component, ev *eas.Event, uid string, loc *time.Location, zs *zoneSet, opts *Options) error {
	p := c.Props
	p.SetText(ical.PropUID, uid)
	stamp := ev.DtStamp
	if stamp.IsZero() {
		stamp = opts.now()
	}
	p.SetDateTime(ical.PropDateTimeStamp, stamp.UTC())
	if ev.AllDayEvent {
		start := dayOf(ev.StartTime, loc)
		end := dayOf(ev.EndTime, loc)
		if !end.After(start) {
			end = start.AddDate(0, 0, 1)
		}
		p.SetDate(ical.PropDateTimeStart, start)
		p.SetDate(ical.PropDateTimeEnd, end)
		if loc != opts.local() {
			setX(p, propTZID, loc.String())
		}
	} else {
		zs.setTime(p, ical.PropDateTimeStart, ev.StartTime, loc)
		zs.setTime(p, ical.PropDateTimeEnd, ev.EndTime, loc)
	}
	if ev.Subject != "" {
		p.SetText(ical.PropSummary, ev.Subject)
	}
	writeLocation(p, ev.Location)
	if err := writeBody(p, ev.Body); err != nil {
		return err
	}
	writeMeeting(p, ev, opts)
	if ev.Sensitivity != eas.SensitivityNormal || ev.Fields.Has(wbxml.CalendarSensitivity) {
		p.SetText(ical.PropClass, classOf(ev.Sensitivity))
	}
	writeBusy(p, ev.BusyStatus, ev.Fields.Has(wbxml.CalendarBusyStatus))
	if len(ev.Categories) > 0 {
		cp := ical.NewProp(ical.PropCategories)
		cp.SetTextList(ev.Categories)
		p.Set(cp)
	}
	if ev.DisallowNewTimeProposal {
		setX(p, propDisallowCounter, "TRUE")
	}
	for _, link := range []string{ev.OnlineMeetingConfLink, ev.OnlineMeetingExternalLink} {
		if link != "" {
			cp := &ical.Prop{Name: propConference, Params: ical.Params{ical.ParamValue: {"URI"}}, Value: link}
			p.Add(cp)
		}
	}
	if ev.Fields.Has(wbxml.CalendarReminder) && !ev.Fields.IsEmpty(wbxml.CalendarReminder) {
		c.Children = append(c.Children, displayAlarm(ev.Reminder, ev.Subject))
	}
	return nil
}

// displayAlarm is the VALARM of an EAS reminder: DISPLAY, minutes before
// the start.
func displayAlarm(minutes int, text string) *ical.Component {
	a := ical.NewComponent(ical.CompAlarm)
	a.Props.SetText(ical.PropAction, "DISPLAY")
	if text == "" {
		text = "Reminder"
	}
	a.Props.SetText(ical.PropDescription, text)
	a.Props.Set(&ical.Prop{Name: ical.PropTrigger, Params: ical.Params{}, Value: "-PT" + strconv.Itoa(minutes) + "M"})
	return a
}

func classOf(s eas.Sensitivity) string {
	switch s {
	case eas.SensitivityPersonal:
		// RFC 5545 3.8.1.3: readers treat an unknown class as PRIVATE.
		return "X-PERSONAL"
	case eas.SensitivityPrivate:
		return "PRIVATE"
	case eas.SensitivityConfidential:
		return "CONFIDENTIAL"
	}
	return "PUBLIC"
}

var busyNames = map[eas.BusyStatus]string{
	eas.BusyFree: "FREE", eas.BusyTentative: "TENTATIVE", eas.BusyBusy: "BUSY",
	eas.BusyOutOfOffice: "OOF", eas.BusyWorkingElsewhere: "WORKINGELSEWHERE",
}

// writeBusy writes TRANSP (free is TRANSPARENT, every other status
// OPAQUE) and Outlook's X-MICROSOFT-CDO-BUSYSTATUS with the exact value.
func writeBusy(p ical.Props, b eas.BusyStatus, present bool) {
	name, ok := busyNames[b]
	if !ok || (!present && b == eas.BusyFree) {
		name, b = "BUSY", eas.BusyBusy
	}
	if b == eas.BusyFree {
		p.SetText(ical.PropTransparency, "TRANSPARENT")
	} else {
		p.SetText(ical.PropTransparency, "OPAQUE")
	}
	setX(p, propBusyStatus, name)
}

// Location parameters carrying the 16.x AirSyncBase Location fields that
// LOCATION and GEO cannot.
var locationParams = []struct {
	name string
	get  func(*eas.Location) *string
}{
	{"X-EAS-ANNOTATION", func(l *eas.Location) *string { return &l.Annotation }},
	{"X-EAS-STREET", func(l *eas.Location) *string { return &l.Street }},
	{"X-EAS-CITY", func(l *eas.Location) *string { return &l.City }},
	{"X-EAS-STATE", func(l *eas.Location) *string { return &l.State }},
	{"X-EAS-COUNTRY", func(l *eas.Location) *string { return &l.Country }},
	{"X-EAS-POSTALCODE", func(l *eas.Location) *string { return &l.PostalCode }},
	{"X-EAS-URI", func(l *eas.Location) *string { return &l.LocationURI }},
}

// writeLocation writes LOCATION (DisplayName, 16.x address fields as
// X-EAS- parameters) and GEO.
func writeLocation(p ical.Props, l *eas.Location) {
	if l == nil {
		return
	}
	lp := ical.NewProp(ical.PropLocation)
	lp.SetText(l.DisplayName)
	for _, f := range locationParams {
		if v := *f.get(l); v != "" {
			lp.Params.Set(f.name, paramSafe(v))
		}
	}
	for name, v := range map[string]float64{"X-EAS-ACCURACY": l.Accuracy, "X-EAS-ALTITUDE": l.Altitude, "X-EAS-ALTITUDEACCURACY": l.AltitudeAccuracy} {
		if v != 0 {
			lp.Params.Set(name, strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	if l.DisplayName != "" || len(lp.Params) > 1 {
		p.Set(lp)
	}
	if l.Latitude != 0 || l.Longitude != 0 {
		p.Set(&ical.Prop{Name: ical.PropGeo, Params: ical.Params{},
			Value: strconv.FormatFloat(l.Latitude, 'f', -1, 64) + ";" + strconv.FormatFloat(l.Longitude, 'f', -1, 64)})
	}
}

// paramSafe encodes a parameter value with RFC 6868 (^n, ^', ^^):
// go-ical refuses double quotes and line breaks in parameters, and RFC
// 5545 3.1 has no other escape for them.
func paramSafe(s string) string {
	return paramEncoder.Replace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// paramText decodes an RFC 6868 parameter value.
func paramText(s string) string { return paramDecoder.Replace(s) }

var (
	paramEncoder = strings.NewReplacer("^", "^^", "\n", "^n", "\r", "^n", `"`, "^'")
	paramDecoder = strings.NewReplacer("^^", "^", "^n", "\n", "^N", "\n", "^'", `"`)
)

// writeBody writes DESCRIPTION; an HTML body also goes to X-ALT-DESC
// (FMTTYPE=text/html, as Outlook writes it) with its text in DESCRIPTION.
func writeBody(p ical.Props, b *eas.Body) error {
	if b == nil || !b.HasData() {
		return nil
	}
	data, err := b.Bytes()
	if err != nil {
		return fmt.Errorf("convert: reading body: %w", err)
	}
	text := string(data)
	if b.Type == eas.BodyHTML {
		alt := ical.NewProp(propAltDesc)
		alt.Params.Set(ical.ParamFormatType, "text/html")
		alt.SetText(text)
		p.Set(alt)
		text = htmlText(text)
	} else if b.Type != eas.BodyPlain {
		return nil // RTF and MIME bodies have no iCalendar form
	}
	if text != "" {
		d := ical.NewProp(ical.PropDescription)
		d.SetText(text)
		if b.Truncated {
			// The server cut the body: MergeCalendar keeps the stored
			// full text instead.
			d.Params.Set(paramTruncated, "TRUE")
		}
		p.Set(d)
	}
	return nil
}

// paramTruncated marks a DESCRIPTION made from a truncated server body.
const paramTruncated = "X-EASBRIDGE-TRUNCATED"
