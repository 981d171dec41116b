package dav

import (
	"bytes"
	"fmt"
	"time"

	"github.com/emersion/go-ical"
)

// expandCalendar answers CALDAV:expand (RFC 4791 9.6.5): every instance
// of the object that overlaps r becomes a component of its own, with a
// RECURRENCE-ID when it comes from a recurring master, times in UTC, no
// RRULE, RDATE, EXRULE or EXDATE and no VTIMEZONE. Overrides stand for
// the instances they replace.
func expandCalendar(data []byte, r timeRange) ([]byte, error) {
	cal, err := decodeCalendar(data)
	if err != nil {
		return nil, err
	}
	out := ical.NewCalendar()
	for name, props := range cal.Props {
		if name != ical.PropMethod {
			out.Props[name] = props
		}
	}
	overridden := map[int64]bool{}
	for _, c := range cal.Children {
		if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
			if t, _, err := icalTime(p); err == nil {
				overridden[t.Unix()] = true
			}
		}
	}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		inst, err := expandComponent(c, r, overridden)
		if err != nil {
			return nil, err
		}
		out.Children = append(out.Children, inst...)
	}
	if len(out.Children) == 0 {
		// Nothing in range (the object matched through another filter):
		// the object as stored is still a correct answer.
		return data, nil
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(out); err != nil {
		return nil, fmt.Errorf("encoding expanded calendar: %w", err)
	}
	return buf.Bytes(), nil
}

// expandComponent returns the instances of one component that overlap r.
func expandComponent(c *ical.Component, r timeRange, overridden map[int64]bool) ([]*ical.Component, error) {
	tm, err := timingOf(c)
	if err != nil {
		return nil, err
	}
	var next func() (time.Time, bool)
	if c.Props.Get(ical.PropRecurrenceID) == nil {
		var from time.Time
		if !r.start.IsZero() {
			from = r.start.Add(-tm.instanceEnd().Sub(tm.start))
		}
		if next, _, err = recurrence(c, tm, from); err != nil {
			return nil, err
		}
	}
	if next == nil {
		if !tm.overlaps(r) {
			return nil, nil
		}
		return []*ical.Component{instance(c, tm, 0, false)}, nil
	}
	var out []*ical.Component
	for i := 0; i < maxInstances; i++ {
		s, ok := next()
		if !ok || (!r.end.IsZero() && !s.Before(r.end)) {
			break
		}
		if overridden[s.Unix()] {
			continue
		}
		shift := s.Sub(tm.start)
		if tm.shifted(shift).overlaps(r) {
			out = append(out, instance(c, tm, shift, true))
		}
	}
	return out, nil
}

// instance copies c as one instance moved by shift, times in UTC.
func instance(c *ical.Component, tm timing, shift time.Duration, recurring bool) *ical.Component {
	n := ical.NewComponent(c.Name)
	n.Children = c.Children
	for name, props := range c.Props {
		switch name {
		case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE":
			continue
		}
		n.Props[name] = append([]ical.Prop(nil), props...)
	}
	for _, name := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDue, ical.PropRecurrenceID} {
		p := n.Props.Get(name)
		if p == nil {
			continue
		}
		t, isDate, err := icalTime(p)
		if err != nil {
			continue
		}
		if name != ical.PropRecurrenceID {
			t = t.Add(shift)
		}
		setUTC(p, t, isDate)
	}
	if recurring {
		p := ical.NewProp(ical.PropRecurrenceID)
		setUTC(p, tm.start.Add(shift), tm.startDate)
		n.Props.Set(p)
	}
	return n
}

// setUTC writes t into p as a UTC DATE-TIME, or a DATE for date values.
// p's parameters are copied first: a copied Prop still shares its Params
// map with the stored component, which later instances read again.
func setUTC(p *ical.Prop, t time.Time, isDate bool) {
	params := make(ical.Params, len(p.Params))
	for k, v := range p.Params {
		params[k] = append([]string(nil), v...)
	}
	p.Params = params
	p.Params.Del(ical.PropTimezoneID)
	if isDate {
		p.SetDate(t)
		return
	}
	p.SetDateTime(t.UTC())
}
