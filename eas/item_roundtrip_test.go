package eas

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

var (
	t1 = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	t2 = time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC)
	t3 = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
)

func fullEvent() *Event {
	tz := berlin
	ex := Exception{ExceptionStartTime: t3, Event: Event{
		InstanceID: t3, Subject: "moved", StartTime: t3.Add(time.Hour), EndTime: t3.Add(2 * time.Hour),
		Location: &Location{DisplayName: "Room 7"}, Body: NewBody(BodyPlain, []byte("exception body")),
		Attendees:  []Attendee{{Email: "b@example.net", Name: "B", Status: ResponseDeclined, Type: AttendeeRequired}},
		Categories: []string{"x"}, BusyStatus: BusyTentative, Reminder: 5, Sensitivity: SensitivityPrivate,
		MeetingStatus: MeetingOrganizer, AllDayEvent: false, DtStamp: t1,
	}}
	return &Event{
		TimeZone: &tz, AllDayEvent: false, StartTime: t1, EndTime: t2, DtStamp: t1,
		Subject: "Planning ✓", UID: "040000008200E00074C5B7101A82E008", OrganizerName: "Org", OrganizerEmail: "org@example.net",
		Location: &Location{DisplayName: "Room 42", Annotation: "2nd floor", Street: "Domkloster 4", City: "Köln", State: "NRW",
			Country: "DE", PostalCode: "50667", Latitude: 50.9413, Longitude: 6.9583, Accuracy: 10, Altitude: 60.5, AltitudeAccuracy: 2, LocationURI: "geo:50.9413,6.9583"},
		Body: NewBody(BodyHTML, []byte("<p>agenda</p>")),
		Attendees: []Attendee{
			{Email: "a@example.net", Name: "A", Status: ResponseAccepted, Type: AttendeeRequired, ProposedStartTime: t2, ProposedEndTime: t3},
			{Email: "room@example.net", Name: "Room", Status: ResponseNotResponded, Type: AttendeeResource},
		},
		Categories: []string{"Work", "Blue Category"}, Sensitivity: SensitivityConfidential, BusyStatus: BusyOutOfOffice,
		Reminder: 15, MeetingStatus: MeetingReceived, ResponseRequested: true, ResponseType: ResponseTentative,
		AppointmentReplyTime: t2, DisallowNewTimeProposal: true, OnlineMeetingConfLink: "https://meet/conf", OnlineMeetingExternalLink: "https://meet/ext",
		NativeBodyType: BodyHTML,
		Recurrence: &Recurrence{Type: RecurMonthlyNth, Interval: 2, Until: t3.AddDate(1, 0, 0), DayOfWeek: Tuesday | Thursday,
			WeekOfMonth: 5, MonthOfYear: 0, CalendarType: 1, IsLeapMonth: true, FirstDayOfWeek: 1},
		Exceptions:  []Exception{ex, {Deleted: true, ExceptionStartTime: t3.AddDate(0, 2, 0), Event: Event{InstanceID: t3.AddDate(0, 2, 0)}}},
		Attachments: []Attachment{{FileReference: "cal/1/att", DisplayName: "a.pdf", Method: AttachNormal, EstimatedDataSize: 1234, ContentType: "application/pdf", ClientID: "c1"}},
	}
}

