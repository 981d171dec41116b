package eastest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// Seeded names what Seed put into a mailbox, for a caller that changes
// it later (the demo moves PushEvent to show push working).
type Seeded struct {
	Mails, Events, Tasks, Contacts int
	// Calendar is the ServerId of the Calendar folder; PushEvent the
	// ServerId of an event in it meant to be changed from the server.
	Calendar, PushEvent string
}

// Seed fills the user's default folders with realistic sample data dated
// around now in loc: a few dozen mails (non-ASCII names and subjects,
// attachments, some read, some sent), meetings with attendees (one
// recurring with a moved and a cancelled occurrence), all-day events,
// tasks, and contacts with phones, addresses and a photo. It is the
// sample mailbox of `easbridge demo` and of tests that want one.
func (s *Server) Seed(userName string, now time.Time, loc *time.Location) (*Seeded, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	out := &Seeded{Calendar: s.FolderID(userName, TypeCalendar)}
	if out.Calendar == "" {
		return nil, fmt.Errorf("eastest: seeding %q: %w", userName, ErrNotFound)
	}
	n, err := s.seedMail(userName, now)
	if err != nil {
		return nil, err
	}
	out.Mails = n
	events := sampleEvents(now, loc)
	for i, ev := range events {
		id, err := s.AddItem(userName, out.Calendar, ev)
		if err != nil {
			return nil, fmt.Errorf("eastest: seeding event %d: %w", i, err)
		}
		if ev.UID == pushEventUID {
			out.PushEvent = id
		}
	}
	out.Events = len(events)
	tasks := s.FolderID(userName, TypeTasks)
	for i, t := range sampleTasks(now, loc) {
		if _, err := s.AddItem(userName, tasks, t); err != nil {
			return nil, fmt.Errorf("eastest: seeding task %d: %w", i, err)
		}
		out.Tasks++
	}
	contacts := s.FolderID(userName, TypeContacts)
	for i, c := range sampleContacts() {
		if _, err := s.AddItem(userName, contacts, c); err != nil {
			return nil, fmt.Errorf("eastest: seeding contact %d: %w", i, err)
		}
		out.Contacts++
	}
	return out, nil
}

// pushEventUID is the UID of the event a demo changes from the server.
const pushEventUID = "demo-push-check@easbridge.test"

// PushEvent returns the sample event a demo changes from the server side
// for the n-th time: it moves by half an hour each time and says so.
func PushEvent(now time.Time, loc *time.Location, n int) *eas.Event {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	start := day.Add(16*time.Hour + time.Duration(n%8)*30*time.Minute)
	ev := meeting(loc, start, 30*time.Minute, "Push check", pushEventUID)
	if n > 0 {
		ev.Subject = fmt.Sprintf("Push check: moved by the server (change %d)", n)
	}
	ev.Body = eas.NewBody(eas.BodyPlain, []byte("The demo's server moves this event now and then, so you can watch push reach your calendar.\n"))
	return ev
}

// meeting returns a plain single event in loc.
func meeting(loc *time.Location, start time.Time, d time.Duration, subject, uid string) *eas.Event {
	tz := eas.TimeZoneFor(loc, start.Year())
	ev := &eas.Event{TimeZone: &tz, StartTime: start.UTC(), EndTime: start.Add(d).UTC(), Subject: subject,
		UID: uid, DtStamp: start.Add(-72 * time.Hour).UTC(), BusyStatus: eas.BusyBusy, Reminder: 15}
	ev.Fields.Set(wbxml.CalendarReminder, wbxml.CalendarBusyStatus)
	return ev
}

