package eas

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// MaxWindowSize is the largest WindowSize of MS-ASCMD 2.2.3.199.
const MaxWindowSize = 512

// SyncRequest is one Sync command over one or more collections (MS-ASCMD
// 2.2.1.21).
type SyncRequest struct {
	Collections []SyncCollection
	// WindowSize bounds the changes of the whole response (0 = server
	// default); each collection has its own too.
	WindowSize int
	// HeartbeatInterval makes the Sync wait for changes (long poll):
	// HeartbeatInterval for 14.0 and later, Wait (whole minutes) for 12.1.
	HeartbeatInterval time.Duration
}

// SyncCollection asks for one collection's changes and carries the
// client's own changes to it.
type SyncCollection struct {
	CollectionID string
	SyncKey      string // "0" for the first Sync of a collection
	// Class is the class of items in the collection, needed to decode
	// them (FolderType.Class). Sent in the request for 12.1.
	Class Class
	// GetChanges asks for the server's changes; ignored with SyncKey "0".
	GetChanges     bool
	WindowSize     int // 1..512; 0 = server default
	DeletesAsMoves *bool
	Options        *SyncOptions

	Adds    []ClientAdd
	Changes []ClientChange
	Deletes []string // ServerIds
	Fetches []string // ServerIds
}

// SyncOptions are the Options of a collection (MS-ASCMD 2.2.3.125).
type SyncOptions struct {
	FilterType      FilterType
	BodyPreferences []BodyPreference
	Conflict        *int // 0 client wins, 1 server wins (MS-ASCMD 2.2.3.34)
	MIMESupport     int  // 0 never, 1 S/MIME only, 2 always (needed for BodyPreference 4)
	MIMETruncation  *int // 0..8, MS-ASCMD 2.2.3.109
	MaxItems        int
}

// FilterType limits how far back a collection is synced (MS-ASCMD
// 2.2.3.73): 0 all, 1 one day ... 5 one month, 6 three months, 7 six
// months, 8 incomplete tasks.
type FilterType int

// BodyPreference asks for a body type (MS-ASAIRS 2.2.2.7): 1 plain text,
// 2 HTML, 3 RTF, 4 MIME.
type BodyPreference struct {
	Type           int
	TruncationSize int // bytes; 0 = not sent
	AllOrNone      bool
	Preview        int // 14.0+: characters of preview, 0 = none
}

// ClientAdd is an item the client creates. ClientID is the caller's own
// id, unique per device; the response maps it to the ServerId. Persist it
// before sending, so that a retry cannot create the item twice.
type ClientAdd struct {
	ClientID string
	Item     Item
}

// ClientChange replaces the fields of an existing item.
type ClientChange struct {
	ServerID string
	Item     Item
}

// ChangeKind says what a server change does.
type ChangeKind int

// The kinds of changes the server reports.
const (
	ChangeAdd        ChangeKind = iota + 1 // a new item; upsert by ServerId
	ChangeModify                           // changed fields of an item
	ChangeDelete                           // the item is gone
	ChangeSoftDelete                       // out of the filter window, still on the server
	ChangeFetch                            // answer to a client Fetch
)

func (k ChangeKind) String() string {
	switch k {
	case ChangeAdd:
		return "Add"
	case ChangeModify:
		return "Change"
	case ChangeDelete:
		return "Delete"
	case ChangeSoftDelete:
		return "SoftDelete"
	case ChangeFetch:
		return "Fetch"
	}
	return "ChangeKind(" + strconv.Itoa(int(k)) + ")"
}

// ServerChange is one item of a Sync response, handed to the caller as
// soon as it is decoded. The item's spooled bodies are released when the
// handler returns: copy out what must outlive it. A server may send an Add for an item the client
// already has (SOGo does after a stale SyncKey): treat Adds as upserts.
type ServerChange struct {
	CollectionID string
	Kind         ChangeKind
	ServerID     string
	Item         Item // nil for deletes, and for classes the client cannot decode
	Status       int  // for Fetch: 1 success, 8 not found
	// Err reports a malformed field of an item that was still decoded
	// (a *FieldError); the field is left zero.
	Err error
}

// SyncResult is the outcome of a Sync, one entry per collection sent.
type SyncResult struct {
	Collections []CollectionResult
}

// Collection returns the result for id, or nil.
func (r *SyncResult) Collection(id string) *CollectionResult {
	for i := range r.Collections {
		if r.Collections[i].CollectionID == id {
			return &r.Collections[i]
		}
	}
	return nil
}

