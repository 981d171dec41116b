package eas

import (
	"errors"
	"fmt"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// decodeSync reads a Sync response from d (positioned after the Sync
// start tag), streaming the changes to fn.
func decodeSync(d *wbxml.Decoder, req *SyncRequest, v Version, res *SyncResult, fn func(ServerChange) error) error {
	return d.Each(func(t wbxml.Tag) error {
		switch t {
		case wbxml.AirSyncStatus:
			return readStatus(d, syncStatusError)
		case wbxml.AirSyncCollections:
			return d.Each(func(t wbxml.Tag) error {
				if t != wbxml.AirSyncCollection {
					return d.Skip()
				}
				cr := CollectionResult{}
				if err := decodeSyncCollection(d, req, v, &cr, fn); err != nil {
					return err
				}
				res.Collections = append(res.Collections, cr)
				return nil
			})
		}
		return d.Skip()
	})
}

// syncStatusError maps a Sync status (MS-ASCMD 2.2.3.177.17).
func syncStatusError(st int) error {
	switch st {
	case 3:
		return &StatusError{Command: "Sync", Status: st, Err: ErrInvalidSyncKey}
	case 12:
		return &StatusError{Command: "Sync", Status: st, Err: ErrHierarchyChanged}
	case 16:
		return &ThrottledError{Command: "Sync", Status: st, Reason: "server asked to retry", Err: ErrUnavailable}
	case 4, 5, 6, 7, 8, 9, 13, 14, 15:
		return &StatusError{Command: "Sync", Status: st, Err: syncStatusText(st)}
	}
	return commandStatusError("Sync", st)
}

func syncStatusText(st int) error {
	switch st {
	case 4:
		return errors.New("eas: the server rejected the Sync request as malformed")
	case 5:
		return errors.New("eas: server error during Sync")
	case 6:
		return errors.New("eas: the server could not convert an item")
	case 7:
		return errors.New("eas: conflict between client and server")
	case 8:
		return errors.New("eas: the item was not found")
	case 9:
		return errors.New("eas: the Sync cannot be completed, retry later")
	case 13:
		return errors.New("eas: the server has no cached Sync request, send a full one")
	case 14:
		return errors.New("eas: the Sync heartbeat interval is out of the server's bounds")
	case 15:
		return errors.New("eas: too many collections in one Sync")
	}
	return nil
}

func decodeSyncCollection(d *wbxml.Decoder, req *SyncRequest, v Version, cr *CollectionResult, fn func(ServerChange) error) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.AirSyncClass:
			var s string
			s, err = d.Text()
			cr.Class = Class(s)
		case wbxml.AirSyncSyncKey:
			cr.SyncKey, err = d.Text()
		case wbxml.AirSyncCollectionId:
			cr.CollectionID, err = d.Text()
		case wbxml.AirSyncStatus:
			cr.Status, err = readInt(d)
			if err == nil && cr.Status != 1 {
				cr.Err = syncStatusError(cr.Status)
			}
		case wbxml.AirSyncMoreAvailable:
			cr.MoreAvailable = true
			err = d.Skip()
		case wbxml.AirSyncCommands:
			err = decodeSyncCommands(d, req, v, cr, fn)
		case wbxml.AirSyncResponses:
			err = decodeSyncResponses(d, req, v, cr, fn)
		default:
			err = d.Skip()
		}
		return err
	})
}

// collectionClass finds the class to decode a collection's items with:
// the Class element of the response if it came first, else the request.
func collectionClass(req *SyncRequest, cr *CollectionResult) Class {
	if cr.Class != "" {
		return cr.Class
	}
	for _, sc := range req.Collections {
		if sc.CollectionID == cr.CollectionID || (cr.CollectionID == "" && len(req.Collections) == 1) {
			cr.Class = sc.Class
			return sc.Class
		}
	}
	return ""
}

func decodeSyncCommands(d *wbxml.Decoder, req *SyncRequest, v Version, cr *CollectionResult, fn func(ServerChange) error) error {
	if cr.Err != nil {
		// A failed collection's commands are not to be applied.
		return d.Skip()
	}
	return d.Each(func(t wbxml.Tag) error {
		var kind ChangeKind
		switch t {
		case wbxml.AirSyncAdd:
			kind = ChangeAdd
		case wbxml.AirSyncChange:
			kind = ChangeModify
		case wbxml.AirSyncDelete:
			kind = ChangeDelete
		case wbxml.AirSyncSoftDelete:
			kind = ChangeSoftDelete
		default:
			return d.Skip()
		}
		ch, _, err := decodeSyncItem(d, collectionClass(req, cr), v)
		if err != nil {
			return err
		}
		ch.CollectionID, ch.Kind = cr.CollectionID, kind
		return deliver(fn, ch)
	})
}

// decodeSyncItem reads the children of an Add, Change, Delete or Fetch:
// ServerId, ClientId, Status and ApplicationData.
func decodeSyncItem(d *wbxml.Decoder, class Class, v Version) (ServerChange, string, error) {
	var ch ServerChange
	var clientID string
	err := d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.AirSyncServerId:
			ch.ServerID, err = d.Text()
		case wbxml.AirSyncClientId:
			clientID, err = d.Text()
		case wbxml.AirSyncStatus:
			ch.Status, err = readInt(d)
		case wbxml.AirSyncApplicationData:
			if class == "" || class == ClassSMS {
				err = d.Skip()
				break
			}
			ch.Item, err = DecodeItem(d, class, v)
			var fe *FieldError
			if errors.As(err, &fe) {
				// One malformed field: the item is still delivered, with
				// the field left zero and the error beside it.
				ch.Err, err = fmt.Errorf("item %s: %w", ch.ServerID, err), nil
			} else if err != nil {
				err = fmt.Errorf("item %s: %w", ch.ServerID, err)
			}
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return ch, "", err
	}
	return ch, clientID, nil
}

func decodeSyncResponses(d *wbxml.Decoder, req *SyncRequest, v Version, cr *CollectionResult, fn func(ServerChange) error) error {
	return d.Each(func(t wbxml.Tag) error {
		ch, clientID, err := decodeSyncItem(d, collectionClass(req, cr), v)
		if err != nil {
			return err
		}
		st := ch.Status
		if st == 0 {
			st = 1
		}
		switch t {
		case wbxml.AirSyncAdd:
			cr.Adds = append(cr.Adds, AddResult{ClientID: clientID, ServerID: ch.ServerID, Status: st})
		case wbxml.AirSyncChange:
			cr.Changes = append(cr.Changes, ItemStatus{ServerID: ch.ServerID, Status: st})
		case wbxml.AirSyncDelete:
			cr.Deletes = append(cr.Deletes, ItemStatus{ServerID: ch.ServerID, Status: st})
		case wbxml.AirSyncFetch:
			cr.Fetches = append(cr.Fetches, ItemStatus{ServerID: ch.ServerID, Status: st})
			if ch.Item != nil || st == 1 {
				ch.CollectionID, ch.Kind, ch.Status = cr.CollectionID, ChangeFetch, st
				return deliver(fn, ch)
			}
		}
		return nil
	})
}

// deliver hands one change to the caller and then releases the item's
// spooled bodies: a handler that keeps body data copies it out first.
func deliver(fn func(ServerChange) error, ch ServerChange) error {
	defer ReleaseItem(ch.Item)
	return fn(ch)
}

func joinErrors(errs []error) error { return errors.Join(errs...) }