// sampleEvents are the calendar of the sample mailbox.
func sampleEvents(now time.Time, loc *time.Location) []*eas.Event {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	monday := day.AddDate(0, 0, -int((day.Weekday()+6)%7))
	at := func(d, h, m int) time.Time {
		return day.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	var out []*eas.Event

	// A recurring meeting with attendees, one occurrence moved and one
	// cancelled (MS-ASCAL 2.2.2.21).
	standup := meeting(loc, monday.Add(9*time.Hour+30*time.Minute), 15*time.Minute, "Team stand-up", "demo-standup@easbridge.test")
	standup.OrganizerName, standup.OrganizerEmail = "Zoë Ämmerli", "zoe@example.test"
	standup.MeetingStatus, standup.ResponseRequested, standup.ResponseType = eas.MeetingReceived, true, eas.ResponseAccepted
	standup.Location = &eas.Location{DisplayName: "Room Zürich / video link"}
	standup.Attendees = []eas.Attendee{
		{Email: "zoe@example.test", Name: "Zoë Ämmerli", Status: eas.ResponseAccepted, Type: eas.AttendeeRequired},
		{Email: "jose@example.test", Name: "José Núñez", Status: eas.ResponseAccepted, Type: eas.AttendeeRequired},
		{Email: "asa@example.test", Name: "Åsa Öberg", Status: eas.ResponseTentative, Type: eas.AttendeeOptional},
		{Email: "demo@example.test", Name: "Demo User", Status: eas.ResponseAccepted, Type: eas.AttendeeRequired},
	}
	standup.Recurrence = &eas.Recurrence{Type: eas.RecurWeekly, DayOfWeek: eas.Monday | eas.Tuesday | eas.Wednesday | eas.Thursday | eas.Friday,
		Until: monday.AddDate(0, 3, 0).UTC()}
	standup.Body = eas.NewBody(eas.BodyPlain, []byte("Daily sync: yesterday, today, blockers. Keep it under 15 minutes.\n"))
	moved := eas.Exception{ExceptionStartTime: monday.AddDate(0, 0, 9).Add(9*time.Hour + 30*time.Minute).UTC()}
	moved.StartTime = monday.AddDate(0, 0, 9).Add(11 * time.Hour).UTC()
	moved.EndTime = moved.StartTime.Add(15 * time.Minute)
	moved.Subject = "Team stand-up (moved to 11:00)"
	moved.Fields.Set(wbxml.CalendarStartTime, wbxml.CalendarEndTime, wbxml.CalendarSubject)
	cancelled := eas.Exception{Deleted: true, ExceptionStartTime: monday.AddDate(0, 0, 11).Add(9*time.Hour + 30*time.Minute).UTC()}
	standup.Exceptions = []eas.Exception{moved, cancelled}
	out = append(out, standup)

	review := meeting(loc, at(1, 14, 0), time.Hour, "Quarterly review – Q3 numbers", "demo-review@easbridge.test")
	review.OrganizerName, review.OrganizerEmail = "Demo User", "demo@example.test"
	review.MeetingStatus = eas.MeetingOrganizer
	review.Location = &eas.Location{DisplayName: "Konferenzraum Süd"}
	review.Attendees = []eas.Attendee{
		{Email: "li.lei@example.test", Name: "李雷", Status: eas.ResponseNotResponded, Type: eas.AttendeeRequired},
		{Email: "mikhail@example.test", Name: "Михаил Петров", Status: eas.ResponseDeclined, Type: eas.AttendeeOptional},
		{Email: "room-sud@example.test", Name: "Konferenzraum Süd", Status: eas.ResponseAccepted, Type: eas.AttendeeResource},
	}
	review.Body = eas.NewBody(eas.BodyPlain, []byte("Agenda:\n1. Revenue\n2. Hiring\n3. Roadmap\n"))
	out = append(out, review)

	lunch := meeting(loc, at(0, 12, 30), time.Hour, "Lunch with José 🍝", "demo-lunch@easbridge.test")
	lunch.BusyStatus = eas.BusyTentative
	lunch.Location = &eas.Location{DisplayName: "Trattoria Città"}
	out = append(out, lunch)
	out = append(out, meeting(loc, at(-2, 10, 0), 90*time.Minute, "Design review: sync engine", "demo-design@easbridge.test"))
	out = append(out, meeting(loc, at(3, 15, 0), 45*time.Minute, "1:1 Åsa", "demo-1on1@easbridge.test"))
	dentist := meeting(loc, at(6, 8, 15), 45*time.Minute, "Dentist", "demo-dentist@easbridge.test")
	dentist.Sensitivity = eas.SensitivityPrivate
	out = append(out, dentist)

	// All-day events: a one-day holiday and a three-day conference.
	holiday := allDay(loc, day.AddDate(0, 0, 4), 1, "Company holiday", "demo-holiday@easbridge.test")
	holiday.BusyStatus = eas.BusyOutOfOffice
	out = append(out, holiday)
	out = append(out, allDay(loc, day.AddDate(0, 0, 15), 3, "Conférence Go à Lyon", "demo-conf@easbridge.test"))
	out = append(out, allDay(loc, day.AddDate(0, 0, -1), 1, "Birthday: Zoë", "demo-bday@easbridge.test"))

	out = append(out, PushEvent(now, loc, 0))
	return out
}

// allDay returns an all-day event of days days from day (midnight in loc).
func allDay(loc *time.Location, day time.Time, days int, subject, uid string) *eas.Event {
	ev := meeting(loc, day, time.Duration(days)*24*time.Hour, subject, uid)
	ev.EndTime = day.AddDate(0, 0, days).UTC()
	ev.AllDayEvent = true
	ev.BusyStatus = eas.BusyFree
	return ev
}

// sampleTasks are the task list of the sample mailbox.
func sampleTasks(now time.Time, loc *time.Location) []*eas.Task {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	task := func(subject string, due int, imp eas.Importance, done bool) *eas.Task {
		t := &eas.Task{Subject: subject, Importance: imp, Complete: done}
		if due != 0 {
			t.DueDate, t.UtcDueDate = day.AddDate(0, 0, due), day.AddDate(0, 0, due)
			t.StartDate, t.UtcStartDate = day, day
		}
		if done {
			t.DateCompleted = now.Add(-26 * time.Hour).UTC()
		}
		return t
	}
	out := []*eas.Task{
		task("Submit travel expenses (Lyon)", 2, eas.ImportanceHigh, false),
		task("Review José's pull request", 1, eas.ImportanceNormal, false),
		task("Book room for the Q3 review", -1, eas.ImportanceNormal, true),
		task("Read “Designing Data-Intensive Applications”, ch. 5", 10, eas.ImportanceLow, false),
		task("Renew passport", 30, eas.ImportanceHigh, false),
		task("Water the office plants 🌱", 0, eas.ImportanceLow, false),
	}
	out[0].Body = eas.NewBody(eas.BodyPlain, []byte("Train tickets, hotel (2 nights), taxi receipts.\n"))
	out[0].Categories = []string{"Travel"}
	return out
}

// sampleContacts are the address book of the sample mailbox; the first
// has a photo.
func sampleContacts() []*eas.Contact {
	out := []*eas.Contact{
		{FirstName: "Zoë", LastName: "Ämmerli", FileAs: "Ämmerli, Zoë", Email1Address: "zoe@example.test",
			MobilePhoneNumber: "+41 79 555 01 23", BusinessPhoneNumber: "+41 44 555 10 00", CompanyName: "Example AG",
			JobTitle: "Engineering Manager", Department: "Platform",
			BusinessAddress: eas.PostalAddress{Street: "Bahnhofstrasse 1", City: "Zürich", PostalCode: "8001", Country: "Switzerland"}},
		{FirstName: "José", LastName: "Núñez", FileAs: "Núñez, José", Email1Address: "jose@example.test",
			Email2Address: "jose.nunez@example.org", MobilePhoneNumber: "+34 600 555 123", CompanyName: "Example AG", JobTitle: "Developer"},
		{FirstName: "Åsa", LastName: "Öberg", FileAs: "Öberg, Åsa", Email1Address: "asa@example.test",
			HomePhoneNumber: "+46 8 555 123 45", HomeAddress: eas.PostalAddress{Street: "Götgatan 12", City: "Stockholm", PostalCode: "118 46", Country: "Sweden"}},
		{FirstName: "雷", LastName: "李", FileAs: "李雷", Email1Address: "li.lei@example.test", BusinessPhoneNumber: "+86 10 5555 0100", CompanyName: "示例公司"},
		{FirstName: "Михаил", LastName: "Петров", FileAs: "Петров, Михаил", Email1Address: "mikhail@example.test", MobilePhoneNumber: "+7 916 555-01-02"},
		{FirstName: "Chloé", LastName: "Dubois", FileAs: "Dubois, Chloé", Email1Address: "chloe@example.test", BusinessFaxNumber: "+33 1 55 55 01 99",
			BusinessPhoneNumber: "+33 1 55 55 01 00", CompanyName: "Conférence Go", WebPage: "https://conf.example.test/"},
		{FirstName: "Mary", LastName: "O'Brien", FileAs: "O'Brien, Mary", Email1Address: "mary@example.test", MobilePhoneNumber: "+353 87 555 0101",
			NickName: "Mo", Birthday: time.Date(1988, 7, 14, 0, 0, 0, 0, time.UTC)},
		{FirstName: "Help", LastName: "Desk", FileAs: "IT Help Desk", Email1Address: "helpdesk@example.test", CompanyMainPhone: "+1 555 0100"},
	}
	out[0].Picture = samplePhoto()
	out[0].Body = eas.NewBody(eas.BodyPlain, []byte("Met at GopherCon EU; prefers Signal for quick questions.\n"))
	out[0].Categories = []string{"Work", "Team"}
	return out
}

// samplePhoto draws a small JPEG: a coloured square with a lighter disc,
// enough for address books to show a picture.
func samplePhoto() []byte {
	const size = 48
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := color.RGBA{0x3a, 0x6e, 0xa5, 0xff}
			if dx, dy := x-size/2, y-size/2+4; dx*dx+dy*dy < 12*12 {
				c = color.RGBA{0xf2, 0xd0, 0xa4, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}) // writing to memory cannot fail
	return b.Bytes()
}
