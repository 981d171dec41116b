package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Op is the kind of a queued local change.
type Op string

// The outbox operations.
const (
	OpAdd          Op = "add"    // a new item the server does not know
	OpChange       Op = "change" // an item the server knows, changed locally
	OpDelete       Op = "delete" // an item the server knows, deleted locally
	opFolderCreate Op = "folder-create"
	opFolderUpdate Op = "folder-update"
)

// queue appends an outbox row.
func (s *Store) queue(ctx context.Context, tx *sql.Tx, collID int64, op Op, localID, serverID string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (collection_id, op, local_id, server_id, created) VALUES (?, ?, ?, ?, ?)`,
		collID, op, localID, serverID, s.now().UnixNano())
	return err
}

// queueObject records a local write (deleted false) or delete of an
// object in the outbox, merging it with a change to the same object that
// is still waiting and has not been handed out yet:
//
//	waiting add    + write = add     waiting add    + delete = nothing
//	waiting change + write = change  waiting change + delete = delete
//	waiting delete + write = change
//
// A row already handed to the engine (it has a ClientId) is never changed:
// it may be on the wire, so a later change gets a row of its own.
func (s *Store) queueObject(ctx context.Context, tx *sql.Tx, collID int64, name string, deleted bool) error {
	var id int64
	var op Op
	err := tx.QueryRowContext(ctx, `SELECT id, op FROM outbox WHERE collection_id = ? AND local_id = ?
		AND client_id = '' AND failure = '' AND op IN ('add', 'change', 'delete') ORDER BY id DESC LIMIT 1`,
		collID, name).Scan(&id, &op)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var known int
		err := tx.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM item WHERE collection_id = ?1 AND local_id = ?2) OR
			EXISTS (SELECT 1 FROM outbox WHERE collection_id = ?1 AND local_id = ?2 AND op = 'add')`,
			collID, name).Scan(&known)
		if err != nil {
			return err
		}
		switch {
		case known == 0 && deleted:
			return nil // the server never saw it
		case known == 0:
			return s.queue(ctx, tx, collID, OpAdd, name, "")
		case deleted:
			return s.queue(ctx, tx, collID, OpDelete, name, "")
		default:
			return s.queue(ctx, tx, collID, OpChange, name, "")
		}
	case err != nil:
		return err
	}
	switch {
	case op == OpAdd && deleted:
		_, err = tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, id)
	case op == OpAdd:
		// stays an add of the new content
	case deleted:
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET op = 'delete' WHERE id = ?`, id)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET op = 'change' WHERE id = ?`, id)
	}
	return err
}

// OutboxEntry is one local change handed to the engine for sending.
type OutboxEntry struct {
	ID int64
	Op Op
	// LocalID is the object name (or the Maildir key of a mail item).
	LocalID string
	// ServerID is the item's EAS ServerId ("" for an add).
	ServerID string
	// ClientID is the EAS ClientId of an add, persisted before the entry
	// is returned, so that a retry after a lost answer reuses it.
	ClientID string
	// Data is the object's current content (nil for a delete or when the
	// object is gone); UID its UID.
	Data []byte
	UID  string
	// Base is the last version both sides agreed on, if any.
	Base     []byte
	Attempts int
	Created  time.Time
}

// TakeOutbox hands out up to limit pending changes of the collection, in
// order, at most one per item (a later change of an item waits until the
// earlier one is completed). Each gets a ClientId, persisted in the same
// transaction, and its attempt count raised. Quarantined rows are skipped.
func (s *Store) TakeOutbox(ctx context.Context, collectionID int64, limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.op, o.local_id, coalesce(i.server_id, o.server_id), o.client_id,
				o.attempts, o.created, b.data, coalesce(b.uid, ''), i.base
			FROM outbox o
			LEFT JOIN item i ON i.collection_id = o.collection_id AND i.local_id = o.local_id
			LEFT JOIN object b ON b.collection_id = o.collection_id AND b.name = o.local_id
			WHERE o.collection_id = ? AND o.failure = '' AND o.op IN ('add', 'change', 'delete')
			AND o.id = (SELECT min(id) FROM outbox x WHERE x.collection_id = o.collection_id AND x.local_id = o.local_id
				AND x.failure = '' AND x.op IN ('add', 'change', 'delete'))
			ORDER BY o.id LIMIT ?`, collectionID, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e OutboxEntry
			var created int64
			if err := rows.Scan(&e.ID, &e.Op, &e.LocalID, &e.ServerID, &e.ClientID, &e.Attempts, &created,
				&e.Data, &e.UID, &e.Base); err != nil {
				rows.Close()
				return err
			}
			e.Created = time.Unix(0, created)
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if out[i].ClientID == "" {
				out[i].ClientID = newClientID()
			}
			out[i].Attempts++
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET client_id = ?, attempts = ? WHERE id = ?`,
				out[i].ClientID, out[i].Attempts, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: taking outbox: %w", err)
	}
	return out, nil
}

