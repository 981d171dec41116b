package eas

import (
	"context"
	"strconv"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// EstimateRequest asks how many changes a Sync of one collection would
// bring. SyncKey must be a key the server handed out (not "0").
type EstimateRequest struct {
	CollectionID string
	SyncKey      string
	Class        Class // sent for 12.1
	FilterType   FilterType
}

// Estimate is the answer for one collection (MS-ASCMD 2.2.3.177.7: 1
// success, 2 invalid collection, 3 sync state not primed, 4 invalid
// SyncKey).
type Estimate struct {
	CollectionID string
	Status       int
	Count        int
}

// GetItemEstimate asks for the number of pending changes of collections
// (MS-ASCMD 2.2.1.9).
func (c *Client) GetItemEstimate(ctx context.Context, reqs []EstimateRequest) ([]Estimate, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.GetItemEstimateGetItemEstimate)
		e.Start(wbxml.GetItemEstimateCollections)
		for _, r := range reqs {
			e.Start(wbxml.GetItemEstimateCollection)
			if v < V140 {
				// 12.1: Class, CollectionId, FilterType, SyncKey.
				e.Element(wbxml.GetItemEstimateClass, string(r.Class))
				e.Element(wbxml.GetItemEstimateCollectionId, r.CollectionID)
				e.Element(wbxml.AirSyncFilterType, strconv.Itoa(int(r.FilterType)))
				e.Element(wbxml.AirSyncSyncKey, r.SyncKey)
			} else {
				e.Element(wbxml.AirSyncSyncKey, r.SyncKey)
				e.Element(wbxml.GetItemEstimateCollectionId, r.CollectionID)
				e.Start(wbxml.AirSyncOptions)
				e.Element(wbxml.AirSyncFilterType, strconv.Itoa(int(r.FilterType)))
				e.End()
			}
			e.End()
		}
		e.End()
		e.End()
	})
	if err != nil {
		return nil, err
	}
	var out []Estimate
	err = c.roundTrip(ctx, &request{cmd: "GetItemEstimate", body: body}, wbxml.GetItemEstimateGetItemEstimate, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		return d.Each(func(t wbxml.Tag) error {
			switch t {
			case wbxml.GetItemEstimateStatus:
				return readStatus(d, func(st int) error { return commandStatusError("GetItemEstimate", st) })
			case wbxml.GetItemEstimateResponse:
				est, err := decodeEstimate(d)
				if err != nil {
					return err
				}
				if est.Status > 100 {
					return commandStatusError("GetItemEstimate", est.Status)
				}
				out = append(out, est)
				return nil
			}
			return d.Skip()
		})
	})
	return out, err
}

func decodeEstimate(d *wbxml.Decoder) (Estimate, error) {
	var est Estimate
	err := d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.GetItemEstimateStatus:
			est.Status, err = readInt(d)
		case wbxml.GetItemEstimateCollection:
			err = d.Each(func(t wbxml.Tag) error {
				var err error
				switch t {
				case wbxml.GetItemEstimateCollectionId:
					est.CollectionID, err = d.Text()
				case wbxml.GetItemEstimateEstimate:
					est.Count, err = readInt(d)
				default:
					err = d.Skip()
				}
				return err
			})
		default:
			err = d.Skip()
		}
		return err
	})
	return est, err
}
