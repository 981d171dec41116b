package eas

import (
	"context"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Move asks to move one item (MS-ASCMD 2.2.1.12).
type Move struct {
	SrcMsgID string // ServerId of the item
	SrcFldID string // its folder
	DstFldID string // the destination folder
}

// MoveResult is the answer for one Move. Status 3 is success; the item
// then has the new ServerId DstMsgID (MS-ASCMD 2.2.3.177.9: 1 invalid
// source, 2 invalid destination, 4 same folder, 5 failure, 7 locked).
type MoveResult struct {
	SrcMsgID string
	DstMsgID string
	Status   int
}

// OK reports whether the move succeeded.
func (r MoveResult) OK() bool { return r.Status == 3 }

// MoveItems moves items between folders. A per-item failure is in its
// MoveResult, not in the error.
func (c *Client) MoveItems(ctx context.Context, moves []Move) ([]MoveResult, error) {
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.MoveMoveItems)
		for _, m := range moves {
			e.Start(wbxml.MoveMove)
			e.Element(wbxml.MoveSrcMsgId, m.SrcMsgID)
			e.Element(wbxml.MoveSrcFldId, m.SrcFldID)
			e.Element(wbxml.MoveDstFldId, m.DstFldID)
			e.End()
		}
		e.End()
	})
	if err != nil {
		return nil, err
	}
	var out []MoveResult
	err = c.roundTrip(ctx, &request{cmd: "MoveItems", body: body}, wbxml.MoveMoveItems, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		return d.Each(func(t wbxml.Tag) error {
			if t == wbxml.MoveStatus { // a top-level status: the request failed
				st, err := readInt(d)
				if err != nil {
					return err
				}
				return commandStatusError("MoveItems", st)
			}
			if t != wbxml.MoveResponse {
				return d.Skip()
			}
			var r MoveResult
			err := d.Each(func(t wbxml.Tag) error {
				var err error
				switch t {
				case wbxml.MoveSrcMsgId:
					r.SrcMsgID, err = d.Text()
				case wbxml.MoveDstMsgId:
					r.DstMsgID, err = d.Text()
				case wbxml.MoveStatus:
					r.Status, err = readInt(d)
				default:
					err = d.Skip()
				}
				return err
			})
			if err != nil {
				return err
			}
			if r.Status > 100 {
				return commandStatusError("MoveItems", r.Status)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}