func fullContact() *Contact {
	return &Contact{
		FileAs: "Lee, Ann", FirstName: "Ann", MiddleName: "B.", LastName: "Lee", Suffix: "Jr.", Title: "Dr.",
		YomiFirstName: "アン", YomiLastName: "リー", YomiCompanyName: "エー", NickName: "Annie",
		Email1Address: "ann@example.net", Email2Address: "Ann <ann@home.example>", Email3Address: "a3@example.net",
		BusinessPhoneNumber: "1", Business2PhoneNumber: "2", HomePhoneNumber: "3", Home2PhoneNumber: "4", MobilePhoneNumber: "5",
		CarPhoneNumber: "6", RadioPhoneNumber: "7", PagerNumber: "8", BusinessFaxNumber: "9", HomeFaxNumber: "10",
		AssistantPhoneNumber: "11", CompanyMainPhone: "12", MMS: "13",
		BusinessAddress: PostalAddress{"b street", "b city", "b state", "b zip", "b country"},
		HomeAddress:     PostalAddress{"h street", "h city", "h state", "h zip", "h country"},
		OtherAddress:    PostalAddress{"o street", "o city", "o state", "o zip", "o country"},
		Birthday:        time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC), Anniversary: time.Date(2005, 6, 1, 0, 0, 0, 0, time.UTC),
		Picture:     []byte("\xff\xd8\xff\xe0 jpeg bytes \x00\x01"),
		CompanyName: "ACME", Department: "R&D", JobTitle: "Engineer", OfficeLocation: "B2", ManagerName: "Boss", AssistantName: "Sam",
		WebPage: "https://example.net", Body: NewBody(BodyPlain, []byte("notes\nline 2")), Categories: []string{"Friends"},
		Children: []string{"Kid One", "Kid Two"}, Spouse: "Pat", IMAddress: "im1", IMAddress2: "im2", IMAddress3: "im3",
		CustomerID: "cust", GovernmentID: "gov", AccountName: "acct", Alias: "alias", WeightedRank: 7,
	}
}

func fullTask() *Task {
	return &Task{
		Subject: "Report", Body: NewBody(BodyPlain, []byte("do it")), Importance: ImportanceLow,
		StartDate: t1, UtcStartDate: t1.Add(-time.Hour), DueDate: t2, UtcDueDate: t2.Add(-time.Hour),
		Complete: true, DateCompleted: t3, Sensitivity: SensitivityPersonal, ReminderSet: true, ReminderTime: t1,
		Recurrence: &Recurrence{Type: RecurYearlyNth, Start: t1, Until: t3.AddDate(2, 0, 0), Interval: 1, DayOfWeek: Friday,
			WeekOfMonth: 2, MonthOfYear: 11, Regenerate: true, DeadOccur: true, CalendarType: 1, FirstDayOfWeek: 1},
		Categories: []string{"a", "b"}, OrdinalDate: t1, SubOrdinalDate: "5",
	}
}

func fullNote() *Note {
	return &Note{Subject: "n", Body: NewBody(BodyPlain, []byte("text")), MessageClass: "IPM.StickyNote", LastModifiedDate: t2, Categories: []string{"c"}}
}

func fullEmail() *Email {
	return &Email{
		To: `"A" <a@example.net>`, Cc: "c@example.net", From: "f@example.net", ReplyTo: "r@example.net", Subject: "Hi ✓",
		DateReceived: t1, DisplayTo: "A", ThreadTopic: "Hi", Importance: ImportanceHigh, Read: true, MessageClass: "IPM.Schedule.Meeting.Request",
		InternetCPID: "65001", ContentClass: "urn:content-classes:calendarmessage", Body: NewBody(BodyMIME, []byte("MIME-Version: 1.0\r\n\r\nx")),
		BodyPart: &Body{Type: BodyHTML, EstimatedDataSize: 9, Status: 1}, NativeBodyType: BodyHTML,
		Attachments: []Attachment{{FileReference: "f/1", DisplayName: "x.png", Method: AttachNormal, EstimatedDataSize: 99, ContentID: "cid1",
			ContentLocation: "loc", IsInline: true, ContentType: "image/png", UmAttDuration: 3, UmAttOrder: 1}},
		Flag: &Flag{Status: FlagActive, FlagType: "Follow up", Subject: "flag", StartDate: t1, UtcStartDate: t1, DueDate: t2, UtcDueDate: t2,
			ReminderSet: true, ReminderTime: t1, OrdinalDate: t1, SubOrdinalDate: "1"},
		Categories: []string{"Red"},
		MeetingRequest: &MeetingRequest{AllDayEvent: true, StartTime: t1, EndTime: t2, DtStamp: t1, InstanceType: 1,
			Location: &Location{DisplayName: "Room"}, Organizer: "o@example.net", RecurrenceID: t3, Reminder: 10, ResponseRequested: true,
			Recurrences: []Recurrence{{Type: RecurWeekly, Interval: 1, DayOfWeek: Monday, Until: t3, CalendarType: 1, FirstDayOfWeek: 1}},
			Sensitivity: SensitivityNormal, BusyStatus: BusyTentative, TimeZone: &berlin, GlobalObjID: "BAAAAIIA4AB0xbcQGoLgCAAAAAA=",
			DisallowNewTimeProposal: true, MeetingMessageType: 1, Categories: []string{"m"}},
		UmCallerID: "123", UmUserNotes: "notes", ConversationID: []byte{1, 2, 0xff}, ConversationIndex: []byte{9, 8},
		LastVerbExecuted: 2, LastVerbExecutionTime: t2, ReceivedAsBcc: true, Sender: "s@example.net", AccountID: "acc",
		IsDraft: true, Bcc: "bcc@example.net",
	}
}

