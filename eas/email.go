package eas

import (
	"errors"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Importance is the importance of a message or task (MS-ASEMAIL
// 2.2.2.43, MS-ASTASK 2.2.2.13).
type Importance int

// The importances.
const (
	ImportanceLow    Importance = 0
	ImportanceNormal Importance = 1
	ImportanceHigh   Importance = 2
)

// Email is an Email class item (MS-ASEMAIL). Address fields hold the
// RFC 5322 address lists as the server sends them. Up to 14.1 a client
// changes only Read, Flag and Categories of a message; from 16.0 it can
// also write drafts (To, Cc, Bcc, Subject, Importance, Body, attachments),
// and EncodeItem sends exactly that. A change to "unread" is a zero value,
// so it must be marked present: use ReadChange.
type Email struct {
	To           string
	Cc           string
	From         string
	ReplyTo      string
	Subject      string
	DateReceived time.Time
	DisplayTo    string
	ThreadTopic  string
	Importance   Importance
	Read         bool
	// MessageClass is the kind of message, such as "IPM.Note" or
	// "IPM.Schedule.Meeting.Request".
	MessageClass string
	// InternetCPID is the code page of the original message, such as
	// "65001".
	InternetCPID string
	ContentClass string
	Body         *Body
	// BodyPart is the message part of a conversation (MS-ASAIRS
	// 2.2.2.10, 14.1 and later), with its Status.
	BodyPart       *Body
	NativeBodyType BodyType
	Attachments    []Attachment
	// AttachmentChanges are attachments to add to or delete from a draft
	// (16.0 and later).
	AttachmentChanges AttachmentChanges
	// Flag is the follow-up flag; nil when absent. An empty Flag element
	// (Fields.IsEmpty(wbxml.EmailFlag)) clears the flag.
	Flag       *Flag
	Categories []string
	// MeetingRequest is set on meeting invitations.
	MeetingRequest *MeetingRequest

	// Email2 namespace (14.0 and later unless noted).
	UmCallerID            string
	UmUserNotes           string
	ConversationID        []byte
	ConversationIndex     []byte
	LastVerbExecuted      int
	LastVerbExecutionTime time.Time
	ReceivedAsBcc         bool
	Sender                string
	AccountID             string
	// IsDraft and Bcc are 16.0 and later.
	IsDraft bool
	Bcc     string

	// Fields records which elements were present.
	Fields Fields
}

// ReadChange returns the application data of a Sync Change that marks a
// message read or unread (MS-ASEMAIL 2.2.2.58).
func ReadChange(read bool) *Email {
	m := &Email{Read: read}
	m.Fields.Set(wbxml.EmailRead)
	return m
}

// Class returns ClassEmail.
func (*Email) Class() Class { return ClassEmail }

// Release removes the spool files of the message's body and body part.
func (m *Email) Release() error {
	if m == nil {
		return nil
	}
	return errors.Join(m.Body.Release(), m.BodyPart.Release())
}

// FlagStatus is the state of a follow-up flag (MS-ASEMAIL 2.2.2.77).
type FlagStatus int

// The flag states.
const (
	FlagCleared  FlagStatus = 0
	FlagComplete FlagStatus = 1
	FlagActive   FlagStatus = 2
)

// Flag is the follow-up flag of a message (MS-ASEMAIL 2.2.2.39). Its
// dates are in the Tasks namespace (MS-ASTASK).
type Flag struct {
	Status         FlagStatus
	FlagType       string
	CompleteTime   time.Time
	Subject        string
	StartDate      time.Time
	UtcStartDate   time.Time
	DueDate        time.Time
	UtcDueDate     time.Time
	DateCompleted  time.Time
	ReminderSet    bool
	ReminderTime   time.Time
	OrdinalDate    time.Time
	SubOrdinalDate string
	Fields         Fields
}

var flagFields = newFieldTable(
	intField(wbxml.EmailStatus, func(f *Flag) *FlagStatus { return &f.Status }),
	strField(wbxml.EmailFlagType, func(f *Flag) *string { return &f.FlagType }),
	dateField(wbxml.EmailCompleteTime, dateLong, func(f *Flag) *time.Time { return &f.CompleteTime }),
	strField(wbxml.TasksSubject, func(f *Flag) *string { return &f.Subject }),
	dateField(wbxml.TasksStartDate, dateLong, func(f *Flag) *time.Time { return &f.StartDate }),
	dateField(wbxml.TasksUtcStartDate, dateLong, func(f *Flag) *time.Time { return &f.UtcStartDate }),
	dateField(wbxml.TasksDueDate, dateLong, func(f *Flag) *time.Time { return &f.DueDate }),
	dateField(wbxml.TasksUtcDueDate, dateLong, func(f *Flag) *time.Time { return &f.UtcDueDate }),
	dateField(wbxml.TasksDateCompleted, dateLong, func(f *Flag) *time.Time { return &f.DateCompleted }),
	boolField(wbxml.TasksReminderSet, func(f *Flag) *bool { return &f.ReminderSet }),
	dateField(wbxml.TasksReminderTime, dateLong, func(f *Flag) *time.Time { return &f.ReminderTime }),
	dateField(wbxml.TasksOrdinalDate, dateLong, func(f *Flag) *time.Time { return &f.OrdinalDate }),
	strField(wbxml.TasksSubOrdinalDate, func(f *Flag) *string { return &f.SubOrdinalDate }),
)

// MeetingRequest is the meeting data of an invitation in the mailbox
// (MS-ASEMAIL 2.2.2.48). Only servers send it; answer it with the
// MeetingResponse command.
type MeetingRequest struct {
	AllDayEvent       bool
	StartTime         time.Time
	EndTime           time.Time
	DtStamp           time.Time
	InstanceType      int
	Location          *Location
	Organizer         string
	RecurrenceID      time.Time
	Reminder          int
	ResponseRequested bool
	Recurrences       []Recurrence
	Sensitivity       Sensitivity
	BusyStatus        BusyStatus
	TimeZone          *TimeZone
	// GlobalObjID is the base64 global object id of the meeting.
	GlobalObjID             string
	DisallowNewTimeProposal bool
	MeetingMessageType      int
	UID                     string
	ProposedStartTime       time.Time
	ProposedEndTime         time.Time
	Categories              []string
	Fields                  Fields
}

var meetingRequestFields = newFieldTable(
	boolField(wbxml.EmailAllDayEvent, func(m *MeetingRequest) *bool { return &m.AllDayEvent }).ro(),
	dateField(wbxml.EmailStartTime, dateLong, func(m *MeetingRequest) *time.Time { return &m.StartTime }).ro(),
	dateField(wbxml.EmailDtStamp, dateLong, func(m *MeetingRequest) *time.Time { return &m.DtStamp }).ro(),
	dateField(wbxml.EmailEndTime, dateLong, func(m *MeetingRequest) *time.Time { return &m.EndTime }).ro(),
	intField(wbxml.EmailInstanceType, func(m *MeetingRequest) *int { return &m.InstanceType }).ro(),
	strField(wbxml.EmailOrganizer, func(m *MeetingRequest) *string { return &m.Organizer }).ro(),
	dateField(wbxml.EmailRecurrenceId, dateLong, func(m *MeetingRequest) *time.Time { return &m.RecurrenceID }).ro(),
	intField(wbxml.EmailReminder, func(m *MeetingRequest) *int { return &m.Reminder }).ro(),
	boolField(wbxml.EmailResponseRequested, func(m *MeetingRequest) *bool { return &m.ResponseRequested }).ro(),
	intField(wbxml.EmailSensitivity, func(m *MeetingRequest) *Sensitivity { return &m.Sensitivity }).ro(),
	intField(wbxml.EmailBusyStatus, func(m *MeetingRequest) *BusyStatus { return &m.BusyStatus }).ro(),
	strField(wbxml.EmailGlobalObjId, func(m *MeetingRequest) *string { return &m.GlobalObjID }).ro(),
	boolField(wbxml.EmailDisallowNewTimeProposal, func(m *MeetingRequest) *bool { return &m.DisallowNewTimeProposal }).ro(),
	intField(wbxml.Email2MeetingMessageType, func(m *MeetingRequest) *int { return &m.MeetingMessageType }).ro().sinceV(V140),
	strField(wbxml.CalendarUID, func(m *MeetingRequest) *string { return &m.UID }).ro(),
	dateField(wbxml.MeetingResponseProposedStartTime, dateCompact, func(m *MeetingRequest) *time.Time { return &m.ProposedStartTime }).ro(),
	dateField(wbxml.MeetingResponseProposedEndTime, dateCompact, func(m *MeetingRequest) *time.Time { return &m.ProposedEndTime }).ro(),
)

var emailFields = newFieldTable(
	strField(wbxml.EmailTo, func(m *Email) *string { return &m.To }).clientSinceV(V160),
	strField(wbxml.EmailCc, func(m *Email) *string { return &m.Cc }).clientSinceV(V160),
	strField(wbxml.EmailFrom, func(m *Email) *string { return &m.From }).ro(),
	strField(wbxml.EmailReplyTo, func(m *Email) *string { return &m.ReplyTo }).ro(),
	strField(wbxml.EmailSubject, func(m *Email) *string { return &m.Subject }).clientSinceV(V160),
	dateField(wbxml.EmailDateReceived, dateLong, func(m *Email) *time.Time { return &m.DateReceived }).ro(),
	strField(wbxml.EmailDisplayTo, func(m *Email) *string { return &m.DisplayTo }).ro(),
	strField(wbxml.EmailThreadTopic, func(m *Email) *string { return &m.ThreadTopic }).ro(),
	intField(wbxml.EmailImportance, func(m *Email) *Importance { return &m.Importance }).clientSinceV(V160),
	boolField(wbxml.EmailRead, func(m *Email) *bool { return &m.Read }),
	strField(wbxml.EmailMessageClass, func(m *Email) *string { return &m.MessageClass }).ro(),
	strField(wbxml.EmailInternetCPID, func(m *Email) *string { return &m.InternetCPID }).ro(),
	strField(wbxml.EmailContentClass, func(m *Email) *string { return &m.ContentClass }).ro(),
	intField(wbxml.AirSyncBaseNativeBodyType, func(m *Email) *BodyType { return &m.NativeBodyType }).ro(),
	strField(wbxml.Email2UmCallerID, func(m *Email) *string { return &m.UmCallerID }).ro().sinceV(V140),
	strField(wbxml.Email2UmUserNotes, func(m *Email) *string { return &m.UmUserNotes }).ro().sinceV(V140),
	bytesField(wbxml.Email2ConversationId, func(m *Email) *[]byte { return &m.ConversationID }).ro().sinceV(V140),
	bytesField(wbxml.Email2ConversationIndex, func(m *Email) *[]byte { return &m.ConversationIndex }).ro().sinceV(V140),
	intField(wbxml.Email2LastVerbExecuted, func(m *Email) *int { return &m.LastVerbExecuted }).ro().sinceV(V140),
	dateField(wbxml.Email2LastVerbExecutionTime, dateLong, func(m *Email) *time.Time { return &m.LastVerbExecutionTime }).ro().sinceV(V140),
	boolField(wbxml.Email2ReceivedAsBcc, func(m *Email) *bool { return &m.ReceivedAsBcc }).ro().sinceV(V140),
	strField(wbxml.Email2Sender, func(m *Email) *string { return &m.Sender }).ro().sinceV(V140),
	strField(wbxml.Email2AccountId, func(m *Email) *string { return &m.AccountID }).ro().sinceV(V140),
	boolField(wbxml.Email2IsDraft, func(m *Email) *bool { return &m.IsDraft }).sinceV(V160).ro(),
	strField(wbxml.Email2Bcc, func(m *Email) *string { return &m.Bcc }).sinceV(V160),
)

func decodeEmail(d *wbxml.Decoder, parent wbxml.Tag, m *Email, opts *DecodeOptions) error {
	return decodeChildren(d, parent, func(tag wbxml.Tag) (bool, error) {
		var err error
		switch tag {
		case wbxml.AirSyncBaseBody:
			m.Body.Release()
			m.Body, err = decodeBody(d, tag, opts)
		case wbxml.AirSyncBaseBodyPart:
			m.BodyPart.Release()
			m.BodyPart, err = decodeBody(d, tag, opts)
		case wbxml.AirSyncBaseAttachments:
			m.Attachments, err = decodeAttachments(d)
		case wbxml.EmailCategories:
			m.Categories, err = readStrings(d, tag, wbxml.EmailCategory)
		case wbxml.EmailFlag:
			f := &Flag{}
			err = decodeChildren(d, tag, func(t wbxml.Tag) (bool, error) {
				return flagFields.decode(d, t, f, &f.Fields)
			})
			m.Flag = f
			if err == nil && f.Fields.IsZero() {
				m.Fields.SetEmpty(tag)
				return true, nil
			}
		case wbxml.EmailMeetingRequest:
			m.MeetingRequest, err = decodeMeetingRequest(d)
		default:
			return emailFields.decode(d, tag, m, &m.Fields)
		}
		if err == nil {
			m.Fields.Set(tag)
		}
		return true, err
	})
}

func decodeMeetingRequest(d *wbxml.Decoder) (*MeetingRequest, error) {
	mr := &MeetingRequest{}
	err := decodeChildren(d, wbxml.EmailMeetingRequest, func(tag wbxml.Tag) (bool, error) {
		var err error
		switch tag {
		case wbxml.EmailTimeZone:
			var s string
			if s, err = textField(d, tag); err != nil || s == "" {
				break
			}
			if mr.TimeZone, err = ParseTimeZone(s); err != nil {
				err = &FieldError{Tag: tag, Err: err}
			}
		case wbxml.EmailLocation:
			var s string
			s, err = textField(d, tag)
			mr.Location = &Location{DisplayName: s}
		case wbxml.AirSyncBaseLocation:
			loc := &Location{}
			err = decodeChildren(d, tag, func(t wbxml.Tag) (bool, error) {
				return locationFields.decode(d, t, loc, &loc.Fields)
			})
			mr.Location = loc
		case wbxml.EmailRecurrences:
			mr.Recurrences = []Recurrence{}
			err = decodeChildren(d, tag, func(t wbxml.Tag) (bool, error) {
				if t != wbxml.EmailRecurrence {
					return false, nil
				}
				r, err := decodeRecurrence(d, t, emailRecurrenceFields)
				if r != nil {
					mr.Recurrences = append(mr.Recurrences, *r)
				}
				return true, err
			})
		case wbxml.EmailCategories:
			mr.Categories, err = readStrings(d, tag, wbxml.EmailCategory)
		default:
			return meetingRequestFields.decode(d, tag, mr, &mr.Fields)
		}
		if err == nil {
			mr.Fields.Set(tag)
		}
		return true, err
	})
	return mr, err
}

// encodeEmail writes the children of ApplicationData for m: what the
// version lets a client change (MS-ASEMAIL 3.1.5.3).
func encodeEmail(e *wbxml.Encoder, m *Email, en encoding) error {
	fs := &m.Fields
	emailFields.encode(e, m, fs, en)
	if m.Flag != nil { // a Flag without children clears the flag
		e.Start(wbxml.EmailFlag)
		flagFields.encode(e, m.Flag, &m.Flag.Fields, en)
		e.End()
	} else if fs.Has(wbxml.EmailFlag) {
		e.Empty(wbxml.EmailFlag)
	}
	if en.v >= V140 {
		writeStrings(e, wbxml.EmailCategories, wbxml.EmailCategory, m.Categories, fs)
	}
	if en.v >= V160 || en.server {
		if m.Body != nil {
			if err := encodeBody(e, wbxml.AirSyncBaseBody, m.Body, en); err != nil {
				return err
			}
		}
	}
	if !en.server {
		if en.v >= V160 {
			encodeAttachmentChanges(e, &m.AttachmentChanges)
		}
		return nil
	}
	if m.BodyPart != nil && en.v >= V141 {
		if err := encodeBody(e, wbxml.AirSyncBaseBodyPart, m.BodyPart, en); err != nil {
			return err
		}
	}
	encodeAttachments(e, m.Attachments, fs, en)
	if m.MeetingRequest != nil {
		encodeMeetingRequest(e, m.MeetingRequest, en)
	}
	return nil
}

// encodeMeetingRequest writes a MeetingRequest, as only a server does.
func encodeMeetingRequest(e *wbxml.Encoder, mr *MeetingRequest, en encoding) {
	e.Start(wbxml.EmailMeetingRequest)
	meetingRequestFields.encode(e, mr, &mr.Fields, en)
	if mr.TimeZone != nil {
		e.Element(wbxml.EmailTimeZone, mr.TimeZone.Base64())
	}
	if mr.Location != nil {
		if en.v >= V160 {
			e.Start(wbxml.AirSyncBaseLocation)
			locationFields.encode(e, mr.Location, &mr.Location.Fields, en)
			e.End()
		} else {
			e.Element(wbxml.EmailLocation, mr.Location.DisplayName)
		}
	}
	if len(mr.Recurrences) > 0 {
		e.Start(wbxml.EmailRecurrences)
		for i := range mr.Recurrences {
			encodeRecurrence(e, wbxml.EmailRecurrence, wbxml.EmailType, &mr.Recurrences[i], emailRecurrenceFields, en)
		}
		e.End()
	}
	writeStrings(e, wbxml.EmailCategories, wbxml.EmailCategory, mr.Categories, &mr.Fields)
	e.End()
}