// CollectionResult is one collection's answer. SyncKey is the key to send
// next time (the same key when NoChanges). Err is set when the collection
// failed (ErrInvalidSyncKey, ErrHierarchyChanged, ...); its changes then
// must not be applied.
type CollectionResult struct {
	CollectionID  string
	Class         Class
	SyncKey       string
	Status        int
	Err           error
	MoreAvailable bool
	// NoChanges: the server sent nothing for the collection (an empty
	// response body, or the collection left out of the response).
	NoChanges bool
	Adds      []AddResult  // answers to ClientAdds
	Changes   []ItemStatus // answers to ClientChanges that failed
	Deletes   []ItemStatus
	Fetches   []ItemStatus
}

// AddResult maps a ClientId to the ServerId the server gave the item.
type AddResult struct {
	ClientID string
	ServerID string
	Status   int // 1 success
}

// ItemStatus is the status of one item the client sent.
type ItemStatus struct {
	ServerID string
	Status   int // 1 success, 6 error in client/server conversion, 7 conflict, 8 not found
}

// Sync sends req and streams the server's changes to fn, item by item, as
// they are decoded from the HTTP body; the response is never held whole.
// fn returning an error aborts the Sync with that error: the caller then
// keeps its old SyncKey and repeats the request.
//
// The returned error is non-nil when the whole command failed (ErrThrottled,
// ErrHierarchyChanged...) or when any collection failed; in the latter
// case the result is returned too, with Err set on the failed collections.
// An empty response body means "no changes" (MS-ASCMD 2.2.1.21.1.2).
func (c *Client) Sync(ctx context.Context, req *SyncRequest, fn func(ServerChange) error) (*SyncResult, error) {
	if len(req.Collections) == 0 {
		return nil, fmt.Errorf("eas: Sync without collections")
	}
	if fn == nil {
		fn = func(ServerChange) error { return nil }
	}
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	body, err := encodeSync(req, v)
	if err != nil {
		return nil, err
	}
	var res *SyncResult
	err = c.roundTrip(ctx, &request{cmd: "Sync", body: body}, wbxml.AirSyncSync, func(d *wbxml.Decoder) error {
		res = &SyncResult{}
		if d == nil {
			return nil
		}
		return decodeSync(d, req, v, res, fn)
	})
	if err != nil {
		return nil, err
	}
	completeResult(req, res)
	var failed []error
	for _, cr := range res.Collections {
		if cr.Err != nil {
			failed = append(failed, fmt.Errorf("collection %s: %w", cr.CollectionID, cr.Err))
		}
	}
	if len(failed) == 1 {
		return res, failed[0]
	}
	if len(failed) > 1 {
		return res, fmt.Errorf("eas: Sync failed for %d collections: %w", len(failed), joinErrors(failed))
	}
	return res, nil
}

// completeResult adds the collections the server left out: no changes,
// same key.
func completeResult(req *SyncRequest, res *SyncResult) {
	for _, sc := range req.Collections {
		if res.Collection(sc.CollectionID) != nil {
			continue
		}
		res.Collections = append(res.Collections, CollectionResult{
			CollectionID: sc.CollectionID, Class: sc.Class, SyncKey: sc.SyncKey, Status: 1, NoChanges: true,
		})
	}
}

func encodeSync(req *SyncRequest, v Version) ([]byte, error) {
	var itemErr error
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.AirSyncSync)
		e.Start(wbxml.AirSyncCollections)
		for i := range req.Collections {
			if err := encodeCollection(e, &req.Collections[i], v); err != nil && itemErr == nil {
				itemErr = err
			}
		}
		e.End()
		if req.HeartbeatInterval > 0 {
			if v >= V140 {
				e.Element(wbxml.AirSyncHeartbeatInterval, strconv.Itoa(int(req.HeartbeatInterval/time.Second)))
			} else {
				e.Element(wbxml.AirSyncWait, strconv.Itoa(max(1, int(req.HeartbeatInterval/time.Minute))))
			}
		}
		if req.WindowSize > 0 {
			e.Element(wbxml.AirSyncWindowSize, strconv.Itoa(min(req.WindowSize, MaxWindowSize)))
		}
		e.End()
	})
	if itemErr != nil {
		return nil, itemErr
	}
	return body, err
}

