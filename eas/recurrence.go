package eas

import (
	"fmt"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// RecurrenceType is the pattern of a recurrence (MS-ASCAL 2.2.2.45 Type,
// MS-ASTASK 2.2.2.26 Type).
type RecurrenceType int

// The recurrence patterns. There is no type 4.
const (
	RecurDaily      RecurrenceType = 0 // every Interval days (or weekdays, with DayOfWeek)
	RecurWeekly     RecurrenceType = 1 // on the DayOfWeek days every Interval weeks
	RecurMonthly    RecurrenceType = 2 // on DayOfMonth every Interval months
	RecurMonthlyNth RecurrenceType = 3 // on the WeekOfMonth-th DayOfWeek every Interval months
	RecurYearly     RecurrenceType = 5 // on DayOfMonth of MonthOfYear
	RecurYearlyNth  RecurrenceType = 6 // on the WeekOfMonth-th DayOfWeek of MonthOfYear
)

// DayMask is the DayOfWeek bit mask of a recurrence (MS-ASCAL 2.2.2.16):
// 1 Sunday, 2 Monday, 4 Tuesday, 8 Wednesday, 16 Thursday, 32 Friday,
// 64 Saturday; 127 with WeekOfMonth 5 means the last day of the month.
type DayMask int

// The days of DayMask.
const (
	Sunday DayMask = 1 << iota
	Monday
	Tuesday
	Wednesday
	Thursday
	Friday
	Saturday
)

// MaskOf returns the DayMask bit of a weekday.
func MaskOf(d time.Weekday) DayMask { return 1 << d }

// Has reports whether the mask includes weekday d.
func (m DayMask) Has(d time.Weekday) bool { return m&MaskOf(d) != 0 }

// Days lists the weekdays of the mask, Sunday first.
func (m DayMask) Days() []time.Weekday {
	var out []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if m.Has(d) {
			out = append(out, d)
		}
	}
	return out
}

// Recurrence is the recurrence pattern of an event (MS-ASCAL 2.2.2.37), a
// task (MS-ASTASK 2.2.2.18) or a meeting request (MS-ASEMAIL 2.2.2.60).
// Until and Occurrences are exclusive; neither means no end.
type Recurrence struct {
	Type RecurrenceType
	// Interval is the number of units between occurrences; 0 means 1.
	Interval    int
	Until       time.Time
	Occurrences int
	DayOfWeek   DayMask
	DayOfMonth  int
	// WeekOfMonth is 1..4, or 5 for the last.
	WeekOfMonth int
	MonthOfYear int
	// CalendarType is the calendar system (0 default, 1 Gregorian ...;
	// MS-ASCAL 2.2.2.10), 14.0 and later.
	CalendarType int
	// IsLeapMonth is for lunisolar calendars, 14.0 and later.
	IsLeapMonth bool
	// FirstDayOfWeek is 0 (Sunday) .. 6 (Saturday), 14.1 and later.
	FirstDayOfWeek int

	// Start is the start of a task recurrence (MS-ASTASK 2.2.2.22).
	Start time.Time
	// Regenerate makes a task recur relative to the completion of the
	// previous one (MS-ASTASK 2.2.2.20).
	Regenerate bool
	// DeadOccur is set on a task recurrence whose occurrences are dead
	// (MS-ASTASK 2.2.2.8).
	DeadOccur bool

	// Fields records which child elements were present.
	Fields Fields
}

var calendarRecurrenceFields = newFieldTable(
	intField(wbxml.CalendarType, func(r *Recurrence) *RecurrenceType { return &r.Type }),
	intField(wbxml.CalendarOccurrences, func(r *Recurrence) *int { return &r.Occurrences }),
	intField(wbxml.CalendarInterval, func(r *Recurrence) *int { return &r.Interval }),
	intField(wbxml.CalendarWeekOfMonth, func(r *Recurrence) *int { return &r.WeekOfMonth }),
	intField(wbxml.CalendarDayOfWeek, func(r *Recurrence) *DayMask { return &r.DayOfWeek }),
	intField(wbxml.CalendarMonthOfYear, func(r *Recurrence) *int { return &r.MonthOfYear }),
	dateField(wbxml.CalendarUntil, dateCompact, func(r *Recurrence) *time.Time { return &r.Until }),
	intField(wbxml.CalendarDayOfMonth, func(r *Recurrence) *int { return &r.DayOfMonth }),
	intField(wbxml.CalendarCalendarType, func(r *Recurrence) *int { return &r.CalendarType }).sinceV(V140),
	boolField(wbxml.CalendarIsLeapMonth, func(r *Recurrence) *bool { return &r.IsLeapMonth }).sinceV(V140),
	intField(wbxml.CalendarFirstDayOfWeek, func(r *Recurrence) *int { return &r.FirstDayOfWeek }).sinceV(V141),
)

