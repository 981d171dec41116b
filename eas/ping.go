package eas

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// PingStatus is the Status of a Ping response (MS-ASCMD 2.2.3.177.10).
type PingStatus int

// Ping statuses.
const (
	PingExpired        PingStatus = 1 // heartbeat ended without changes
	PingChanges        PingStatus = 2 // Folders lists the changed folders
	PingMissingParams  PingStatus = 3 // send the full request (heartbeat and folders)
	PingSyntaxError    PingStatus = 4
	PingBadHeartbeat   PingStatus = 5 // HeartbeatInterval holds the allowed bound
	PingTooManyFolders PingStatus = 6 // MaxFolders holds the limit
	PingHierarchyStale PingStatus = 7 // FolderSync needed
	PingServerError    PingStatus = 8
)

// PingFolder is a folder to watch.
type PingFolder struct {
	ID    string
	Class Class
}

// PingResult is a Ping answer. For PingBadHeartbeat, HeartbeatInterval is
// the server's bound (the minimum if the request was too short, the
// maximum if too long); for PingTooManyFolders, MaxFolders is the limit.
type PingResult struct {
	Status            PingStatus
	Folders           []string
	HeartbeatInterval time.Duration
	MaxFolders        int
}

// Ping waits up to heartbeat for changes in folders (MS-ASCMD 2.2.1.13).
// An empty folders list with a zero heartbeat sends an empty Ping, which
// reuses the server's cached parameters. Statuses 1, 2, 5 and 6 come back
// in the result; 3, 4 and 8 are *StatusError, 7 matches
// ErrHierarchyChanged. The HTTP client must not time out before the
// heartbeat does; cancel through ctx.
func (c *Client) Ping(ctx context.Context, heartbeat time.Duration, folders []PingFolder) (*PingResult, error) {
	var body []byte
	if heartbeat > 0 || len(folders) > 0 {
		var err error
		body, err = encode(func(e *wbxml.Encoder) {
			e.Start(wbxml.PingPing)
			if heartbeat > 0 {
				e.Element(wbxml.PingHeartbeatInterval, strconv.Itoa(int(heartbeat/time.Second)))
			}
			if len(folders) > 0 {
				e.Start(wbxml.PingFolders)
				for _, f := range folders {
					e.Start(wbxml.PingFolder)
					e.Element(wbxml.PingId, f.ID)
					e.Element(wbxml.PingClass, string(f.Class))
					e.End()
				}
				e.End()
			}
			e.End()
		})
		if err != nil {
			return nil, err
		}
	}
	res := &PingResult{}
	err := c.roundTrip(ctx, &request{cmd: "Ping", body: body}, wbxml.PingPing, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		if err := decodePing(d, res); err != nil {
			return err
		}
		if res.Status > 100 {
			return commandStatusError("Ping", int(res.Status))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch res.Status {
	case PingExpired, PingChanges, PingBadHeartbeat, PingTooManyFolders:
		return res, nil
	case PingHierarchyStale:
		return res, &StatusError{Command: "Ping", Status: int(res.Status), Err: ErrHierarchyChanged}
	case PingMissingParams:
		return res, &StatusError{Command: "Ping", Status: int(res.Status), Err: errPingParams}
	case PingSyntaxError:
		return res, &StatusError{Command: "Ping", Status: int(res.Status), Err: errPingSyntax}
	case PingServerError:
		return res, &ThrottledError{Command: "Ping", Status: int(res.Status), Reason: "server error", Err: ErrUnavailable}
	}
	return res, commandStatusError("Ping", int(res.Status))
}

var (
	errPingParams = errors.New("eas: the server has no cached Ping parameters, send heartbeat and folders")
	errPingSyntax = errors.New("eas: the server rejected the Ping request as malformed")
)

func decodePing(d *wbxml.Decoder, res *PingResult) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.PingStatus:
			var n int
			n, err = readInt(d)
			res.Status = PingStatus(n)
		case wbxml.PingHeartbeatInterval:
			var n int
			n, err = readInt(d)
			res.HeartbeatInterval = time.Duration(n) * time.Second
		case wbxml.PingMaxFolders:
			res.MaxFolders, err = readInt(d)
		case wbxml.PingFolders:
			var ids []string
			ids, err = readTexts(d)
			res.Folders = append(res.Folders, ids...)
		default:
			err = d.Skip()
		}
		return err
	})
}
