package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SentAdds returns the collection's waiting local adds that were sent at
// least once (their ClientId went out) and never answered, with their
// objects' content: the server may have created them and lost only the
// answer. A server that does not replay its answer to a repeated SyncKey
// (SOGo) then reports such an item as one of its own adds, and the
// engine matches it to the entry instead of creating it a second time.
func (s *Store) SentAdds(ctx context.Context, collectionID int64) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.op, o.local_id, o.client_id, o.attempts, o.created, b.data, coalesce(b.uid, '')
			FROM outbox o
			JOIN object b ON b.collection_id = o.collection_id AND b.name = o.local_id
			WHERE o.collection_id = ? AND o.failure = '' AND o.attempts > 0 AND o.op IN ('add', 'change')
			AND NOT EXISTS (SELECT 1 FROM item i WHERE i.collection_id = o.collection_id AND i.local_id = o.local_id)
			ORDER BY o.id`, collectionID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e OutboxEntry
			var created int64
			if err := rows.Scan(&e.ID, &e.Op, &e.LocalID, &e.ClientID, &e.Attempts, &created, &e.Data, &e.UID); err != nil {
				return err
			}
			e.Created = time.Unix(0, created)
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("store: sent adds: %w", err)
	}
	return out, nil
}
