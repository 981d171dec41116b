package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ServerOp is the kind of a change the server reported.
type ServerOp int

// The server change kinds (MS-ASCMD 2.2.3.7 Add, 2.2.3.24 Change,
// 2.2.3.42 Delete).
const (
	ServerAdd ServerOp = iota + 1
	ServerChange
	ServerDelete
)

// ServerItemChange is one Add, Change or Delete from a Sync response, as
// the engine applies it (after conversion and conflict resolution).
type ServerItemChange struct {
	Op       ServerOp
	ServerID string
	// LocalID names the local item of an Add (an object name such as
	// "<uid>.ics", or a Maildir key). A Change or Delete finds the item by
	// ServerID; an Add whose ServerID is already mapped, or whose UID an
	// object of the collection already has (a resync), updates that item
	// instead of creating a second one.
	LocalID string
	UID     string
	// Data is the item's new local content (DAV collections only).
	Data []byte
	// Base is the version now agreed with the server; nil means Data.
	Base []byte
	// MessageID is a mail message's Message-ID header, kept with the
	// mapping (an empty one leaves the recorded value as it is).
	MessageID string
	// KeepPending keeps the item's waiting outbox rows (the engine merged
	// the change and still has something to send); by default they are
	// dropped, the server's version having won.
	KeepPending bool
	// Conflict, when not nil, is recorded in the same transaction.
	Conflict *Conflict
	// KeepLocal, on a Delete applied by ApplySync, keeps the local object
	// (it was edited locally: an edit beats a delete) and queues it as an
	// add instead of removing it.
	KeepLocal bool
}

// Conflict is the losing side of a conflict, kept for the user.
type Conflict struct {
	ID         int64
	Collection string // filled in when read
	ServerID   string
	LocalID    string
	Winner     string // "server" or "client"
	LoserData  []byte
	Reason     string
	SyncKey    string
	Created    time.Time
}

