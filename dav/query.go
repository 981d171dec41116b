package dav

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// calFilter is CALDAV:filter (RFC 4791 9.7).
type calFilter struct {
	CompFilter compFilter `xml:"urn:ietf:params:xml:ns:caldav comp-filter"`
}

type compFilter struct {
	Name         string         `xml:"name,attr"`
	IsNotDefined *struct{}      `xml:"urn:ietf:params:xml:ns:caldav is-not-defined"`
	TimeRange    *timeRangeElem `xml:"urn:ietf:params:xml:ns:caldav time-range"`
	PropFilters  []propFilter   `xml:"urn:ietf:params:xml:ns:caldav prop-filter"`
	CompFilters  []compFilter   `xml:"urn:ietf:params:xml:ns:caldav comp-filter"`
}

type propFilter struct {
	Name         string         `xml:"name,attr"`
	IsNotDefined *struct{}      `xml:"urn:ietf:params:xml:ns:caldav is-not-defined"`
	TimeRange    *timeRangeElem `xml:"urn:ietf:params:xml:ns:caldav time-range"`
	TextMatch    *textMatch     `xml:"urn:ietf:params:xml:ns:caldav text-match"`
	ParamFilters []paramFilter  `xml:"urn:ietf:params:xml:ns:caldav param-filter"`
}

type paramFilter struct {
	Name         string     `xml:"name,attr"`
	IsNotDefined *struct{}  `xml:"urn:ietf:params:xml:ns:caldav is-not-defined"`
	TextMatch    *textMatch `xml:"urn:ietf:params:xml:ns:caldav text-match"`
}

// textMatch is text-match of CalDAV (RFC 4791 9.7.5) and CardDAV
// (RFC 6352 10.5.4).
type textMatch struct {
	Text      string `xml:",chardata"`
	Collation string `xml:"collation,attr"`
	Negate    string `xml:"negate-condition,attr"`
	MatchType string `xml:"match-type,attr"`
}

type timeRangeElem struct {
	Start string `xml:"start,attr"`
	End   string `xml:"end,attr"`
}

// parse reads the UTC bounds (RFC 4791 9.9); an absent one is open.
func (e *timeRangeElem) parse() (timeRange, error) {
	var r timeRange
	for _, b := range []struct {
		s   string
		dst *time.Time
	}{{e.Start, &r.start}, {e.End, &r.end}} {
		if b.s == "" {
			continue
		}
		t, err := time.Parse("20060102T150405Z", b.s)
		if err != nil {
			return r, preconditionError(http.StatusForbidden, "c:valid-filter", "",
				"dav: time-range bound %q is not a UTC date-time", b.s)
		}
		*b.dst = t
	}
	return r, nil
}

// matches applies a text-match. The default collation is case-insensitive
// (i;ascii-casemap in CalDAV, i;unicode-casemap in CardDAV); only i;octet
// compares case. The default match type is contains.
func (m *textMatch) matches(value string) bool {
	text := m.Text
	if m.Collation != "i;octet" {
		value, text = strings.ToLower(value), strings.ToLower(text)
	}
	var ok bool
	switch m.MatchType {
	case "equals":
		ok = value == text
	case "starts-with":
		ok = strings.HasPrefix(value, text)
	case "ends-with":
		ok = strings.HasSuffix(value, text)
	default:
		ok = strings.Contains(value, text)
	}
	if m.Negate == "yes" {
		return !ok
	}
	return ok
}

