package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FolderChange is a collection created, renamed or deleted on the
// desktop that the engine has to carry to the server (FolderCreate,
// FolderUpdate, FolderDelete: MS-ASCMD 2.2.1.3, 2.2.1.7, 2.2.1.4).
type FolderChange struct {
	// ID identifies the change for CompleteFolderChange.
	ID int64
	// Op is "create", "update" or "delete".
	Op string
	// Collection is the collection's current state (for a delete only
	// Name and ServerID are set).
	Collection Collection
	Created    time.Time
}

// FolderChanges lists the folder changes waiting for the server, oldest
// first.
func (s *Store) FolderChanges(ctx context.Context) ([]FolderChange, error) {
	var out []FolderChange
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.op, o.created, c.name FROM outbox o
			JOIN collection c ON c.id = o.collection_id
			WHERE o.op IN ('folder-create', 'folder-update') AND o.failure = '' ORDER BY o.id`)
		if err != nil {
			return err
		}
		type row struct {
			id      int64
			op      Op
			created int64
			name    string
		}
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.op, &r.created, &r.name); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range rs {
			c, err := getCollection(ctx, tx, "name = ?", r.name)
			if err != nil {
				return err
			}
			op := "create"
			if r.op == opFolderUpdate {
				op = "update"
			}
			out = append(out, FolderChange{ID: r.id, Op: op, Collection: c, Created: time.Unix(0, r.created)})
		}
		rows, err = tx.QueryContext(ctx, `SELECT id, server_id, name, created FROM folder_delete ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var fc FolderChange
			var created int64
			if err := rows.Scan(&fc.ID, &fc.Collection.ServerID, &fc.Collection.Name, &created); err != nil {
				return err
			}
			fc.Op, fc.Created = "delete", time.Unix(0, created)
			out = append(out, fc)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing folder changes: %w", err)
	}
	return out, nil
}

// folderSyncKeyMeta is the meta key of the account's FolderSync SyncKey.
const folderSyncKeyMeta = "folder-sync-key"

// FolderSyncKey returns the account's FolderSync SyncKey ("0" before the
// first FolderSync).
func (s *Store) FolderSyncKey(ctx context.Context) (string, error) {
	v, err := s.Meta(ctx, folderSyncKeyMeta)
	if v == "" && err == nil {
		v = "0"
	}
	return v, err
}

// CompleteFolderChange records the server's answer to a folder change
// together with the new FolderSync SyncKey, in one transaction: a create
// gets its ServerId (and parent), and the change leaves the queue. old
// must be the current FolderSync key (ErrPrecondition otherwise).
func (s *Store) CompleteFolderChange(ctx context.Context, fc FolderChange, serverID, old, new string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = ?), '0')`, folderSyncKeyMeta).Scan(&cur)
		if err != nil {
			return err
		}
		if cur != old {
			return fmt.Errorf("%w: folder sync key is %q, not %q", ErrPrecondition, cur, old)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, folderSyncKeyMeta, new); err != nil {
			return err
		}
		switch fc.Op {
		case "delete":
			_, err = tx.ExecContext(ctx, `DELETE FROM folder_delete WHERE id = ?`, fc.ID)
			return err
		case "create":
			if serverID == "" {
				return fmt.Errorf("%w: a created folder needs its ServerId", ErrInvalid)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE collection SET server_id = ? WHERE name = ?`, serverID, fc.Collection.Name); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, fc.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: completing folder change %d: %w", fc.ID, err)
	}
	return nil
}
