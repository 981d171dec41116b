package bridge

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/maildir"
)

// Status is what `easbridge status` shows of one account. It is read from
// the store, so another process (the running daemon) may own the engine.
type Status struct {
	Account     string         `json:"account"`
	LastPush    *time.Time     `json:"last_push,omitempty"`
	LastError   string         `json:"last_error,omitempty"`
	Folders     []FolderStatus `json:"folders"`
	Conflicts   []Problem      `json:"conflicts"`
	Quarantined []Problem      `json:"quarantined"`
}

// FolderStatus is one collection's state.
type FolderStatus struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	DisplayName string     `json:"display_name"`
	ServerID    string     `json:"server_id,omitempty"`
	Items       int        `json:"items"`
	SyncKey     string     `json:"sync_key"`
	SyncedAt    *time.Time `json:"synced_at,omitempty"`
	Pending     int        `json:"pending_outbox"`
	// Estimate is the server's item count at the start of the initial
	// sync (GetItemEstimate), 0 when unknown.
	Estimate  int    `json:"initial_estimate,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// Progress is the initial sync's progress (estimated vs done), nil
	// before one started.
	Progress *FolderProgress `json:"initial_sync,omitempty"`
}

// Problem is a conflict or a quarantined item.
type Problem struct {
	Collection string    `json:"collection"`
	Item       string    `json:"item"`
	Winner     string    `json:"winner,omitempty"`
	Reason     string    `json:"reason"`
	When       time.Time `json:"when,omitzero"`
}

// ReadStatus collects the status of the account whose state st holds;
// md, when not nil, is its Maildir, whose folders are counted.
func ReadStatus(ctx context.Context, account string, st *store.Store, md *maildir.Store) (*Status, error) {
	s := &Status{Account: account, Folders: []FolderStatus{}, Conflicts: []Problem{}, Quarantined: []Problem{}}
	var err error
	if s.LastError, err = st.Meta(ctx, metaLastError); err != nil {
		return nil, err
	}
	s.LastPush = metaTime(ctx, st, metaLastPush)
	colls, err := st.Collections(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range colls {
		f := FolderStatus{Name: c.Name, Kind: string(c.Kind), DisplayName: c.DisplayName, ServerID: c.ServerID, SyncKey: c.SyncKey}
		if c.Kind != store.KindMail {
			objs, err := st.Objects(ctx, c.Name)
			if err != nil {
				return nil, err
			}
			f.Items = len(objs)
		} else if md != nil {
			if folder, err := mailFolderOf(ctx, st, c); err == nil {
				list, _ := md.List(ctx, folder)
				f.Items = len(list)
			}
		}
		if f.Pending, err = st.PendingCount(ctx, c.ID); err != nil {
			return nil, err
		}
		f.SyncedAt = metaTime(ctx, st, metaSyncedAt+c.Name)
		f.LastError, _ = st.Meta(ctx, metaCollError+c.Name)
		if v, _ := st.Meta(ctx, metaEstimate+c.Name); v != "" {
			f.Estimate, _ = strconv.Atoi(v)
		}
		f.Progress = readProgress(ctx, st, c.Name)
		s.Folders = append(s.Folders, f)
	}
	conflicts, err := st.Conflicts(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range conflicts {
		item := c.LocalID
		if item == "" {
			item = c.ServerID
		}
		p := Problem{Collection: c.Collection, Item: item, Winner: c.Winner, Reason: c.Reason, When: c.Created}
		if strings.HasPrefix(c.Reason, quarantinePrefix) {
			p.Winner = ""
			p.Reason = strings.TrimPrefix(c.Reason, quarantinePrefix) + " (server item)"
			s.Quarantined = append(s.Quarantined, p)
			continue
		}
		s.Conflicts = append(s.Conflicts, p)
	}
	qs, err := st.Quarantined(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		s.Quarantined = append(s.Quarantined, Problem{Collection: q.Collection, Item: q.LocalID, Reason: q.Reason + " (local " + string(q.Op) + ")"})
	}
	return s, nil
}

func metaTime(ctx context.Context, st *store.Store, key string) *time.Time {
	v, err := st.Meta(ctx, key)
	if err != nil || v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil
	}
	return &t
}