var (
	fieldsType = reflect.TypeFor[Fields]()
	bodyType   = reflect.TypeFor[*Body]()
)

// normalize clears every Fields value and replaces bodies by comparable
// copies (data read out, no spool file), so that reflect.DeepEqual
// compares what the item says.
func normalize(t *testing.T, v reflect.Value) {
	switch {
	case v.Type() == fieldsType:
		v.Set(reflect.Zero(fieldsType))
	case v.Type() == bodyType:
		if v.IsNil() {
			return
		}
		b := v.Interface().(*Body)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 {
			data = nil
		}
		n := &Body{Type: b.Type, EstimatedDataSize: b.EstimatedDataSize, Truncated: b.Truncated, Preview: b.Preview, Status: b.Status, Part: b.Part, data: data, size: int64(len(data)), hasData: b.hasData}
		v.Set(reflect.ValueOf(n))
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			normalize(t, v.Elem())
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normalize(t, v.Field(i))
			}
		}
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.Zero(v.Type())) // [] and nil say the same
		}
		for i := range v.Len() {
			normalize(t, v.Index(i))
		}
	}
}

func roundTrip(t *testing.T, it Item, v Version, server bool) Item {
	t.Helper()
	doc := encodeAppData(t, it, v, server)
	got, err := decodeAppData(t, doc, it.Class(), v)
	if err != nil {
		t.Fatalf("decoding own output: %v\n%s", err, mustParse(t, doc).XML())
	}
	t.Cleanup(func() { ReleaseItem(got) })
	return got
}

func sameItem(t *testing.T, what string, got, want Item) {
	t.Helper()
	normalize(t, reflect.ValueOf(got))
	normalize(t, reflect.ValueOf(want))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: round trip differs\n got %s\nwant %s", what, dump(got), dump(want))
	}
}

func dump(v any) string { return strings.ReplaceAll(fmt.Sprintf("%+v", v), " ", " ") }

// TestServerRoundTrip16 encodes complete items as a 16.1 server and
// decodes them: every field comes back.
func TestServerRoundTrip16(t *testing.T) {
	for _, mk := range []func() Item{
		func() Item { return fullEvent() }, func() Item { return fullContact() }, func() Item { return fullTask() },
		func() Item { return fullNote() }, func() Item { return fullEmail() },
	} {
		want := mk()
		got := roundTrip(t, mk(), V161, true)
		sameItem(t, string(want.Class())+" 16.1", got, want)
	}
}

