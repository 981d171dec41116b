package eastest

import (
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// filterAges are the windows of the FilterType values 1 to 7 (MS-ASCMD
// 2.2.3.70.1); 8 keeps incomplete tasks only.
var filterAges = map[int]time.Duration{
	1: 24 * time.Hour, 2: 3 * 24 * time.Hour, 3: 7 * 24 * time.Hour, 4: 14 * 24 * time.Hour,
	5: 31 * 24 * time.Hour, 6: 92 * 24 * time.Hour, 7: 183 * 24 * time.Hour,
}

// inWindow reports whether r lies inside the FilterType window of a
// collection: mail by DateReceived, events by EndTime (recurring events
// always), tasks with filter 8 when incomplete. Other items, and items
// without the date, always pass.
func (s *Server) inWindow(r *record, filter int) bool {
	if filter == 0 {
		return true
	}
	switch r.class {
	case eas.ClassTasks:
		if filter != 8 {
			return true
		}
		if t, ok := r.item.(*eas.Task); ok {
			return !t.Complete
		}
		return text(r.data, wbxml.TasksComplete) != "1"
	case eas.ClassEmail, eas.ClassCalendar:
	default:
		return true
	}
	age, ok := filterAges[filter]
	if !ok {
		return true
	}
	var when time.Time
	switch it := r.item.(type) {
	case *eas.Email:
		when = it.DateReceived
	case *eas.Event:
		if it.Recurrence != nil {
			return true
		}
		when = it.EndTime
	case nil:
		t := wbxml.EmailDateReceived
		if r.class == eas.ClassCalendar {
			if has(r.data, wbxml.CalendarRecurrence) {
				return true
			}
			t = wbxml.CalendarEndTime
		}
		if d, err := eas.ParseDate(text(r.data, t)); err == nil {
			when = d
		}
	}
	if when.IsZero() {
		return true
	}
	return !when.Before(s.now().Add(-age))
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}
