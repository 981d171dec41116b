package eas

import (
	"context"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestMeetingResponse(t *testing.T) {
	f := newFake(t)
	f.on("MeetingResponse", reply(el(wbxml.MeetingResponseMeetingResponse,
		el(wbxml.MeetingResponseResult, el(wbxml.MeetingResponseRequestId, "5"), el(wbxml.MeetingResponseStatus, "1"), el(wbxml.MeetingResponseCalendarId, "ev-5")))))
	c := newTestClient(t, f, nil)
	res, err := c.MeetingResponse(context.Background(), []MeetingReply{{UserResponse: MeetingAccept, CollectionID: "inbox", RequestID: "5", InstanceID: "x"}})
	if err != nil || len(res) != 1 || res[0] != (MeetingResult{"5", 1, "ev-5"}) {
		t.Fatalf("%+v %v", res, err)
	}
	req := f.requests("MeetingResponse")[0].Body
	if text(req, wbxml.MeetingResponseUserResponse) != "1" || text(req, wbxml.MeetingResponseCollectionId) != "inbox" || text(req, wbxml.MeetingResponseInstanceId) != "x" {
		t.Errorf("request %s", req.XML())
	}
}