// TestServerRoundTrip14 does the same for 14.1, where a location is only
// a name and 16.x elements do not exist.
func TestServerRoundTrip14(t *testing.T) {
	ev := fullEvent()
	want := fullEvent()
	want.Location = &Location{DisplayName: want.Location.DisplayName}
	want.Attachments = nil
	for i := range want.Exceptions {
		want.Exceptions[i].InstanceID = time.Time{}
	}
	for i := range want.Attendees {
		want.Attendees[i].ProposedStartTime, want.Attendees[i].ProposedEndTime = time.Time{}, time.Time{}
	}
	sameItem(t, "event 14.1", roundTrip(t, ev, V141, true), want)

	m, wantM := fullEmail(), fullEmail()
	wantM.IsDraft, wantM.Bcc = false, ""
	wantM.Attachments[0].ContentType = ""
	sameItem(t, "email 14.1", roundTrip(t, m, V141, true), wantM)

	tk, wantT := fullTask(), fullTask()
	wantT.OrdinalDate, wantT.SubOrdinalDate = time.Time{}, ""
	sameItem(t, "task 14.1", roundTrip(t, tk, V141, true), wantT)

	sameItem(t, "contact 14.1", roundTrip(t, fullContact(), V141, true), fullContact())
}

// TestRoundTripStableEveryVersion checks, for every type, version and
// direction, that decoding what was encoded and encoding it again gives
// the same item (decode->encode is idempotent).
func TestRoundTripStableEveryVersion(t *testing.T) {
	makers := map[string]func() Item{
		"event": func() Item { return fullEvent() }, "contact": func() Item { return fullContact() },
		"task": func() Item { return fullTask() }, "note": func() Item { return fullNote() }, "email": func() Item { return fullEmail() },
	}
	for name, mk := range makers {
		for _, v := range SupportedVersions {
			for _, server := range []bool{false, true} {
				once := roundTrip(t, mk(), v, server)
				twice := roundTrip(t, once, v, server)
				sameItem(t, fmt.Sprintf("%s %v server=%v", name, v, server), twice, roundTrip(t, mk(), v, server))
			}
		}
	}
}

// elementsOf lists the tags in an encoded ApplicationData, with their
// text, as "Page:Name=text" strings.
func elementsOf(t *testing.T, it Item, v Version, server bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(n *wbxml.Node, path string)
	walk = func(n *wbxml.Node, path string) {
		for _, c := range n.Children {
			p := path + c.Tag.String()
			out[p] = string(c.Text)
			walk(c, p+"/")
		}
	}
	walk(mustParse(t, encodeAppData(t, it, v, server)), "")
	return out
}

