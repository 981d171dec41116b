package convert

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// Properties of our own for task and note fields iCalendar lacks.
const (
	propRegenerate   = "X-EASBRIDGE-REGENERATE"
	propDeadOccur    = "X-EASBRIDGE-DEADOCCUR"
	propMessageClass = "X-EASBRIDGE-MESSAGECLASS"
)

// todoProps are the VTODO properties derived from EAS fields.
var todoProps = []string{
	ical.PropUID, ical.PropDateTimeStamp, ical.PropSummary, ical.PropDescription, ical.PropDateTimeStart,
	ical.PropDue, ical.PropCompleted, ical.PropStatus, ical.PropPriority, ical.PropClass,
	ical.PropCategories, ical.PropRecurrenceRule, propRegenerate, propDeadOccur, ical.PropPercentComplete,
}

// TaskToICal converts an EAS task into a VTODO. StartDate and DueDate
// (MS-ASTASK 2.2.2.25: local wall-clock written as UTC) at midnight become
// DATE values; other times are written in Options.Local when UtcStartDate
// agrees with it, else as UTC (UtcStartDate) or floating (local only).
// Importance 0/1/2 is PRIORITY 9/5/1; ReminderSet/ReminderTime is a
// DISPLAY alarm at an absolute time.
func TaskToICal(t *eas.Task, opts Options) (*ical.Calendar, error) {
	if t == nil {
		return nil, fmt.Errorf("convert: nil task")
	}
	cal := newCalendar()
	c := ical.NewComponent(ical.CompToDo)
	p := c.Props
	p.SetText(ical.PropUID, DeriveUID(opts.ServerID))
	p.SetDateTime(ical.PropDateTimeStamp, opts.now())
	if t.Subject != "" {
		p.SetText(ical.PropSummary, t.Subject)
	}
	if err := writeBody(p, t.Body); err != nil {
		return nil, err
	}
	zs := newZoneSet(nil)
	writeTaskTime(p, zs, ical.PropDateTimeStart, t.StartDate, t.UtcStartDate, &opts)
	writeTaskTime(p, zs, ical.PropDue, t.DueDate, t.UtcDueDate, &opts)
	if t.Complete {
		p.SetText(ical.PropStatus, "COMPLETED")
		if !t.DateCompleted.IsZero() {
			p.SetDateTime(ical.PropCompleted, t.DateCompleted.UTC())
		}
	} else {
		p.SetText(ical.PropStatus, "NEEDS-ACTION")
	}
	if t.Importance != eas.ImportanceLow || t.Fields.Has(wbxml.TasksImportance) {
		p.Set(&ical.Prop{Name: ical.PropPriority, Params: ical.Params{}, Value: itoa(9 - 4*int(t.Importance))})
	}
	if t.Sensitivity != eas.SensitivityNormal || t.Fields.Has(wbxml.TasksSensitivity) {
		p.SetText(ical.PropClass, classOf(t.Sensitivity))
	}
	if len(t.Categories) > 0 {
		cp := ical.NewProp(ical.PropCategories)
		cp.SetTextList(t.Categories)
		p.Set(cp)
	}
	if t.ReminderSet && !t.ReminderTime.IsZero() {
		a := ical.NewComponent(ical.CompAlarm)
		a.Props.SetText(ical.PropAction, "DISPLAY")
		a.Props.SetText(ical.PropDescription, "Reminder")
		a.Props.Set(&ical.Prop{Name: ical.PropTrigger, Params: ical.Params{ical.ParamValue: {"DATE-TIME"}},
			Value: t.ReminderTime.UTC().Format("20060102T150405Z")})
		c.Children = append(c.Children, a)
	}
	if r := t.Recurrence; r != nil {
		start := taskAnchor(t, &opts)
		rule, err := rruleOf(r, start, false, wbxml.TasksFirstDayOfWeek)
		if err != nil {
			return nil, err
		}
		p.Set(&ical.Prop{Name: ical.PropRecurrenceRule, Params: ical.Params{}, Value: rule})
		if r.Regenerate {
			setX(p, propRegenerate, "TRUE")
		}
		if r.DeadOccur {
			setX(p, propDeadOccur, "TRUE")
		}
	}
	cal.Children = append(cal.Children, c)
	zs.addTimezones(cal, opts.now().Year())
	return cal, nil
}

// taskAnchor is the wall-clock time a task's recurrence counts from.
func taskAnchor(t *eas.Task, opts *Options) time.Time {
	for _, v := range []time.Time{t.Recurrence.Start, t.StartDate, t.DueDate} {
		if !v.IsZero() {
			return v.UTC()
		}
	}
	return opts.now()
}

