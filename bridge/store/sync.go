package store

import (
	"context"
	"database/sql"
	"fmt"
)

// ApplySync records the whole answer to one Sync of a collection in one
// transaction: the answers to the sent outbox entries (ClientId ->
// ServerId, bases, quarantines), then the server's own changes, together
// with the collection's new SyncKey (which must still be old,
// ErrPrecondition otherwise). A kill -9 leaves all of it or none, so the
// request can be repeated with the same key and ClientIds.
func (s *Store) ApplySync(ctx context.Context, collectionID int64, old, new string, results []OutboxResult, changes []ServerItemChange) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "id = ?", collectionID)
		if err != nil {
			return err
		}
		if err := advanceSyncKey(ctx, tx, collectionID, old, new); err != nil {
			return err
		}
		for _, r := range results {
			if err := completeOne(ctx, tx, collectionID, new, r); err != nil {
				return fmt.Errorf("outbox entry %d: %w", r.ID, err)
			}
		}
		for _, ch := range changes {
			if ch.Op == ServerDelete && ch.KeepLocal {
				err = keepLocal(ctx, tx, s, c, new, ch)
			} else {
				err = s.applyOne(ctx, tx, c, new, ch)
			}
			if err != nil {
				return fmt.Errorf("item %q: %w", ch.ServerID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: applying sync: %w", err)
	}
	return nil
}

// keepLocal applies a server Delete of an item edited locally (an edit
// beats a delete, DESIGN.md): the mapping goes, the object stays, and its
// waiting changes become one add, so the item is created on the server
// again.
func keepLocal(ctx context.Context, tx *sql.Tx, s *Store, c Collection, syncKey string, ch ServerItemChange) error {
	var localID string
	err := tx.QueryRowContext(ctx, `SELECT local_id FROM item WHERE collection_id = ? AND server_id = ?`,
		c.ID, ch.ServerID).Scan(&localID)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	if ch.Conflict != nil {
		if err := s.recordConflict(ctx, tx, c.ID, *ch.Conflict); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM item WHERE collection_id = ? AND server_id = ?`, c.ID, ch.ServerID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE collection_id = ? AND local_id = ? AND failure = ''
		AND op IN ('add', 'change', 'delete')`, c.ID, localID); err != nil {
		return err
	}
	if _, exists, err := objectMeta(ctx, tx, c.ID, localID); err != nil || !exists {
		return err
	}
	return s.queue(ctx, tx, c.ID, OpAdd, localID, "")
}

// RecordConflict keeps a conflict, or a server item the engine could not
// take (a poisoned item, its Reason saying so), for `easbridge status`.
func (s *Store) RecordConflict(ctx context.Context, collectionID int64, c Conflict) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return s.recordConflict(ctx, tx, collectionID, c)
	})
	if err != nil {
		return fmt.Errorf("store: recording conflict: %w", err)
	}
	return nil
}