func TestClientEncodingRules(t *testing.T) {
	type rule struct {
		path    string
		present bool
		text    string
	}
	for _, tc := range []struct {
		name  string
		item  Item
		v     Version
		rules []rule
	}{
		{"event 14.1", fullEvent(), V141, []rule{
			{"Calendar:UID", true, "040000008200E00074C5B7101A82E008"},
			{"Calendar:ClientUid", false, ""},
			{"Calendar:OrganizerEmail", true, "org@example.net"},
			{"Calendar:DtStamp", true, "20261125T140000Z"},
			{"Calendar:StartTime", true, "20261125T140000Z"},
			{"Calendar:Location", true, "Room 42"},
			{"AirSyncBase:Location", false, ""},
			{"Calendar:Exceptions/Calendar:Exception/Calendar:ExceptionStartTime", true, "20270202T140000Z"},
			{"Calendar:Exceptions/Calendar:Exception/AirSyncBase:InstanceId", false, ""},
			{"Calendar:Attendees/Calendar:Attendee/Calendar:AttendeeStatus", false, ""},
			{"Calendar:Attendees/Calendar:Attendee/Calendar:AttendeeType", true, "3"},
			{"Calendar:ResponseType", false, ""},
			{"Calendar:Recurrence/Calendar:FirstDayOfWeek", true, "1"},
			{"Calendar:Recurrence/Calendar:Until", true, "20271202T140000Z"},
			{"AirSyncBase:Body/AirSyncBase:Data", true, "<p>agenda</p>"},
			{"AirSyncBase:Body/AirSyncBase:EstimatedDataSize", false, ""},
			{"AirSyncBase:NativeBodyType", false, ""},
		}},
		{"event 16.1", fullEvent(), V161, []rule{
			{"Calendar:UID", false, ""},
			{"Calendar:ClientUid", true, "040000008200E00074C5B7101A82E008"},
			{"Calendar:OrganizerEmail", false, ""},
			{"Calendar:OrganizerName", false, ""},
			{"Calendar:DtStamp", false, ""},
			{"Calendar:Location", false, ""},
			{"AirSyncBase:Location/AirSyncBase:City", true, "Köln"},
			{"AirSyncBase:Location/AirSyncBase:Latitude", true, "50.9413"},
			{"Calendar:Exceptions/Calendar:Exception/AirSyncBase:InstanceId", true, "20270202T140000Z"},
			{"Calendar:Exceptions/Calendar:Exception/Calendar:ExceptionStartTime", false, ""},
			{"Calendar:Exceptions/Calendar:Exception/AirSyncBase:Location/AirSyncBase:DisplayName", true, "Room 7"},
		}},
		{"email 14.1", fullEmail(), V141, []rule{
			{"Email:Read", true, "1"},
			{"Email:Flag/Email:Status", true, "2"},
			{"Email:Flag/Tasks:DueDate", true, "2026-11-25T15:30:00.000Z"},
			{"Email:Categories/Email:Category", true, "Red"},
			{"Email:To", false, ""},
			{"Email:Subject", false, ""},
			{"Email:From", false, ""},
			{"AirSyncBase:Body", false, ""},
			{"Email:MeetingRequest", false, ""},
		}},
		{"email 16.1", fullEmail(), V161, []rule{
			{"Email:To", true, `"A" <a@example.net>`},
			{"Email2:Bcc", true, "bcc@example.net"},
			{"Email:Importance", true, "2"},
			{"AirSyncBase:Body/AirSyncBase:Type", true, "4"},
			{"Email:From", false, ""},
			{"Email2:IsDraft", false, ""},
			{"Email:DateReceived", false, ""},
		}},
		{"contact", fullContact(), V141, []rule{
			{"Contacts:Birthday", true, "1980-02-29T00:00:00.000Z"},
			{"Contacts:Picture", true, "/9j/4CBqcGVnIGJ5dGVzIAAB"},
			{"Contacts:Children/Contacts:Child", true, "Kid Two"},
			{"Contacts2:MMS", true, "13"},
			{"Contacts:Alias", false, ""},
			{"Contacts:WeightedRank", false, ""},
		}},
		{"task 14.1", fullTask(), V141, []rule{
			{"Tasks:UtcDueDate", true, "2026-11-25T14:30:00.000Z"},
			{"Tasks:Recurrence/Tasks:Regenerate", true, "1"},
			{"Tasks:Recurrence/Tasks:Start", true, "2026-11-25T14:00:00.000Z"},
			{"Tasks:OrdinalDate", false, ""},
		}},
		{"task 12.1", fullTask(), V121, []rule{
			{"Tasks:Recurrence/Tasks:CalendarType", false, ""},
			{"Tasks:Recurrence/Tasks:FirstDayOfWeek", false, ""},
		}},
		{"note", fullNote(), V141, []rule{
			{"Notes:LastModifiedDate", false, ""},
			{"Notes:MessageClass", true, "IPM.StickyNote"},
		}},
	} {
		els := elementsOf(t, tc.item, tc.v, false)
		for _, r := range tc.rules {
			text, ok := els[r.path]
			if ok != r.present || ok && r.text != "" && text != r.text {
				t.Errorf("%s: %s present=%v text=%q, want present=%v text=%q", tc.name, r.path, ok, text, r.present, r.text)
			}
		}
	}
}

