package convert

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// readRecurrence reads RRULE, EXDATE and the overriding VEVENTs of a
// series into ev.
func readRecurrence(master *ical.Component, overrides []*ical.Component, ev *eas.Event, loc *time.Location, zs *zoneSet, opts *Options) error {
	rp := master.Props.Get(ical.PropRecurrenceRule)
	if rp == nil {
		if len(overrides) > 0 {
			return fmt.Errorf("convert: overridden occurrences without RRULE: %w", ErrUnsupported)
		}
		return nil
	}
	if len(master.Props.Values(ical.PropRecurrenceRule)) > 1 {
		return fmt.Errorf("convert: several RRULEs: %w", ErrUnsupported)
	}
	r, err := recurrenceOf(rp.Value, ev.StartTime.In(loc), calendarRecurTags)
	if err != nil {
		return err
	}
	ev.Recurrence = r
	ev.Fields.Set(wbxml.CalendarRecurrence)
	ev.Exceptions = []eas.Exception{}
	for _, xp := range master.Props.Values(ical.PropExceptionDates) {
		for _, v := range strings.Split(xp.Value, ",") {
			p := xp
			p.Value = v
			t, _, _, err := zs.dateTime(&p, loc)
			if err != nil {
				return err
			}
			ex := eas.Exception{Deleted: true, ExceptionStartTime: t.UTC()}
			ex.Fields.Set(wbxml.CalendarDeleted, wbxml.CalendarExceptionStartTime)
			ev.Exceptions = append(ev.Exceptions, ex)
		}
	}
	for _, c := range overrides {
		ex, err := readOverride(c, ev, loc, zs, opts)
		if err != nil {
			return err
		}
		ev.Exceptions = append(ev.Exceptions, *ex)
	}
	slices.SortStableFunc(ev.Exceptions, func(a, b eas.Exception) int {
		return a.ExceptionStartTime.Compare(b.ExceptionStartTime)
	})
	ev.Fields.Set(wbxml.CalendarExceptions)
	return nil
}

// readOverride turns one overriding VEVENT into an Exception that carries
// the fields differing from the series, and always its start and end.
// STATUS:CANCELLED on an occurrence deletes it.
func readOverride(c *ical.Component, ev *eas.Event, loc *time.Location, zs *zoneSet, opts *Options) (*eas.Exception, error) {
	rid, _, _, err := zs.dateTime(c.Props.Get(ical.PropRecurrenceID), loc)
	if err != nil {
		return nil, err
	}
	ex := &eas.Exception{ExceptionStartTime: rid.UTC()}
	ex.Fields.Set(wbxml.CalendarExceptionStartTime)
	if strings.EqualFold(propValue(c, ical.PropStatus), "CANCELLED") && ev.MeetingStatus&4 == 0 {
		ex.Deleted = true
		ex.Fields.Set(wbxml.CalendarDeleted)
		return ex, nil
	}
	o, _, err := readEvent(c, zs, opts)
	if err != nil {
		return nil, fmt.Errorf("convert: occurrence %s: %w", rid.UTC().Format(time.RFC3339), err)
	}
	x := &ex.Event
	x.StartTime, x.EndTime = o.StartTime, o.EndTime
	x.Fields.Set(wbxml.CalendarStartTime, wbxml.CalendarEndTime)
	set := func(tag wbxml.Tag, differs bool, apply func()) {
		if differs {
			apply()
			x.Fields.Set(tag)
		}
	}
	set(wbxml.CalendarSubject, o.Subject != ev.Subject, func() { x.Subject = o.Subject })
	set(wbxml.CalendarLocation, !reflect.DeepEqual(o.Location, ev.Location), func() { x.Location = o.Location })
	set(wbxml.AirSyncBaseBody, bodyText(o.Body) != bodyText(ev.Body), func() { x.Body = o.Body })
	set(wbxml.CalendarAllDayEvent, o.AllDayEvent != ev.AllDayEvent, func() { x.AllDayEvent = o.AllDayEvent })
	set(wbxml.CalendarBusyStatus, o.BusyStatus != ev.BusyStatus, func() { x.BusyStatus = o.BusyStatus })
	set(wbxml.CalendarSensitivity, o.Sensitivity != ev.Sensitivity, func() { x.Sensitivity = o.Sensitivity })
	set(wbxml.CalendarMeetingStatus, o.MeetingStatus != ev.MeetingStatus, func() { x.MeetingStatus = o.MeetingStatus })
	set(wbxml.CalendarAttendees, !sameAttendees(o.Attendees, ev.Attendees), func() { x.Attendees = o.Attendees })
	set(wbxml.CalendarCategories, !slices.Equal(o.Categories, ev.Categories), func() { x.Categories = o.Categories })
	set(wbxml.CalendarDtStamp, !o.DtStamp.Equal(ev.DtStamp), func() { x.DtStamp = o.DtStamp })
	oHas, evHas := o.Fields.Has(wbxml.CalendarReminder), ev.Fields.Has(wbxml.CalendarReminder) && !ev.Fields.IsEmpty(wbxml.CalendarReminder)
	switch {
	case oHas && (!evHas || o.Reminder != ev.Reminder):
		x.Reminder = o.Reminder
		x.Fields.Set(wbxml.CalendarReminder)
	case !oHas && evHas:
		x.Fields.SetEmpty(wbxml.CalendarReminder) // no reminder on this one
	}
	return ex, nil
}

func bodyText(b *eas.Body) string {
	if b == nil {
		return ""
	}
	return b.String()
}

func sameAttendees(a, b []eas.Attendee) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Fields, y.Fields = eas.Fields{}, eas.Fields{}
		if x != y {
			return false
		}
	}
	return true
}
