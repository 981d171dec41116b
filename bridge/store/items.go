package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Items returns every item mapping of a collection, ordered by local id.
// The engine compares them with the Maildir to find what the user changed
// while no watcher ran.
func (s *Store) Items(ctx context.Context, collectionID int64) ([]Item, error) {
	var out []Item
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT server_id, local_id, base, base_sync_key, message_id FROM item
			WHERE collection_id = ? ORDER BY local_id`, collectionID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it Item
			if err := rows.Scan(&it.ServerID, &it.LocalID, &it.Base, &it.BaseSyncKey, &it.MessageID); err != nil {
				return err
			}
			out = append(out, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing items of collection %d: %w", collectionID, err)
	}
	return out, nil
}

// ItemCount returns how many items of a collection are mapped to the
// server (the progress of an initial sync).
func (s *Store) ItemCount(ctx context.Context, collectionID int64) (int, error) {
	var n int
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM item WHERE collection_id = ?`, collectionID).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("store: counting items of collection %d: %w", collectionID, err)
	}
	return n, nil
}