// TestPresence covers the absent/empty/zero distinctions of Fields.
func TestPresence(t *testing.T) {
	// A new item sends only what it holds.
	els := elementsOf(t, &Event{Subject: "x"}, V141, false)
	if len(els) != 1 || els["Calendar:Subject"] != "x" {
		t.Errorf("new event encodes %v", els)
	}
	// A zero value marked present is sent: BusyStatus 0 (Free) differs
	// from the server's default Busy.
	ev := &Event{Subject: "x"}
	ev.Fields.Set(wbxml.CalendarBusyStatus)
	if els := elementsOf(t, ev, V141, false); els["Calendar:BusyStatus"] != "0" {
		t.Errorf("explicit BusyStatus 0 not sent: %v", els)
	}
	// An empty Reminder means "no reminder" and goes as an empty element;
	// a value set later wins over the empty mark.
	ev.Fields.SetEmpty(wbxml.CalendarReminder)
	if els := elementsOf(t, ev, V141, false); els["Calendar:Reminder"] != "" {
		t.Errorf("empty Reminder: %v", els)
	} else if _, ok := els["Calendar:Reminder"]; !ok {
		t.Error("empty Reminder not sent")
	}
	ev.Reminder = 30
	if els := elementsOf(t, ev, V141, false); els["Calendar:Reminder"] != "30" {
		t.Errorf("Reminder 30: %v", els)
	}
	// Decoding keeps the distinction.
	ev.Reminder = 0
	got := roundTrip(t, ev, V141, false).(*Event)
	if !got.Fields.IsEmpty(wbxml.CalendarReminder) || !got.Fields.Has(wbxml.CalendarBusyStatus) || got.Fields.IsEmpty(wbxml.CalendarBusyStatus) || got.Fields.Has(wbxml.CalendarLocation) {
		t.Errorf("decoded presence: %v", got.Fields.Tags())
	}
	// Clearing: empty Categories and Picture elements.
	c := &Contact{}
	c.Fields.Set(wbxml.ContactsCategories)
	c.Fields.SetEmpty(wbxml.ContactsPicture)
	els = elementsOf(t, c, V141, false)
	if _, ok := els["Contacts:Categories"]; !ok {
		t.Error("empty Categories not sent")
	}
	if _, ok := els["Contacts:Picture"]; !ok {
		t.Error("empty Picture not sent")
	}
	// Fields bookkeeping.
	var fs Fields
	fs.Set(wbxml.ContactsFirstName, wbxml.Contacts2NickName)
	fs.SetEmpty(wbxml.ContactsLastName)
	fs.Clear(wbxml.ContactsFirstName)
	if fs.Has(wbxml.ContactsFirstName) || !fs.Has(wbxml.Contacts2NickName) || !fs.IsEmpty(wbxml.ContactsLastName) || len(fs.Tags()) != 2 {
		t.Errorf("Fields: %v", fs.Tags())
	}
	// An empty Flag clears the flag.
	m := &Email{Flag: &Flag{}}
	if els := elementsOf(t, m, V141, false); !hasKey(els, "Email:Flag") || hasKey(els, "Email:Flag/Email:Status") {
		t.Errorf("clearing flag: %v", els)
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func TestParseDateForms(t *testing.T) {
	want := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	for _, s := range []string{"20261125T140000Z", "2026-11-25T14:00:00.000Z", "2026-11-25T14:00:00Z", "2026-11-25T15:00:00+01:00", " 20261125T140000Z\n", "2026-11-25T14:00:00"} {
		got, err := ParseDate(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "tomorrow", "2026-13-01T00:00:00Z", "20261125T250000Z"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
		}
	}
	if FormatCompactDate(want) != "20261125T140000Z" || FormatDate(want) != "2026-11-25T14:00:00.000Z" {
		t.Error("format")
	}
}

func TestReadChange(t *testing.T) {
	for _, read := range []bool{false, true} {
		els := elementsOf(t, ReadChange(read), V141, false)
		if len(els) != 1 || els["Email:Read"] != formatBool(read) {
			t.Errorf("ReadChange(%v) encodes %v", read, els)
		}
	}
}
