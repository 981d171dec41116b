package convert

import (
	"strings"

	"github.com/emersion/go-ical"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

var partstats = map[eas.ResponseType]string{
	eas.ResponseTentative: "TENTATIVE", eas.ResponseAccepted: "ACCEPTED",
	eas.ResponseDeclined: "DECLINED", eas.ResponseNotResponded: "NEEDS-ACTION",
}

// writeMeeting writes ORGANIZER, ATTENDEE (ROLE from the attendee type,
// CUTYPE=RESOURCE for resources, PARTSTAT from the status, RSVP from
// ResponseRequested), STATUS:CANCELLED for a cancelled meeting and the
// exact MeetingStatus (MS-ASCAL 2.2.2.28) in X-EASBRIDGE-MEETINGSTATUS.
func writeMeeting(p ical.Props, ev *eas.Event, opts *Options) {
	if ev.OrganizerEmail != "" || ev.OrganizerName != "" {
		op := &ical.Prop{Name: ical.PropOrganizer, Params: ical.Params{}, Value: mailto(ev.OrganizerEmail)}
		if ev.OrganizerName != "" {
			op.Params.Set(ical.ParamCommonName, paramSafe(ev.OrganizerName))
		}
		p.Set(op)
	}
	for _, a := range ev.Attendees {
		ap := &ical.Prop{Name: ical.PropAttendee, Params: ical.Params{}, Value: mailto(a.Email)}
		if a.Name != "" {
			ap.Params.Set(ical.ParamCommonName, paramSafe(a.Name))
		}
		switch a.Type {
		case eas.AttendeeOptional:
			ap.Params.Set(ical.ParamRole, "OPT-PARTICIPANT")
		case eas.AttendeeResource:
			ap.Params.Set(ical.ParamRole, "NON-PARTICIPANT")
			ap.Params.Set(ical.ParamCalendarUserType, "RESOURCE")
		default:
			ap.Params.Set(ical.ParamRole, "REQ-PARTICIPANT")
		}
		if s, ok := partstats[a.Status]; ok {
			ap.Params.Set(ical.ParamParticipationStatus, s)
		}
		if ev.ResponseRequested {
			ap.Params.Set(ical.ParamRSVP, "TRUE")
		}
		p.Add(ap)
	}
	if ev.MeetingStatus != derivedStatus(ev.OrganizerEmail, len(ev.Attendees) > 0, ev.MeetingStatus&4 != 0, opts) {
		setX(p, propMeetingStatus, itoa(int(ev.MeetingStatus)))
	}
	if ev.MeetingStatus&4 != 0 {
		p.SetText(ical.PropStatus, "CANCELLED")
	}
}

func mailto(email string) string {
	if email == "" {
		return "mailto:"
	}
	return "mailto:" + email
}

// addressOf strips the mailto: scheme of a cal-address.
func addressOf(v string) string {
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		return v[7:]
	}
	return v
}

// readMeeting reads ORGANIZER, ATTENDEEs, ResponseRequested and
// MeetingStatus into ev. Without X-EASBRIDGE-MEETINGSTATUS the status is
// derived: no organiser and no attendees is an appointment; organised by
// Options.Self (or with Self unknown) 1, else 3; STATUS:CANCELLED adds 4.
func readMeeting(c *ical.Component, ev *eas.Event, opts *Options) {
	if op := c.Props.Get(ical.PropOrganizer); op != nil {
		ev.OrganizerEmail = addressOf(op.Value)
		ev.OrganizerName = paramText(op.Params.Get(ical.ParamCommonName))
		ev.Fields.Set(wbxml.CalendarOrganizerEmail, wbxml.CalendarOrganizerName)
	}
	for _, ap := range c.Props.Values(ical.PropAttendee) {
		a := eas.Attendee{Email: addressOf(ap.Value), Name: paramText(ap.Params.Get(ical.ParamCommonName)), Type: eas.AttendeeRequired}
		cutype := strings.ToUpper(ap.Params.Get(ical.ParamCalendarUserType))
		switch {
		case cutype == "RESOURCE" || cutype == "ROOM":
			a.Type = eas.AttendeeResource
		case strings.EqualFold(ap.Params.Get(ical.ParamRole), "OPT-PARTICIPANT"):
			a.Type = eas.AttendeeOptional
		}
		ps := strings.ToUpper(ap.Params.Get(ical.ParamParticipationStatus))
		for k, v := range partstats {
			if v == ps {
				a.Status = k
			}
		}
		if strings.EqualFold(ap.Params.Get(ical.ParamRSVP), "TRUE") {
			ev.ResponseRequested = true
		}
		ev.Attendees = append(ev.Attendees, a)
	}
	if len(ev.Attendees) > 0 {
		ev.Fields.Set(wbxml.CalendarAttendees)
	}
	if ev.ResponseRequested {
		ev.Fields.Set(wbxml.CalendarResponseRequested)
	}
	cancelled := strings.EqualFold(propValue(c, ical.PropStatus), "CANCELLED")
	if s := propValue(c, propMeetingStatus); s != "" {
		if n, err := atoi(s); err == nil {
			ev.MeetingStatus = eas.MeetingStatus(n)
			ev.Fields.Set(wbxml.CalendarMeetingStatus)
			return
		}
	}
	ev.MeetingStatus = derivedStatus(ev.OrganizerEmail, len(ev.Attendees) > 0, cancelled, opts)
	ev.Fields.Set(wbxml.CalendarMeetingStatus)
}

// derivedStatus is the MeetingStatus an iCalendar event without
// X-EASBRIDGE-MEETINGSTATUS implies.
func derivedStatus(organizer string, attendees, cancelled bool, opts *Options) eas.MeetingStatus {
	var s eas.MeetingStatus
	switch {
	case organizer == "" && !attendees:
		return eas.MeetingNone
	case opts.Self == "" || strings.EqualFold(opts.Self, organizer):
		s = eas.MeetingOrganizer
	default:
		s = eas.MeetingReceived
	}
	if cancelled {
		s |= 4
	}
	return s
}
