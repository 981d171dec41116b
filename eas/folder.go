package eas

import (
	"context"
	"strconv"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// FolderType is the type of a folder (MS-ASCMD 2.2.3.186.3).
type FolderType int

// Folder types.
const (
	FolderGeneric        FolderType = 1
	FolderInbox          FolderType = 2
	FolderDrafts         FolderType = 3
	FolderDeleted        FolderType = 4
	FolderSent           FolderType = 5
	FolderOutbox         FolderType = 6
	FolderTasks          FolderType = 7
	FolderCalendar       FolderType = 8
	FolderContacts       FolderType = 9
	FolderNotes          FolderType = 10
	FolderJournal        FolderType = 11
	FolderUserMail       FolderType = 12
	FolderUserCalendar   FolderType = 13
	FolderUserContacts   FolderType = 14
	FolderUserTasks      FolderType = 15
	FolderUserJournal    FolderType = 16
	FolderUserNotes      FolderType = 17
	FolderUnknown        FolderType = 18
	FolderRecipientCache FolderType = 19
)

// Class returns the item class a folder of this type holds, or "" for
// folders that hold no syncable items.
func (t FolderType) Class() Class {
	switch t {
	case FolderInbox, FolderDrafts, FolderDeleted, FolderSent, FolderOutbox, FolderUserMail:
		return ClassEmail
	case FolderTasks, FolderUserTasks:
		return ClassTasks
	case FolderCalendar, FolderUserCalendar:
		return ClassCalendar
	case FolderContacts, FolderUserContacts:
		return ClassContacts
	case FolderNotes, FolderUserNotes:
		return ClassNotes
	}
	return ""
}

// Folder is one folder of the hierarchy.
type Folder struct {
	ServerID    string // opaque; send it back exactly as received
	ParentID    string // "0" at the top level
	DisplayName string
	Type        FolderType
}

// FolderChanges is the answer to FolderSync: the new key and the changes
// since the key sent. With key "0" every folder is an Add.
type FolderChanges struct {
	SyncKey string
	Added   []Folder
	Updated []Folder
	Deleted []string // ServerIds
}

// FolderSync fetches the folder hierarchy changes since syncKey ("0" for
// all folders; MS-ASCMD 2.2.1.5). Status 9 is ErrInvalidSyncKey: start
// again from "0".
func (c *Client) FolderSync(ctx context.Context, syncKey string) (*FolderChanges, error) {
	if syncKey == "" {
		syncKey = "0"
	}
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.FolderHierarchyFolderSync)
		e.Element(wbxml.FolderHierarchySyncKey, syncKey)
		e.End()
	})
	if err != nil {
		return nil, err
	}
	fc := &FolderChanges{}
	err = c.roundTrip(ctx, &request{cmd: "FolderSync", body: body}, wbxml.FolderHierarchyFolderSync, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		return decodeFolderSync(d, fc)
	})
	if err != nil {
		return nil, err
	}
	return fc, nil
}

func decodeFolderSync(d *wbxml.Decoder, fc *FolderChanges) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.FolderHierarchyStatus:
			err = readStatus(d, func(st int) error { return folderStatusError("FolderSync", st) })
		case wbxml.FolderHierarchySyncKey:
			fc.SyncKey, err = d.Text()
		case wbxml.FolderHierarchyChanges:
			err = decodeFolderChanges(d, fc)
		default:
			err = d.Skip()
		}
		return err
	})
}

func decodeFolderChanges(d *wbxml.Decoder, fc *FolderChanges) error {
	return d.Each(func(t wbxml.Tag) error {
		switch t {
		case wbxml.FolderHierarchyAdd, wbxml.FolderHierarchyUpdate:
			var f Folder
			if err := decodeFolder(d, &f); err != nil {
				return err
			}
			if t == wbxml.FolderHierarchyAdd {
				fc.Added = append(fc.Added, f)
			} else {
				fc.Updated = append(fc.Updated, f)
			}
		case wbxml.FolderHierarchyDelete:
			var f Folder
			if err := decodeFolder(d, &f); err != nil {
				return err
			}
			fc.Deleted = append(fc.Deleted, f.ServerID)
		default:
			return d.Skip()
		}
		return nil
	})
}

func decodeFolder(d *wbxml.Decoder, f *Folder) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.FolderHierarchyServerId:
			f.ServerID, err = d.Text()
		case wbxml.FolderHierarchyParentId:
			f.ParentID, err = d.Text()
		case wbxml.FolderHierarchyDisplayName:
			f.DisplayName, err = d.Text()
		case wbxml.FolderHierarchyType:
			var n int
			n, err = readInt(d)
			f.Type = FolderType(n)
		default:
			err = d.Skip()
		}
		return err
	})
}