var taskRecurrenceFields = newFieldTable(
	intField(wbxml.TasksType, func(r *Recurrence) *RecurrenceType { return &r.Type }),
	dateField(wbxml.TasksStart, dateLong, func(r *Recurrence) *time.Time { return &r.Start }),
	dateField(wbxml.TasksUntil, dateLong, func(r *Recurrence) *time.Time { return &r.Until }),
	intField(wbxml.TasksOccurrences, func(r *Recurrence) *int { return &r.Occurrences }),
	intField(wbxml.TasksInterval, func(r *Recurrence) *int { return &r.Interval }),
	intField(wbxml.TasksDayOfWeek, func(r *Recurrence) *DayMask { return &r.DayOfWeek }),
	intField(wbxml.TasksDayOfMonth, func(r *Recurrence) *int { return &r.DayOfMonth }),
	intField(wbxml.TasksWeekOfMonth, func(r *Recurrence) *int { return &r.WeekOfMonth }),
	intField(wbxml.TasksMonthOfYear, func(r *Recurrence) *int { return &r.MonthOfYear }),
	boolField(wbxml.TasksRegenerate, func(r *Recurrence) *bool { return &r.Regenerate }),
	boolField(wbxml.TasksDeadOccur, func(r *Recurrence) *bool { return &r.DeadOccur }),
	intField(wbxml.TasksCalendarType, func(r *Recurrence) *int { return &r.CalendarType }).sinceV(V140),
	boolField(wbxml.TasksIsLeapMonth, func(r *Recurrence) *bool { return &r.IsLeapMonth }).sinceV(V140),
	intField(wbxml.TasksFirstDayOfWeek, func(r *Recurrence) *int { return &r.FirstDayOfWeek }).sinceV(V141),
)

// emailRecurrenceFields is the Recurrence of a MeetingRequest
// (MS-ASEMAIL 2.2.2.60), which only servers send.
var emailRecurrenceFields = newFieldTable(
	intField(wbxml.EmailType, func(r *Recurrence) *RecurrenceType { return &r.Type }).ro(),
	intField(wbxml.EmailInterval, func(r *Recurrence) *int { return &r.Interval }).ro(),
	dateField(wbxml.EmailUntil, dateCompact, func(r *Recurrence) *time.Time { return &r.Until }).ro(),
	intField(wbxml.EmailOccurrences, func(r *Recurrence) *int { return &r.Occurrences }).ro(),
	intField(wbxml.EmailWeekOfMonth, func(r *Recurrence) *int { return &r.WeekOfMonth }).ro(),
	intField(wbxml.EmailDayOfWeek, func(r *Recurrence) *DayMask { return &r.DayOfWeek }).ro(),
	intField(wbxml.EmailDayOfMonth, func(r *Recurrence) *int { return &r.DayOfMonth }).ro(),
	intField(wbxml.EmailMonthOfYear, func(r *Recurrence) *int { return &r.MonthOfYear }).ro(),
	intField(wbxml.Email2CalendarType, func(r *Recurrence) *int { return &r.CalendarType }).ro(),
	boolField(wbxml.Email2IsLeapMonth, func(r *Recurrence) *bool { return &r.IsLeapMonth }).ro(),
	intField(wbxml.Email2FirstDayOfWeek, func(r *Recurrence) *int { return &r.FirstDayOfWeek }).ro(),
)

// decodeRecurrence reads the children of a Recurrence element with the
// given table; unknown children are skipped.
func decodeRecurrence(d *wbxml.Decoder, parent wbxml.Tag, t *fieldTable[Recurrence]) (*Recurrence, error) {
	r := &Recurrence{}
	for {
		tag, ok, err := d.Child()
		if err != nil {
			return nil, fmt.Errorf("eas: reading %v: %w", parent, err)
		}
		if !ok {
			return r, nil
		}
		known, err := t.decode(d, tag, r, &r.Fields)
		if err == nil && !known {
			err = d.Skip()
		}
		if err != nil {
			return nil, err
		}
	}
}

// encodeRecurrence writes a Recurrence element. Type is always written
// (it is required and 0 is daily).
func encodeRecurrence(e *wbxml.Encoder, tag, typeTag wbxml.Tag, r *Recurrence, t *fieldTable[Recurrence], en encoding) {
	e.Start(tag)
	fs := r.Fields
	fs.Set(typeTag)
	t.encode(e, r, &fs, en)
	e.End()
}