func isMidnight(t time.Time) bool {
	t = t.UTC()
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

func writeTaskTime(p ical.Props, zs *zoneSet, name string, local, utc time.Time, opts *Options) {
	switch {
	case local.IsZero() && utc.IsZero():
	case !local.IsZero() && isMidnight(local):
		p.SetDate(name, local.UTC())
	case utc.IsZero():
		p.Set(&ical.Prop{Name: name, Params: ical.Params{}, Value: local.UTC().Format("20060102T150405")})
	case local.IsZero() || wallEqual(utc.In(opts.local()), local):
		zs.setTime(p, name, utc, opts.local())
	default:
		zs.setTime(p, name, utc, zoneWithOffset(utc, local.Sub(utc)))
	}
}

// zoneWithOffset finds a zone whose offset at the instant t is off, so
// that a task's local and UTC forms both survive (the user set the task
// in another zone than Options.Local); UTC when none has it.
func zoneWithOffset(t time.Time, off time.Duration) *time.Location {
	for _, name := range candidates() {
		loc, err := loadLocation(name)
		if err != nil {
			continue
		}
		if _, o := t.In(loc).Zone(); time.Duration(o)*time.Second == off {
			return loc
		}
	}
	return time.UTC
}

func wallEqual(a, b time.Time) bool {
	return a.Format("20060102T150405") == b.UTC().Format("20060102T150405")
}

// ICalToTask converts the first VTODO of a calendar into an EAS task.
// DATE values and floating times are local wall-clock (StartDate,
// DueDate) placed in Options.Local for the UTC forms; zoned times give
// both forms.
func ICalToTask(cal *ical.Calendar, opts Options) (*eas.Task, error) {
	c := firstComponent(cal, ical.CompToDo)
	if c == nil {
		return nil, fmt.Errorf("convert: calendar holds no VTODO")
	}
	t := &eas.Task{}
	p := c.Props
	t.Subject, _ = p.Text(ical.PropSummary)
	t.Body = readBody(p)
	zs := newZoneSet(cal)
	var err error
	if t.StartDate, t.UtcStartDate, err = readTaskTime(p.Get(ical.PropDateTimeStart), zs, &opts); err != nil {
		return nil, err
	}
	if t.DueDate, t.UtcDueDate, err = readTaskTime(p.Get(ical.PropDue), zs, &opts); err != nil {
		return nil, err
	}
	t.Complete = strings.EqualFold(propValue(c, ical.PropStatus), "COMPLETED") || p.Get(ical.PropCompleted) != nil
	if cp := p.Get(ical.PropCompleted); cp != nil {
		if ct, _, _, err := zs.dateTime(cp, opts.local()); err == nil {
			t.DateCompleted = ct.UTC()
		}
	}
	t.Fields.Set(wbxml.TasksComplete)
	if pr := propValue(c, ical.PropPriority); pr != "" {
		n, _ := atoi(pr)
		t.Importance = importanceOf(n)
		t.Fields.Set(wbxml.TasksImportance)
	}
	if cl := propValue(c, ical.PropClass); cl != "" {
		t.Sensitivity = sensitivityOf(cl)
		t.Fields.Set(wbxml.TasksSensitivity)
	}
	t.Categories = readCategories(p)
	if len(t.Categories) > 0 {
		t.Fields.Set(wbxml.TasksCategories)
	}
	t.ReminderTime, t.ReminderSet = absoluteAlarm(c, zs, &opts)
	if rp := p.Get(ical.PropRecurrenceRule); rp != nil {
		anchor := t.StartDate
		if anchor.IsZero() {
			anchor = t.DueDate
		}
		r, err := recurrenceOf(rp.Value, anchor, taskRecurTags)
		if err != nil {
			return nil, err
		}
		r.Start = anchor
		r.Regenerate = strings.EqualFold(propValue(c, propRegenerate), "TRUE")
		r.DeadOccur = strings.EqualFold(propValue(c, propDeadOccur), "TRUE")
		t.Recurrence = r
		t.Fields.Set(wbxml.TasksRecurrence)
	}
	return t, nil
}

func importanceOf(priority int) eas.Importance {
	switch {
	case priority >= 1 && priority <= 4:
		return eas.ImportanceHigh
	case priority >= 6:
		return eas.ImportanceLow
	}
	return eas.ImportanceNormal
}

func readTaskTime(p *ical.Prop, zs *zoneSet, opts *Options) (local, utc time.Time, err error) {
	if p == nil {
		return time.Time{}, time.Time{}, nil
	}
	t, isDate, loc, err := zs.dateTime(p, opts.local())
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	floating := !isDate && p.Params.Get(ical.ParamTimezoneID) == "" && !strings.HasSuffix(p.Value, "Z")
	if isDate || floating || loc != time.UTC {
		w := t.In(loc)
		local = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	} else {
		w := t.In(opts.local())
		local = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	}
	return local, t.UTC(), nil
}

// absoluteAlarm reads the first alarm of a task: an absolute trigger, or
// one relative to DUE (or DTSTART) resolved to an instant.
func absoluteAlarm(c *ical.Component, zs *zoneSet, opts *Options) (time.Time, bool) {
	for _, a := range c.Children {
		if a.Name != ical.CompAlarm {
			continue
		}
		tp := a.Props.Get(ical.PropTrigger)
		if tp == nil {
			continue
		}
		if strings.EqualFold(tp.Params.Get(ical.ParamValue), "DATE-TIME") {
			if t, _, _, err := zs.dateTime(tp, opts.local()); err == nil {
				return t.UTC(), true
			}
			continue
		}
		d, err := tp.Duration()
		if err != nil {
			continue
		}
		ref := c.Props.Get(ical.PropDue)
		if strings.EqualFold(tp.Params.Get(ical.ParamRelated), "START") || ref == nil {
			ref = c.Props.Get(ical.PropDateTimeStart)
		}
		if ref == nil {
			continue
		}
		if t, _, _, err := zs.dateTime(ref, opts.local()); err == nil {
			return t.Add(d).UTC(), true
		}
	}
	return time.Time{}, false
}

func firstComponent(cal *ical.Calendar, name string) *ical.Component {
	if cal == nil {
		return nil
	}
	for _, c := range cal.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// NoteToICal converts an EAS note into a VJOURNAL: SUMMARY, DESCRIPTION,
// CATEGORIES, LAST-MODIFIED, and a non-default MessageClass in
// X-EASBRIDGE-MESSAGECLASS.
func NoteToICal(n *eas.Note, opts Options) (*ical.Calendar, error) {
	if n == nil {
		return nil, fmt.Errorf("convert: nil note")
	}
	cal := newCalendar()
	c := ical.NewComponent(ical.CompJournal)
	p := c.Props
	p.SetText(ical.PropUID, DeriveUID(opts.ServerID))
	stamp := n.LastModifiedDate
	if stamp.IsZero() {
		stamp = opts.now()
	} else {
		p.SetDateTime(ical.PropLastModified, n.LastModifiedDate.UTC())
	}
	p.SetDateTime(ical.PropDateTimeStamp, stamp.UTC())
	if n.Subject != "" {
		p.SetText(ical.PropSummary, n.Subject)
	}
	if err := writeBody(p, n.Body); err != nil {
		return nil, err
	}
	if len(n.Categories) > 0 {
		cp := ical.NewProp(ical.PropCategories)
		cp.SetTextList(n.Categories)
		p.Set(cp)
	}
	if n.MessageClass != "" && n.MessageClass != "IPM.StickyNote" {
		setX(p, propMessageClass, n.MessageClass)
	}
	cal.Children = append(cal.Children, c)
	return cal, nil
}

// ICalToNote converts the first VJOURNAL of a calendar into an EAS note.
func ICalToNote(cal *ical.Calendar, opts Options) (*eas.Note, error) {
	c := firstComponent(cal, ical.CompJournal)
	if c == nil {
		return nil, fmt.Errorf("convert: calendar holds no VJOURNAL")
	}
	n := &eas.Note{MessageClass: "IPM.StickyNote"}
	n.Subject, _ = c.Props.Text(ical.PropSummary)
	n.Body = readBody(c.Props)
	n.Categories = readCategories(c.Props)
	if mc := propValue(c, propMessageClass); mc != "" {
		n.MessageClass = mc
	}
	if lm := c.Props.Get(ical.PropLastModified); lm != nil {
		if t, err := time.Parse("20060102T150405Z", lm.Value); err == nil {
			n.LastModifiedDate = t
		}
	}
	n.Fields.Set(wbxml.NotesSubject, wbxml.NotesMessageClass)
	if len(n.Categories) > 0 {
		n.Fields.Set(wbxml.NotesCategories)
	}
	if n.Body != nil {
		n.Fields.Set(wbxml.AirSyncBaseBody)
	}
	return n, nil
}