// ApplyServerChanges applies a batch of server changes to the collection
// together with its new SyncKey, in one transaction. The SyncKey must
// still be old (ErrPrecondition otherwise). DAV objects written here are
// not queued in the outbox: they came from the server.
func (s *Store) ApplyServerChanges(ctx context.Context, collectionID int64, old, new string, changes []ServerItemChange) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "id = ?", collectionID)
		if err != nil {
			return err
		}
		if err := advanceSyncKey(ctx, tx, collectionID, old, new); err != nil {
			return err
		}
		for _, ch := range changes {
			if err := s.applyOne(ctx, tx, c, new, ch); err != nil {
				return fmt.Errorf("item %q: %w", ch.ServerID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: applying server changes: %w", err)
	}
	return nil
}

func (s *Store) applyOne(ctx context.Context, tx *sql.Tx, c Collection, syncKey string, ch ServerItemChange) error {
	var localID string
	err := tx.QueryRowContext(ctx, `SELECT local_id FROM item WHERE collection_id = ? AND server_id = ?`,
		c.ID, ch.ServerID).Scan(&localID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if ch.Op != ServerAdd {
			return nil // a change or delete of an item we never had: nothing to do
		}
		if err := checkName(ch.LocalID); err != nil {
			return err
		}
		localID = ch.LocalID
		// After a resync (Sync status 3) the server re-adds items the
		// store already holds: match them by UID, so no duplicate appears.
		if ch.UID != "" && c.Kind != KindMail {
			var holder string
			err := tx.QueryRowContext(ctx, `SELECT name FROM object WHERE collection_id = ? AND uid = ? AND uid <> ''`,
				c.ID, ch.UID).Scan(&holder)
			if err == nil {
				localID = holder
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
	case err != nil:
		return err
	}
	if ch.Conflict != nil {
		if err := s.recordConflict(ctx, tx, c.ID, *ch.Conflict); err != nil {
			return err
		}
	}
	if !ch.KeepPending {
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE collection_id = ? AND local_id = ? AND failure = ''
			AND op IN ('add', 'change', 'delete')`, c.ID, localID); err != nil {
			return err
		}
	}
	if ch.Op == ServerDelete {
		if c.Kind != KindMail {
			if _, exists, err := objectMeta(ctx, tx, c.ID, localID); err != nil {
				return err
			} else if exists {
				if err := deleteObjectTx(ctx, tx, c.ID, localID); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM item WHERE collection_id = ? AND server_id = ?`, c.ID, ch.ServerID)
		return err
	}
	if c.Kind != KindMail {
		spans := objectSpans(c.Kind, ch.Data, Span{}, s.log)
		if _, err := putObjectTx(ctx, tx, c.ID, localID, ch.UID, ch.Data, spans, s.now()); err != nil {
			return err
		}
	}
	base := ch.Base
	if base == nil {
		base = ch.Data
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO item (collection_id, server_id, local_id, base, base_sync_key, message_id)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (collection_id, server_id) DO UPDATE SET
		local_id = excluded.local_id, base = excluded.base, base_sync_key = excluded.base_sync_key,
		message_id = CASE WHEN excluded.message_id <> '' THEN excluded.message_id ELSE item.message_id END`,
		c.ID, ch.ServerID, localID, base, syncKey, ch.MessageID)
	return err
}

// Item is the mapping of one server item to its local item.
type Item struct {
	ServerID    string
	LocalID     string
	Base        []byte
	BaseSyncKey string
	MessageID   string // mail only: the Message-ID recorded at delivery
}

// ItemByServerID returns the mapping of a server item, or ErrNotFound.
func (s *Store) ItemByServerID(ctx context.Context, collectionID int64, serverID string) (Item, error) {
	return s.item(ctx, collectionID, "server_id", serverID)
}

// ItemByLocalID returns the mapping of a local item, or ErrNotFound.
func (s *Store) ItemByLocalID(ctx context.Context, collectionID int64, localID string) (Item, error) {
	return s.item(ctx, collectionID, "local_id", localID)
}

// ItemByMessageID returns a mapping of a mail collection whose message
// has the Message-ID mid, or ErrNotFound.
func (s *Store) ItemByMessageID(ctx context.Context, collectionID int64, mid string) (Item, error) {
	if mid == "" {
		return Item{}, fmt.Errorf("store: reading item by an empty Message-ID: %w", ErrNotFound)
	}
	return s.item(ctx, collectionID, "message_id", mid)
}

func (s *Store) item(ctx context.Context, collectionID int64, column, value string) (Item, error) {
	var it Item
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT server_id, local_id, base, base_sync_key, message_id FROM item
			WHERE collection_id = ? AND `+column+` = ?`, collectionID, value).
			Scan(&it.ServerID, &it.LocalID, &it.Base, &it.BaseSyncKey, &it.MessageID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Item{}, fmt.Errorf("store: reading item %q: %w", value, err)
	}
	return it, nil
}

// PendingFor returns the waiting outbox entries of one local item (without
// handing them out), so the engine can detect a conflict before applying
// a server change.
func (s *Store) PendingFor(ctx context.Context, collectionID int64, localID string) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, op, local_id, server_id, client_id, attempts, created FROM outbox
			WHERE collection_id = ? AND local_id = ? AND failure = '' AND op IN ('add', 'change', 'delete') ORDER BY id`,
			collectionID, localID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e OutboxEntry
			var created int64
			if err := rows.Scan(&e.ID, &e.Op, &e.LocalID, &e.ServerID, &e.ClientID, &e.Attempts, &created); err != nil {
				return err
			}
			e.Created = time.Unix(0, created)
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending changes of %q: %w", localID, err)
	}
	return out, nil
}

func (s *Store) recordConflict(ctx context.Context, tx *sql.Tx, collID int64, c Conflict) error {
	if c.Winner != "server" && c.Winner != "client" {
		return fmt.Errorf("%w: conflict winner %q", ErrInvalid, c.Winner)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO conflict (collection_id, server_id, local_id, winner, loser_data, reason, sync_key, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, collID, c.ServerID, c.LocalID, c.Winner, c.LoserData, c.Reason, c.SyncKey, s.now().UnixNano())
	return err
}

// Conflicts lists every recorded conflict, oldest first.
func (s *Store) Conflicts(ctx context.Context) ([]Conflict, error) {
	var out []Conflict
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT f.id, c.name, f.server_id, f.local_id, f.winner, f.loser_data, f.reason,
			f.sync_key, f.created FROM conflict f JOIN collection c ON c.id = f.collection_id ORDER BY f.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Conflict
			var created int64
			if err := rows.Scan(&c.ID, &c.Collection, &c.ServerID, &c.LocalID, &c.Winner, &c.LoserData, &c.Reason,
				&c.SyncKey, &created); err != nil {
				return err
			}
			c.Created = time.Unix(0, created)
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing conflicts: %w", err)
	}
	return out, nil
}

// Meta returns an account-wide value ("" when unset).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: reading %s: %w", key, err)
	}
	return v, nil
}

// SetMeta sets an account-wide value; "" removes it (Meta reads "" for
// an unset key), so keys made per item, such as an unsettled send's, do
// not pile up.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if value == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, key)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	return nil
}
