package eas

import (
	"context"
	"strconv"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Meeting responses (MS-ASCMD 2.2.3.191 UserResponse).
const (
	MeetingAccept    = 1
	MeetingTentative = 2
	MeetingDecline   = 3
)

// MeetingReply answers one meeting request.
type MeetingReply struct {
	UserResponse int    // MeetingAccept, MeetingTentative or MeetingDecline
	CollectionID string // folder of the request (mail or calendar)
	RequestID    string // ServerId of the meeting request or the event
	LongID       string // instead of CollectionID/RequestID, from a Search
	InstanceID   string // 14.1+: one occurrence of a recurring meeting
}

// MeetingResult is the answer for one request: Status 1 success (2 invalid
// request, 3 mailbox error, 4 server error); CalendarID is the event's
// ServerId when accepted or tentative.
type MeetingResult struct {
	RequestID  string
	Status     int
	CalendarID string
}

// MeetingResponse accepts, tentatively accepts or declines meeting
// requests (MS-ASCMD 2.2.1.11).
func (c *Client) MeetingResponse(ctx context.Context, replies []MeetingReply) ([]MeetingResult, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.MeetingResponseMeetingResponse)
		for _, r := range replies {
			e.Start(wbxml.MeetingResponseRequest)
			e.Element(wbxml.MeetingResponseUserResponse, strconv.Itoa(r.UserResponse))
			if r.LongID != "" {
				e.Element(wbxml.SearchLongId, r.LongID)
			} else {
				e.Element(wbxml.MeetingResponseCollectionId, r.CollectionID)
				e.Element(wbxml.MeetingResponseRequestId, r.RequestID)
			}
			if r.InstanceID != "" && v >= V141 {
				e.Element(wbxml.MeetingResponseInstanceId, r.InstanceID)
			}
			e.End()
		}
		e.End()
	})
	if err != nil {
		return nil, err
	}
	var out []MeetingResult
	err = c.roundTrip(ctx, &request{cmd: "MeetingResponse", body: body}, wbxml.MeetingResponseMeetingResponse, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		return d.Each(func(t wbxml.Tag) error {
			if t != wbxml.MeetingResponseResult {
				return d.Skip()
			}
			var r MeetingResult
			err := d.Each(func(t wbxml.Tag) error {
				var err error
				switch t {
				case wbxml.MeetingResponseRequestId:
					r.RequestID, err = d.Text()
				case wbxml.MeetingResponseStatus:
					r.Status, err = readInt(d)
				case wbxml.MeetingResponseCalendarId:
					r.CalendarID, err = d.Text()
				default:
					err = d.Skip()
				}
				return err
			})
			if err != nil {
				return err
			}
			if r.Status > 100 {
				return commandStatusError("MeetingResponse", r.Status)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}