// folderStatusError maps the FolderSync/Create/Update/Delete statuses of
// MS-ASCMD 2.2.3.177.3-6: 9 is a bad SyncKey, the rest are failures.
func folderStatusError(cmd string, st int) error {
	switch st {
	case 9:
		return &StatusError{Command: cmd, Status: st, Err: ErrInvalidSyncKey}
	case 2:
		return &StatusError{Command: cmd, Status: st, Err: errFolderExists}
	case 3:
		return &StatusError{Command: cmd, Status: st, Err: errSpecialFolder}
	case 4:
		return &StatusError{Command: cmd, Status: st, Err: errFolderNotFound}
	case 5:
		return &StatusError{Command: cmd, Status: st, Err: errParentNotFound}
	}
	return commandStatusError(cmd, st)
}

var (
	errFolderExists   = &sentinel{"eas: a folder of that name already exists"}
	errSpecialFolder  = &sentinel{"eas: special folders cannot be changed"}
	errFolderNotFound = &sentinel{"eas: the folder does not exist"}
	errParentNotFound = &sentinel{"eas: the parent folder does not exist"}
)

type sentinel struct{ s string }

func (e *sentinel) Error() string { return e.s }

// FolderCreate creates a folder under parentID ("0" for the top level)
// and returns its ServerId and the new hierarchy SyncKey (MS-ASCMD
// 2.2.1.2).
func (c *Client) FolderCreate(ctx context.Context, syncKey, parentID, name string, typ FolderType) (serverID, newKey string, err error) {
	if parentID == "" {
		parentID = "0"
	}
	err = c.folderCommand(ctx, "FolderCreate", wbxml.FolderHierarchyFolderCreate, func(e *wbxml.Encoder) {
		e.Element(wbxml.FolderHierarchySyncKey, syncKey)
		e.Element(wbxml.FolderHierarchyParentId, parentID)
		e.Element(wbxml.FolderHierarchyDisplayName, name)
		e.Element(wbxml.FolderHierarchyType, strconv.Itoa(int(typ)))
	}, &newKey, &serverID)
	return serverID, newKey, err
}

// FolderUpdate renames or moves a folder and returns the new hierarchy
// SyncKey (MS-ASCMD 2.2.1.4).
func (c *Client) FolderUpdate(ctx context.Context, syncKey, serverID, parentID, name string) (string, error) {
	if parentID == "" {
		parentID = "0"
	}
	var newKey string
	err := c.folderCommand(ctx, "FolderUpdate", wbxml.FolderHierarchyFolderUpdate, func(e *wbxml.Encoder) {
		e.Element(wbxml.FolderHierarchySyncKey, syncKey)
		e.Element(wbxml.FolderHierarchyServerId, serverID)
		e.Element(wbxml.FolderHierarchyParentId, parentID)
		e.Element(wbxml.FolderHierarchyDisplayName, name)
	}, &newKey, nil)
	return newKey, err
}

// FolderDelete deletes a folder and returns the new hierarchy SyncKey
// (MS-ASCMD 2.2.1.3).
func (c *Client) FolderDelete(ctx context.Context, syncKey, serverID string) (string, error) {
	var newKey string
	err := c.folderCommand(ctx, "FolderDelete", wbxml.FolderHierarchyFolderDelete, func(e *wbxml.Encoder) {
		e.Element(wbxml.FolderHierarchySyncKey, syncKey)
		e.Element(wbxml.FolderHierarchyServerId, serverID)
	}, &newKey, nil)
	return newKey, err
}

func (c *Client) folderCommand(ctx context.Context, cmd string, root wbxml.Tag, build func(e *wbxml.Encoder), newKey, serverID *string) error {
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(root)
		build(e)
		e.End()
	})
	if err != nil {
		return err
	}
	return c.roundTrip(ctx, &request{cmd: cmd, body: body}, root, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		return d.Each(func(t wbxml.Tag) error {
			var err error
			switch t {
			case wbxml.FolderHierarchyStatus:
				err = readStatus(d, func(st int) error { return folderStatusError(cmd, st) })
			case wbxml.FolderHierarchySyncKey:
				*newKey, err = d.Text()
			case wbxml.FolderHierarchyServerId:
				var s string
				s, err = d.Text()
				if serverID != nil {
					*serverID = s
				}
			default:
				err = d.Skip()
			}
			return err
		})
	})
}