// matchComp applies a comp-filter to the children named f.Name of parent
// (RFC 4791 9.7.1). A time-range is judged on all such components
// together (a master and its overrides), so recurrences are expanded.
func matchComp(f *compFilter, comps []*ical.Component) (bool, error) {
	if f.IsNotDefined != nil {
		return len(comps) == 0, nil
	}
	if len(comps) == 0 {
		return false, nil
	}
	if f.TimeRange != nil {
		r, err := f.TimeRange.parse()
		if err != nil {
			return false, err
		}
		switch f.Name {
		case ical.CompEvent, ical.CompToDo, ical.CompJournal:
			if ok, err := componentsMatchRange(comps, r); err != nil || !ok {
				return false, err
			}
		}
	}
	for _, c := range comps {
		ok, err := matchCompBody(f, c)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func matchCompBody(f *compFilter, c *ical.Component) (bool, error) {
	for i := range f.PropFilters {
		if ok, err := matchProp(&f.PropFilters[i], c); err != nil || !ok {
			return false, err
		}
	}
	for i := range f.CompFilters {
		sub := &f.CompFilters[i]
		var children []*ical.Component
		for _, ch := range c.Children {
			if strings.EqualFold(ch.Name, sub.Name) {
				children = append(children, ch)
			}
		}
		if ok, err := matchComp(sub, children); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// matchProp applies a prop-filter (RFC 4791 9.7.2).
func matchProp(f *propFilter, c *ical.Component) (bool, error) {
	props := c.Props.Values(strings.ToUpper(f.Name))
	if f.IsNotDefined != nil {
		return len(props) == 0, nil
	}
	for i := range props {
		p := &props[i]
		if f.TimeRange != nil {
			r, err := f.TimeRange.parse()
			if err != nil {
				return false, err
			}
			t, _, err := icalTime(p)
			if err != nil || !(r.startAtOrBefore(t) && r.endAfter(t)) {
				continue
			}
		}
		if f.TextMatch != nil && !f.TextMatch.matches(p.Value) {
			continue
		}
		if matchParams(f.ParamFilters, func(name string) []string { return p.Params.Values(name) }) {
			return true, nil
		}
	}
	return false, nil
}

// matchParams applies param-filters, all of which must hold.
func matchParams(fs []paramFilter, values func(string) []string) bool {
	for _, f := range fs {
		vs := values(strings.ToUpper(f.Name))
		if f.IsNotDefined != nil {
			if len(vs) > 0 {
				return false
			}
			continue
		}
		ok := false
		for _, v := range vs {
			if f.TextMatch == nil || f.TextMatch.matches(v) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// queryRange finds the time-range a calendar-query puts on the
// collection's component, to ask the Backend's index for candidates.
func queryRange(f *calFilter) (timeRange, bool, error) {
	for _, cf := range f.CompFilter.CompFilters {
		if cf.TimeRange != nil && cf.IsNotDefined == nil {
			r, err := cf.TimeRange.parse()
			return r, err == nil, err
		}
	}
	return timeRange{}, false, nil
}

// calendarQuery answers calendar-query (RFC 4791 7.8): candidates come
// from Backend.QueryTimeRange when the filter has a time-range, and every
// candidate is then checked exactly. calendar-data is returned whole
// (no partial retrieval or expand).
func (h *Handler) calendarQuery(w http.ResponseWriter, r *http.Request, t target, req *reportRequest) error {
	if t.space != spaceCalendars || (t.kind != targetCollection && t.kind != targetObject) {
		return preconditionError(http.StatusForbidden, "d:supported-report", "",
			"dav: calendar-query is only supported on a calendar or its objects")
	}
	if req.CalFilter == nil || !strings.EqualFold(req.CalFilter.CompFilter.Name, "VCALENDAR") {
		return preconditionError(http.StatusForbidden, "c:valid-filter", "",
			"dav: calendar-query needs a filter on VCALENDAR")
	}
	c, err := h.collection(r.Context(), t)
	if err != nil {
		return err
	}
	objs, err := h.candidates(r.Context(), t, req.CalFilter)
	if err != nil {
		return err
	}
	var matched []Object
	for _, o := range objs {
		cal, err := decodeCalendar(o.Data)
		if err != nil {
			h.log.Warn("stored object does not parse", "collection", t.coll, "name", o.Name, "err", err)
			continue
		}
		ok, err := matchComp(&req.CalFilter.CompFilter, []*ical.Component{cal.Component})
		if err != nil {
			if _, bad := err.(*httpError); bad {
				return err
			}
			h.log.Warn("stored object does not evaluate", "collection", t.coll, "name", o.Name, "err", err)
			continue
		}
		if ok {
			matched = append(matched, o)
		}
	}
	ms := newMultiStatus(w, r)
	h.writeObjects(ms, req, t, c, matched)
	return ms.close("")
}

// candidates loads, with data, the objects a calendar-query must check.
func (h *Handler) candidates(ctx context.Context, t target, f *calFilter) ([]Object, error) {
	if t.kind == targetObject {
		_, o, err := h.object(ctx, t)
		if err != nil {
			return nil, err
		}
		return []Object{*o}, nil
	}
	tr, ok, err := queryRange(f)
	if err != nil {
		return nil, err
	}
	if ok {
		objs, err := h.backend.QueryTimeRange(ctx, t.coll, tr.start, tr.end)
		return objs, wrapIf("querying time range", err)
	}
	return h.allObjects(ctx, t.coll)
}

// allObjects loads every object of a collection with its data.
func (h *Handler) allObjects(ctx context.Context, coll string) ([]Object, error) {
	list, err := h.backend.Objects(ctx, coll)
	if err != nil {
		return nil, wrapBackend("listing objects", err)
	}
	names := make([]string, len(list))
	for i := range list {
		names[i] = list[i].Name
	}
	objs, err := h.backend.GetObjects(ctx, coll, names)
	return objs, wrapIf("loading objects", err)
}

func wrapIf(doing string, err error) error {
	if err == nil {
		return nil
	}
	return wrapBackend(doing, err)
}