func encodeCollection(e *wbxml.Encoder, sc *SyncCollection, v Version) error {
	e.Start(wbxml.AirSyncCollection)
	if v < V140 && sc.Class != "" {
		e.Element(wbxml.AirSyncClass, string(sc.Class))
	}
	key := sc.SyncKey
	if key == "" {
		key = "0"
	}
	e.Element(wbxml.AirSyncSyncKey, key)
	e.Element(wbxml.AirSyncCollectionId, sc.CollectionID)
	if sc.DeletesAsMoves != nil {
		e.Element(wbxml.AirSyncDeletesAsMoves, boolDigit(*sc.DeletesAsMoves))
	}
	if key != "0" {
		switch {
		case v >= V140:
			e.Element(wbxml.AirSyncGetChanges, boolDigit(sc.GetChanges))
		case sc.GetChanges:
			e.Empty(wbxml.AirSyncGetChanges)
		}
	}
	if sc.WindowSize > 0 {
		e.Element(wbxml.AirSyncWindowSize, strconv.Itoa(min(sc.WindowSize, MaxWindowSize)))
	}
	if sc.Options != nil {
		encodeOptions(e, sc.Options, v)
	}
	var err error
	if key != "0" && len(sc.Adds)+len(sc.Changes)+len(sc.Deletes)+len(sc.Fetches) > 0 {
		err = encodeCommands(e, sc, v)
	}
	e.End()
	return err
}

func encodeOptions(e *wbxml.Encoder, o *SyncOptions, v Version) {
	e.Start(wbxml.AirSyncOptions)
	e.Element(wbxml.AirSyncFilterType, strconv.Itoa(int(o.FilterType)))
	for _, bp := range o.BodyPreferences {
		encodeBodyPreference(e, bp, v)
	}
	if o.Conflict != nil {
		e.Element(wbxml.AirSyncConflict, strconv.Itoa(*o.Conflict))
	}
	if o.MIMESupport > 0 {
		e.Element(wbxml.AirSyncMIMESupport, strconv.Itoa(o.MIMESupport))
	}
	if o.MIMETruncation != nil {
		e.Element(wbxml.AirSyncMIMETruncation, strconv.Itoa(*o.MIMETruncation))
	}
	if o.MaxItems > 0 {
		e.Element(wbxml.AirSyncMaxItems, strconv.Itoa(o.MaxItems))
	}
	e.End()
}

func encodeBodyPreference(e *wbxml.Encoder, bp BodyPreference, v Version) {
	e.Start(wbxml.AirSyncBaseBodyPreference)
	e.Element(wbxml.AirSyncBaseType, strconv.Itoa(bp.Type))
	if bp.TruncationSize > 0 {
		e.Element(wbxml.AirSyncBaseTruncationSize, strconv.Itoa(bp.TruncationSize))
	}
	if bp.AllOrNone {
		e.Element(wbxml.AirSyncBaseAllOrNone, "1")
	}
	if bp.Preview > 0 && v >= V140 {
		e.Element(wbxml.AirSyncBasePreview, strconv.Itoa(bp.Preview))
	}
	e.End()
}

func encodeCommands(e *wbxml.Encoder, sc *SyncCollection, v Version) error {
	e.Start(wbxml.AirSyncCommands)
	defer e.End()
	for _, a := range sc.Adds {
		e.Start(wbxml.AirSyncAdd)
		e.Element(wbxml.AirSyncClientId, a.ClientID)
		e.Start(wbxml.AirSyncApplicationData)
		if err := EncodeItem(e, a.Item, v); err != nil {
			return fmt.Errorf("eas: encoding item %s: %w", a.ClientID, err)
		}
		e.End()
		e.End()
	}
	for _, ch := range sc.Changes {
		e.Start(wbxml.AirSyncChange)
		e.Element(wbxml.AirSyncServerId, ch.ServerID)
		e.Start(wbxml.AirSyncApplicationData)
		if err := EncodeItem(e, ch.Item, v); err != nil {
			return fmt.Errorf("eas: encoding item %s: %w", ch.ServerID, err)
		}
		e.End()
		e.End()
	}
	for _, id := range sc.Deletes {
		e.Start(wbxml.AirSyncDelete)
		e.Element(wbxml.AirSyncServerId, id)
		e.End()
	}
	for _, id := range sc.Fetches {
		e.Start(wbxml.AirSyncFetch)
		e.Element(wbxml.AirSyncServerId, id)
		e.End()
	}
	return nil
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
