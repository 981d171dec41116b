//go:build interop

package eas_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
)

const invitation = `From: %[1]s
To: %[2]s
Subject: %[3]s
Date: %[4]s
Message-ID: <%[5]s@easbridge.test>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inv"

--inv
Content-Type: text/plain; charset=utf-8

You are invited.
--inv
Content-Type: text/calendar; charset=utf-8; method=REQUEST

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easbridge//interop//EN
METHOD:REQUEST
BEGIN:VEVENT
UID:%[5]s
DTSTAMP:20261122T100000Z
DTSTART:20261215T100000Z
DTEND:20261215T110000Z
SUMMARY:%[3]s
ORGANIZER;CN=Organizer:mailto:%[1]s
ATTENDEE;CN=Attendee;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%[2]s
END:VEVENT
END:VCALENDAR
--inv--
`

// TestMeetingResponse delivers an invitation (iMIP REQUEST) and accepts it
// with MeetingResponse; the meeting then is in the calendar.
func TestMeetingResponse(t *testing.T) {
	forVersions(t, func(t *testing.T, e *env, v eas.Version) {
		a := newAccount(t, e, 1, v)
		inbox := a.open(a.folder(eas.FolderInbox))
		subject := fmt.Sprintf("meeting %s %d", runID, v)
		uid := strings.ReplaceAll(subject, " ", "-")
		organizer := e.address(e.user2)
		e.deliver(t, organizer, a.email, fmt.Sprintf(invitation, organizer, a.email, subject, time.Now().Format(time.RFC1123Z), uid))
		id, ok := inbox.waitFor(60*time.Second, subjectIs(subject))
		if !ok {
			t.Fatalf("invitation %q not delivered", subject)
		}
		m := inbox.items[id].(*eas.Email)
		if m.MeetingRequest == nil {
			t.Skipf("the server does not present the invitation as a meeting request (MessageClass %q)", m.MessageClass)
		}
		res, err := a.c.MeetingResponse(ctxFor(t, time.Minute), []eas.MeetingReply{{UserResponse: eas.MeetingAccept, CollectionID: inbox.id, RequestID: id}})
		if err != nil || len(res) != 1 || res[0].Status != 1 {
			t.Fatalf("MeetingResponse: %+v %v", res, err)
		}
		cal := a.open(a.folder(eas.FolderCalendar))
		if !cal.pullUntil(15*time.Second, func() bool {
			_, ok := cal.find(func(it eas.Item) bool { ev, ok := it.(*eas.Event); return ok && ev.Subject == subject })
			return ok
		}) {
			t.Errorf("accepted meeting %q (calendar id %q) not in the calendar", subject, res[0].CalendarID)
		}
	})
}
