package eas

import (
	"errors"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Sensitivity is the privacy of an event or task (MS-ASCAL 2.2.2.41,
// MS-ASTASK 2.2.2.24).
type Sensitivity int

// The sensitivities.
const (
	SensitivityNormal       Sensitivity = 0
	SensitivityPersonal     Sensitivity = 1
	SensitivityPrivate      Sensitivity = 2
	SensitivityConfidential Sensitivity = 3
)

// BusyStatus is how an event shows in free/busy (MS-ASCAL 2.2.2.9).
type BusyStatus int

// The busy statuses. The server's default for an event without one is
// Busy.
const (
	BusyFree             BusyStatus = 0
	BusyTentative        BusyStatus = 1
	BusyBusy             BusyStatus = 2
	BusyOutOfOffice      BusyStatus = 3
	BusyWorkingElsewhere BusyStatus = 4
)

// MeetingStatus says whether an event is a meeting and whose (MS-ASCAL
// 2.2.2.28): 0 appointment, 1 meeting organised by the user, 3 meeting
// received, 5 cancelled meeting organised by the user, 7 cancelled
// meeting received, and 9, 11, 13, 15 for the same again.
type MeetingStatus int

// The common meeting statuses.
const (
	MeetingNone              MeetingStatus = 0
	MeetingOrganizer         MeetingStatus = 1
	MeetingReceived          MeetingStatus = 3
	MeetingCancelled         MeetingStatus = 5
	MeetingReceivedCancelled MeetingStatus = 7
)

// ResponseType is the user's or an attendee's answer to a meeting
// (MS-ASCAL 2.2.2.40 ResponseType, 2.2.2.5 AttendeeStatus share the
// values).
type ResponseType int

// The responses.
const (
	ResponseNone         ResponseType = 0
	ResponseOrganizer    ResponseType = 1
	ResponseTentative    ResponseType = 2
	ResponseAccepted     ResponseType = 3
	ResponseDeclined     ResponseType = 4
	ResponseNotResponded ResponseType = 5
)

// AttendeeType is the role of an attendee (MS-ASCAL 2.2.2.6).
type AttendeeType int

// The attendee roles.
const (
	AttendeeRequired AttendeeType = 1
	AttendeeOptional AttendeeType = 2
	AttendeeResource AttendeeType = 3
)

// Attendee is one attendee of an event (MS-ASCAL 2.2.2.3).
type Attendee struct {
	Email string
	Name  string
	// Status is the attendee's response; only servers send it.
	Status ResponseType
	Type   AttendeeType
	// ProposedStartTime and ProposedEndTime are a new time the attendee
	// proposed (MS-ASCMD 2.2.3.141, 16.0 and later, server only).
	ProposedStartTime time.Time
	ProposedEndTime   time.Time
	Fields            Fields
}

var attendeeFields = newFieldTable(
	strField(wbxml.CalendarEmail, func(a *Attendee) *string { return &a.Email }),
	strField(wbxml.CalendarName, func(a *Attendee) *string { return &a.Name }),
	intField(wbxml.CalendarAttendeeStatus, func(a *Attendee) *ResponseType { return &a.Status }).ro(),
	intField(wbxml.CalendarAttendeeType, func(a *Attendee) *AttendeeType { return &a.Type }),
	dateField(wbxml.MeetingResponseProposedStartTime, dateCompact, func(a *Attendee) *time.Time { return &a.ProposedStartTime }).ro().sinceV(V160),
	dateField(wbxml.MeetingResponseProposedEndTime, dateCompact, func(a *Attendee) *time.Time { return &a.ProposedEndTime }).ro().sinceV(V160),
)

// Location is where an event takes place. Up to 14.1 it is the Calendar
// Location string (MS-ASCAL 2.2.2.27), kept in DisplayName; from 16.0 it is
// the AirSyncBase Location element (MS-ASAIRS 2.2.2.28) with all fields.
type Location struct {
	DisplayName      string
	Annotation       string
	Street           string
	City             string
	State            string
	Country          string
	PostalCode       string
	Latitude         float64
	Longitude        float64
	Accuracy         float64
	Altitude         float64
	AltitudeAccuracy float64
	LocationURI      string
	Fields           Fields
}

var locationFields = newFieldTable(
	strField(wbxml.AirSyncBaseDisplayName, func(l *Location) *string { return &l.DisplayName }),
	strField(wbxml.AirSyncBaseAnnotation, func(l *Location) *string { return &l.Annotation }),
	strField(wbxml.AirSyncBaseStreet, func(l *Location) *string { return &l.Street }),
	strField(wbxml.AirSyncBaseCity, func(l *Location) *string { return &l.City }),
	strField(wbxml.AirSyncBaseState, func(l *Location) *string { return &l.State }),
	strField(wbxml.AirSyncBaseCountry, func(l *Location) *string { return &l.Country }),
	strField(wbxml.AirSyncBasePostalCode, func(l *Location) *string { return &l.PostalCode }),
	floatField(wbxml.AirSyncBaseLatitude, func(l *Location) *float64 { return &l.Latitude }),
	floatField(wbxml.AirSyncBaseLongitude, func(l *Location) *float64 { return &l.Longitude }),
	floatField(wbxml.AirSyncBaseAccuracy, func(l *Location) *float64 { return &l.Accuracy }),
	floatField(wbxml.AirSyncBaseAltitude, func(l *Location) *float64 { return &l.Altitude }),
	floatField(wbxml.AirSyncBaseAltitudeAccuracy, func(l *Location) *float64 { return &l.AltitudeAccuracy }),
	strField(wbxml.AirSyncBaseLocationUri, func(l *Location) *string { return &l.LocationURI }),
)

// Event is a Calendar class item (MS-ASCAL). Times are UTC instants; an
// all-day event runs from midnight to midnight in the event's TimeZone.
// Calendar dates go on the wire in the compact form (MS-ASDTYPE 2.7.2).
type Event struct {
	// TimeZone is the zone of the event; nil when absent.
	TimeZone    *TimeZone
	AllDayEvent bool
	StartTime   time.Time
	EndTime     time.Time
	// DtStamp is when the item was created or modified. The client does
	// not send it in 16.x.
	DtStamp time.Time
	Subject string
	// UID is the iCalendar UID of the event (MS-ASCAL 2.2.2.46). Up to
	// 14.1 the client sends it; in 16.x only the server does.
	UID string
	// ClientUID is the UID a 16.x client sends on Add (MS-ASCAL
	// 2.2.2.13); when empty, EncodeItem sends UID in its place.
	ClientUID string
	// OrganizerName and OrganizerEmail name the organiser; the client
	// does not send them in 16.x (MS-ASCAL 2.2.2.35).
	OrganizerName  string
	OrganizerEmail string
	// Location is nil when absent.
	Location    *Location
	Body        *Body
	Attendees   []Attendee
	Categories  []string
	Sensitivity Sensitivity
	BusyStatus  BusyStatus
	// Reminder is the number of minutes before the start to remind.
	// Fields.IsEmpty(wbxml.CalendarReminder) means "no reminder"
	// (MS-ASCAL 2.2.2.38 EmptyTag), which matters in exceptions. A
	// reminder at the start time (0) is sent only when marked with
	// Fields.Set, like every zero value (BusyFree included: a server
	// takes an event without BusyStatus as Busy).
	Reminder      int
	MeetingStatus MeetingStatus
	// ResponseRequested asks attendees to answer (14.0 and later).
	ResponseRequested bool
	// ResponseType is the user's answer (14.0 and later, server only).
	ResponseType ResponseType
	// AppointmentReplyTime is when the user answered (14.0 and later,
	// server only).
	AppointmentReplyTime    time.Time
	DisallowNewTimeProposal bool
	// OnlineMeetingConfLink and OnlineMeetingExternalLink are the links
	// of an online meeting (14.1 and later, server only).
	OnlineMeetingConfLink     string
	OnlineMeetingExternalLink string
	// NativeBodyType is the format the server stores the body in (server
	// only).
	NativeBodyType BodyType
	// Recurrence is nil for a single event.
	Recurrence *Recurrence
	// Exceptions are the changed and deleted occurrences. In 16.x a Sync
	// Change must not carry them (MS-ASCAL 2.2.2.22): an occurrence is
	// changed by a Change that names its InstanceId, and changing the
	// pattern or times of the series deletes them all. EncodeItem writes
	// what the event holds, so the caller clears them for such a Change.
	Exceptions []Exception
	// InstanceID is the original start of the occurrence a 16.x server
	// sends as an orphan instance (MS-ASAIRS 2.2.2.25). A client names an
	// instance on Change with the Sync command's InstanceId, not here.
	InstanceID time.Time
	// Attachments are the event's attachments (16.0 and later).
	Attachments []Attachment
	// AttachmentChanges are attachments to add or delete (16.0 and later).
	AttachmentChanges AttachmentChanges
	// Fields records which elements were present.
	Fields Fields
}

// Exception is one exception to a recurring event (MS-ASCAL 2.2.2.21):
// an occurrence deleted or changed. The embedded Event holds the
// overridden fields; a field not marked in Fields is inherited from the
// series. The occurrence is named by its original start: ExceptionStartTime
// up to 14.1, the embedded InstanceID (AirSyncBase InstanceId) from 16.0;
// EncodeItem fills whichever the version needs from the other.
type Exception struct {
	// Deleted is true when the occurrence was deleted.
	Deleted bool
	// ExceptionStartTime is the original start of the occurrence.
	ExceptionStartTime time.Time
	Event
}

// Class returns ClassCalendar.
func (*Event) Class() Class { return ClassCalendar }

// Release removes the spool files of the event's bodies.
func (ev *Event) Release() error {
	if ev == nil {
		return nil
	}
	errs := []error{ev.Body.Release()}
	for i := range ev.Exceptions {
		errs = append(errs, ev.Exceptions[i].Body.Release())
	}
	return errors.Join(errs...)
}

var eventFields = newFieldTable(
	boolField(wbxml.CalendarAllDayEvent, func(e *Event) *bool { return &e.AllDayEvent }),
	intField(wbxml.CalendarBusyStatus, func(e *Event) *BusyStatus { return &e.BusyStatus }),
	strField(wbxml.CalendarOrganizerName, func(e *Event) *string { return &e.OrganizerName }).clientBeforeV(V160),
	strField(wbxml.CalendarOrganizerEmail, func(e *Event) *string { return &e.OrganizerEmail }).clientBeforeV(V160),
	dateField(wbxml.CalendarDtStamp, dateCompact, func(e *Event) *time.Time { return &e.DtStamp }).clientBeforeV(V160),
	dateField(wbxml.CalendarEndTime, dateCompact, func(e *Event) *time.Time { return &e.EndTime }),
	intField(wbxml.CalendarReminder, func(e *Event) *int { return &e.Reminder }),
	intField(wbxml.CalendarSensitivity, func(e *Event) *Sensitivity { return &e.Sensitivity }),
	strField(wbxml.CalendarSubject, func(e *Event) *string { return &e.Subject }),
	dateField(wbxml.CalendarStartTime, dateCompact, func(e *Event) *time.Time { return &e.StartTime }),
	strField(wbxml.CalendarUID, func(e *Event) *string { return &e.UID }).clientBeforeV(V160),
	strField(wbxml.CalendarClientUid, func(e *Event) *string { return &e.ClientUID }).ro(), // written by encodeEvent
	intField(wbxml.CalendarMeetingStatus, func(e *Event) *MeetingStatus { return &e.MeetingStatus }),
	boolField(wbxml.CalendarResponseRequested, func(e *Event) *bool { return &e.ResponseRequested }).sinceV(V140),
	dateField(wbxml.CalendarAppointmentReplyTime, dateCompact, func(e *Event) *time.Time { return &e.AppointmentReplyTime }).ro().sinceV(V140),
	intField(wbxml.CalendarResponseType, func(e *Event) *ResponseType { return &e.ResponseType }).ro().sinceV(V140),
	boolField(wbxml.CalendarDisallowNewTimeProposal, func(e *Event) *bool { return &e.DisallowNewTimeProposal }).sinceV(V140),
	strField(wbxml.CalendarOnlineMeetingConfLink, func(e *Event) *string { return &e.OnlineMeetingConfLink }).ro().sinceV(V141),
	strField(wbxml.CalendarOnlineMeetingExternalLink, func(e *Event) *string { return &e.OnlineMeetingExternalLink }).ro().sinceV(V141),
	intField(wbxml.AirSyncBaseNativeBodyType, func(e *Event) *BodyType { return &e.NativeBodyType }).ro(),
	dateField(wbxml.AirSyncBaseInstanceId, dateCompact, func(e *Event) *time.Time { return &e.InstanceID }).ro().sinceV(V160),
)

// exceptionTags are the simple elements an Exception may override
// (MS-ASCAL 2.2.2.21).
var exceptionTags = []wbxml.Tag{
	wbxml.CalendarAllDayEvent, wbxml.CalendarBusyStatus, wbxml.CalendarDtStamp, wbxml.CalendarEndTime,
	wbxml.CalendarReminder, wbxml.CalendarSensitivity, wbxml.CalendarSubject, wbxml.CalendarStartTime,
	wbxml.CalendarMeetingStatus, wbxml.CalendarAppointmentReplyTime, wbxml.CalendarResponseType,
	wbxml.CalendarOnlineMeetingConfLink, wbxml.CalendarOnlineMeetingExternalLink,
}

// decodeEvent reads the children of ApplicationData (or of an Exception)
// into ev.
func decodeEvent(d *wbxml.Decoder, parent wbxml.Tag, ev *Event, opts *DecodeOptions) error {
	return decodeChildren(d, parent, func(tag wbxml.Tag) (bool, error) {
		return ev.decodeChild(d, tag, opts)
	})
}

func (ev *Event) decodeChild(d *wbxml.Decoder, tag wbxml.Tag, opts *DecodeOptions) (bool, error) {
	var err error
	switch tag {
	case wbxml.CalendarTimeZone:
		var s string
		if s, err = textField(d, tag); err != nil {
			return true, err
		}
		if s == "" {
			ev.Fields.SetEmpty(tag)
			return true, nil
		}
		if ev.TimeZone, err = ParseTimeZone(s); err != nil {
			return true, &FieldError{Tag: tag, Err: err}
		}
	case wbxml.CalendarLocation:
		var s string
		if s, err = textField(d, tag); err != nil {
			return true, err
		}
		ev.Location = &Location{DisplayName: s}
		if s == "" {
			ev.Fields.SetEmpty(tag)
			return true, nil
		}
	case wbxml.AirSyncBaseLocation:
		loc := &Location{}
		err = decodeChildren(d, tag, func(t wbxml.Tag) (bool, error) {
			return locationFields.decode(d, t, loc, &loc.Fields)
		})
		ev.Location = loc
	case wbxml.AirSyncBaseBody:
		ev.Body.Release()
		ev.Body, err = decodeBody(d, tag, opts)
	case wbxml.CalendarAttendees:
		ev.Attendees, err = decodeAttendees(d)
	case wbxml.CalendarCategories:
		ev.Categories, err = readStrings(d, tag, wbxml.CalendarCategory)
	case wbxml.CalendarRecurrence:
		ev.Recurrence, err = decodeRecurrence(d, tag, calendarRecurrenceFields)
	case wbxml.CalendarExceptions:
		err = ev.decodeExceptions(d, opts)
	case wbxml.AirSyncBaseAttachments:
		ev.Attachments, err = decodeAttachments(d)
	default:
		return eventFields.decode(d, tag, ev, &ev.Fields)
	}
	if err == nil {
		ev.Fields.Set(tag)
	}
	return true, err
}

func decodeAttendees(d *wbxml.Decoder) ([]Attendee, error) {
	out := []Attendee{}
	err := decodeChildren(d, wbxml.CalendarAttendees, func(tag wbxml.Tag) (bool, error) {
		if tag != wbxml.CalendarAttendee {
			return false, nil
		}
		var a Attendee
		err := decodeChildren(d, tag, func(t wbxml.Tag) (bool, error) {
			return attendeeFields.decode(d, t, &a, &a.Fields)
		})
		out = append(out, a)
		return true, err
	})
	return out, err
}

func (ev *Event) decodeExceptions(d *wbxml.Decoder, opts *DecodeOptions) error {
	ev.Exceptions = []Exception{}
	return decodeChildren(d, wbxml.CalendarExceptions, func(tag wbxml.Tag) (bool, error) {
		if tag != wbxml.CalendarException {
			return false, nil
		}
		var ex Exception
		err := decodeChildren(d, tag, func(t wbxml.Tag) (bool, error) {
			if known, err := exceptionFields.decode(d, t, &ex, &ex.Fields); known {
				return true, err
			}
			return ex.decodeChild(d, t, opts)
		})
		ev.Exceptions = append(ev.Exceptions, ex) // kept for Release even on error
		return true, err
	})
}

var exceptionFields = newFieldTable(
	boolField(wbxml.CalendarDeleted, func(x *Exception) *bool { return &x.Deleted }),
	dateField(wbxml.CalendarExceptionStartTime, dateCompact, func(x *Exception) *time.Time { return &x.ExceptionStartTime }),
)

// encodeEvent writes the children of ApplicationData for ev.
func encodeEvent(e *wbxml.Encoder, ev *Event, en encoding) error {
	fs := &ev.Fields
	if ev.TimeZone != nil {
		e.Element(wbxml.CalendarTimeZone, ev.TimeZone.Base64())
	} else if fs.Has(wbxml.CalendarTimeZone) {
		e.Empty(wbxml.CalendarTimeZone)
	}
	eventFields.encode(e, ev, fs, en)
	if en.v >= V160 && !en.server {
		uid := ev.ClientUID
		if uid == "" {
			uid = ev.UID
		}
		if uid != "" {
			e.Element(wbxml.CalendarClientUid, uid)
		}
	}
	if err := encodeEventCommon(e, ev, en); err != nil {
		return err
	}
	if ev.Recurrence != nil {
		encodeRecurrence(e, wbxml.CalendarRecurrence, wbxml.CalendarType, ev.Recurrence, calendarRecurrenceFields, en)
	} else if fs.Has(wbxml.CalendarRecurrence) {
		e.Empty(wbxml.CalendarRecurrence)
	}
	if len(ev.Exceptions) > 0 || fs.Has(wbxml.CalendarExceptions) {
		e.Start(wbxml.CalendarExceptions)
		for i := range ev.Exceptions {
			if err := encodeException(e, &ev.Exceptions[i], en); err != nil {
				return err
			}
		}
		e.End()
	}
	if en.v >= V160 {
		if en.server {
			encodeAttachments(e, ev.Attachments, fs, en)
		} else {
			encodeAttachmentChanges(e, &ev.AttachmentChanges)
		}
	}
	return nil
}

// encodeEventCommon writes what a series and an exception share: the
// location, body, attendees and categories.
func encodeEventCommon(e *wbxml.Encoder, ev *Event, en encoding) error {
	fs := &ev.Fields
	encodeLocation(e, ev.Location, fs, en)
	if ev.Body != nil {
		if err := encodeBody(e, wbxml.AirSyncBaseBody, ev.Body, en); err != nil {
			return err
		}
	}
	if len(ev.Attendees) > 0 || fs.Has(wbxml.CalendarAttendees) {
		e.Start(wbxml.CalendarAttendees)
		for i := range ev.Attendees {
			a := &ev.Attendees[i]
			afs := a.Fields
			afs.Set(wbxml.CalendarEmail, wbxml.CalendarName) // both required
			e.Start(wbxml.CalendarAttendee)
			attendeeFields.encode(e, a, &afs, en)
			e.End()
		}
		e.End()
	}
	writeStrings(e, wbxml.CalendarCategories, wbxml.CalendarCategory, ev.Categories, fs)
	return nil
}

// encodeLocation writes the Calendar Location string up to 14.1 and the
// AirSyncBase Location element from 16.0.
func encodeLocation(e *wbxml.Encoder, loc *Location, fs *Fields, en encoding) {
	had := fs.Has(wbxml.CalendarLocation) || fs.Has(wbxml.AirSyncBaseLocation)
	if en.v < V160 {
		if loc != nil && loc.DisplayName != "" {
			e.Element(wbxml.CalendarLocation, loc.DisplayName)
		} else if had {
			e.Empty(wbxml.CalendarLocation)
		}
		return
	}
	if loc == nil {
		if had {
			e.Empty(wbxml.AirSyncBaseLocation)
		}
		return
	}
	e.Start(wbxml.AirSyncBaseLocation)
	locationFields.encode(e, loc, &loc.Fields, en)
	e.End()
}

// encodeException writes one Exception: the original start (ExceptionStartTime
// up to 14.1, InstanceId from 16.0), Deleted, and the overridden fields.
func encodeException(e *wbxml.Encoder, ex *Exception, en encoding) error {
	e.Start(wbxml.CalendarException)
	fs := &ex.Fields
	exceptionFields.encodeTag(e, wbxml.CalendarDeleted, ex, fs, en)
	start, inst := ex.ExceptionStartTime, ex.InstanceID
	if start.IsZero() {
		start = inst
	}
	if inst.IsZero() {
		inst = start
	}
	// A 16.x client names the occurrence by InstanceId only; a server
	// sends both (MS-ASCAL 2.2.2.21, MS-ASAIRS 2.2.2.25).
	if en.v < V160 || en.server {
		e.Element(wbxml.CalendarExceptionStartTime, FormatCompactDate(start))
	}
	if en.v >= V160 {
		e.Element(wbxml.AirSyncBaseInstanceId, FormatCompactDate(inst))
	}
	for _, t := range exceptionTags {
		eventFields.encodeTag(e, t, &ex.Event, fs, en)
	}
	if err := encodeEventCommon(e, &ex.Event, en); err != nil {
		return err
	}
	e.End()
	return nil
}