// newClientID returns a random EAS ClientId (MS-ASCMD 2.2.3.29: up to 64
// characters, unique per client).
func newClientID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// OutboxResult is the server's answer to one sent entry.
type OutboxResult struct {
	ID int64 // the OutboxEntry.ID
	// ServerID is the ServerId the server gave an add (its ClientId ->
	// ServerId mapping); for a change or delete it may be left empty.
	ServerID string
	// Base is the version now agreed with the server (what was sent, or
	// what the server answered with); nil keeps the entry's data.
	Base []byte
	// Failure, when not empty, quarantines the entry with this reason
	// (the server or the converter rejected it); it stays visible in
	// Quarantined and no longer blocks the collection.
	Failure string
}

// CompleteOutbox applies the answers to sent entries together with the
// collection's new SyncKey, in one transaction: adds get their ServerId
// mapped with a base version, changes update the base, deletes drop the
// mapping, and the rows leave the outbox. The collection's SyncKey must
// still be old (ErrPrecondition otherwise).
func (s *Store) CompleteOutbox(ctx context.Context, collectionID int64, old, new string, results []OutboxResult) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := advanceSyncKey(ctx, tx, collectionID, old, new); err != nil {
			return err
		}
		for _, r := range results {
			if err := completeOne(ctx, tx, collectionID, new, r); err != nil {
				return fmt.Errorf("outbox entry %d: %w", r.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: completing outbox: %w", err)
	}
	return nil
}

func completeOne(ctx context.Context, tx *sql.Tx, collID int64, syncKey string, r OutboxResult) error {
	var op Op
	var localID, serverID string
	var data []byte
	err := tx.QueryRowContext(ctx, `SELECT o.op, o.local_id, coalesce(i.server_id, o.server_id), b.data FROM outbox o
		LEFT JOIN item i ON i.collection_id = o.collection_id AND i.local_id = o.local_id
		LEFT JOIN object b ON b.collection_id = o.collection_id AND b.name = o.local_id
		WHERE o.id = ? AND o.collection_id = ?`, r.ID, collID).Scan(&op, &localID, &serverID, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if r.Failure != "" {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET failure = ? WHERE id = ?`, r.Failure, r.ID)
		return err
	}
	if r.ServerID != "" {
		serverID = r.ServerID
	}
	base := r.Base
	if base == nil {
		base = data
	}
	switch op {
	case OpAdd, OpChange:
		if serverID == "" {
			return fmt.Errorf("%w: %s of %q has no ServerId", ErrInvalid, op, localID)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO item (collection_id, server_id, local_id, base, base_sync_key)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (collection_id, server_id) DO UPDATE SET
			local_id = excluded.local_id, base = excluded.base, base_sync_key = excluded.base_sync_key`,
			collID, serverID, localID, base, syncKey)
	case OpDelete:
		_, err = tx.ExecContext(ctx, `DELETE FROM item WHERE collection_id = ? AND local_id = ?`, collID, localID)
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, r.ID)
	return err
}

// Quarantined lists the outbox entries of every collection that were
// rejected, with their reasons, for `easbridge status`.
func (s *Store) Quarantined(ctx context.Context) ([]Quarantine, error) {
	var out []Quarantine
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, c.name, o.op, o.local_id, o.failure FROM outbox o
			JOIN collection c ON c.id = o.collection_id WHERE o.failure <> '' ORDER BY o.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var q Quarantine
			if err := rows.Scan(&q.ID, &q.Collection, &q.Op, &q.LocalID, &q.Reason); err != nil {
				return err
			}
			out = append(out, q)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing quarantined entries: %w", err)
	}
	return out, nil
}

// Quarantine is an outbox entry that was rejected.
type Quarantine struct {
	ID         int64
	Collection string
	Op         Op
	LocalID    string
	Reason     string
}

// PendingCount returns how many local changes of the collection wait for
// the server (quarantined ones excluded).
func (s *Store) PendingCount(ctx context.Context, collectionID int64) (int, error) {
	var n int
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE collection_id = ? AND failure = ''`,
			collectionID).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("store: counting outbox: %w", err)
	}
	return n, nil
}
