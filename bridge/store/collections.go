package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Kind is what a collection holds.
type Kind string

// The collection kinds.
const (
	KindEvents   Kind = "events"   // CalDAV calendar of VEVENT
	KindTasks    Kind = "tasks"    // CalDAV calendar of VTODO
	KindJournal  Kind = "journal"  // CalDAV calendar of VJOURNAL
	KindContacts Kind = "contacts" // CardDAV address book
	KindMail     Kind = "mail"     // Maildir folder (items live in the Maildir)
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindEvents, KindTasks, KindJournal, KindContacts, KindMail:
		return true
	}
	return false
}

// Collection is one calendar, task list, journal, address book or mail
// folder of the account.
type Collection struct {
	ID   int64  // internal row id
	Name string // DAV URL segment or Maildir folder name; unique
	Kind Kind

	DisplayName string
	Description string
	Color       string

	// ServerID is the EAS CollectionId, "" until the server knows the
	// folder; ParentServerID is its parent folder's.
	ServerID       string
	ParentServerID string
	// SyncKey is the last SyncKey the server gave for this collection,
	// "0" before the first Sync.
	SyncKey string
	// Revision counts the changes to the collection's items; it is the
	// RFC 6578 sync token and the ctag.
	Revision int64
}

// Errors of the store. Callers match them with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	// ErrPrecondition: a conditional write found a different state (an
	// ETag, or a SyncKey that moved on meanwhile).
	ErrPrecondition = errors.New("store: precondition failed")
	// ErrUIDConflict: another object of the collection has the UID.
	ErrUIDConflict = errors.New("store: uid already used in collection")
	// ErrInvalid: the input cannot be stored (bad name, unknown kind...).
	ErrInvalid = errors.New("store: invalid input")
)

const collectionColumns = `id, name, kind, display_name, description, color,
	coalesce(server_id, ''), parent_server_id, sync_key, revision`

type scanner interface{ Scan(...any) error }

func scanCollection(row scanner) (Collection, error) {
	var c Collection
	err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.DisplayName, &c.Description, &c.Color,
		&c.ServerID, &c.ParentServerID, &c.SyncKey, &c.Revision)
	return c, err
}

// checkName rejects names that cannot be one URL path segment or file name.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255 {
		return fmt.Errorf("%w: name %q", ErrInvalid, name)
	}
	return nil
}

// CreateCollection creates c (its ID and Revision are ignored) and returns
// it as stored. ErrExists if the name or ServerID is taken. When local is
// true the collection was made on the desktop (MKCALENDAR, a new Maildir
// folder) and a folder-create outbox row asks the engine to create it on
// the server, in the same transaction.
func (s *Store) CreateCollection(ctx context.Context, c Collection, local bool) (Collection, error) {
	if err := checkName(c.Name); err != nil {
		return Collection{}, err
	}
	if !c.Kind.Valid() {
		return Collection{}, fmt.Errorf("%w: kind %q", ErrInvalid, c.Kind)
	}
	if c.SyncKey == "" {
		c.SyncKey = "0"
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var serverID any
		if c.ServerID != "" {
			serverID = c.ServerID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO collection
			(name, kind, display_name, description, color, server_id, parent_server_id, sync_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.Name, c.Kind, c.DisplayName, c.Description, c.Color, serverID, c.ParentServerID, c.SyncKey)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: collection %q", ErrExists, c.Name)
		}
		c.ID, _ = res.LastInsertId()
		c.Revision = 0
		if local {
			return s.queue(ctx, tx, c.ID, opFolderCreate, c.Name, "")
		}
		return nil
	})
	if err != nil {
		return Collection{}, fmt.Errorf("store: creating collection %q: %w", c.Name, err)
	}
	return c, nil
}

// Collections lists every collection, ordered by name.
func (s *Store) Collections(ctx context.Context) ([]Collection, error) {
	var out []Collection
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+collectionColumns+` FROM collection ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCollection(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing collections: %w", err)
	}
	return out, nil
}

// CollectionByName returns the named collection, or ErrNotFound.
func (s *Store) CollectionByName(ctx context.Context, name string) (Collection, error) {
	return s.collectionWhere(ctx, "name = ?", name)
}

// CollectionByServerID returns the collection with the EAS ServerId, or
// ErrNotFound.
func (s *Store) CollectionByServerID(ctx context.Context, serverID string) (Collection, error) {
	return s.collectionWhere(ctx, "server_id = ?", serverID)
}

func (s *Store) collectionWhere(ctx context.Context, where string, arg any) (Collection, error) {
	var c Collection
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = getCollection(ctx, tx, where, arg)
		return err
	})
	if err != nil {
		return Collection{}, fmt.Errorf("store: reading collection %v: %w", arg, err)
	}
	return c, nil
}

func getCollection(ctx context.Context, tx *sql.Tx, where string, arg any) (Collection, error) {
	c, err := scanCollection(tx.QueryRowContext(ctx, `SELECT `+collectionColumns+` FROM collection WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, ErrNotFound
	}
	return c, err
}

// CollectionUpdate names the collection fields to change; nil leaves a
// field alone.
type CollectionUpdate struct {
	DisplayName    *string
	Description    *string
	Color          *string
	ServerID       *string
	ParentServerID *string
}

// UpdateCollection changes the named collection's fields. When local is
// true the change came from the desktop and a folder-update outbox row is
// queued in the same transaction (only for a display name change, the
// one folder property EAS carries).
func (s *Store) UpdateCollection(ctx context.Context, name string, u CollectionUpdate, local bool) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", name)
		if err != nil {
			return err
		}
		set := func(column string, v *string) error {
			if v == nil {
				return nil
			}
			var value any = *v
			if column == "server_id" && *v == "" {
				value = nil
			}
			_, err := tx.ExecContext(ctx, `UPDATE collection SET `+column+` = ? WHERE id = ?`, value, c.ID)
			return err
		}
		for column, v := range map[string]*string{
			"display_name": u.DisplayName, "description": u.Description, "color": u.Color,
			"server_id": u.ServerID, "parent_server_id": u.ParentServerID,
		} {
			if err := set(column, v); err != nil {
				return err
			}
		}
		if local && u.DisplayName != nil && *u.DisplayName != c.DisplayName && c.Kind != KindMail {
			return s.queue(ctx, tx, c.ID, opFolderUpdate, c.Name, c.ServerID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: updating collection %q: %w", name, err)
	}
	return nil
}

// DeleteCollection removes the named collection with everything in it.
// When local is true and the server knows the folder, a folder-delete is
// queued for the engine; it is kept on a hidden row of the outbox that
// outlives the collection (see FolderDeletes).
func (s *Store) DeleteCollection(ctx context.Context, name string, local bool) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM collection WHERE id = ?`, c.ID); err != nil {
			return err
		}
		if local && c.ServerID != "" {
			_, err = tx.ExecContext(ctx, `INSERT INTO folder_delete (server_id, name, created) VALUES (?, ?, ?)`,
				c.ServerID, c.Name, s.now().UnixNano())
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: deleting collection %q: %w", name, err)
	}
	return nil
}

// SetSyncKey records a new SyncKey for the collection, if its current one
// is old (ErrPrecondition otherwise, so that two writers cannot both
// advance from the same key). Used for a Sync that brought no items.
func (s *Store) SetSyncKey(ctx context.Context, collectionID int64, old, new string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return advanceSyncKey(ctx, tx, collectionID, old, new)
	})
	if err != nil {
		return fmt.Errorf("store: setting sync key: %w", err)
	}
	return nil
}

func advanceSyncKey(ctx context.Context, tx *sql.Tx, collectionID int64, old, new string) error {
	res, err := tx.ExecContext(ctx, `UPDATE collection SET sync_key = ? WHERE id = ? AND sync_key = ?`, new, collectionID, old)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists int
		if tx.QueryRowContext(ctx, `SELECT 1 FROM collection WHERE id = ?`, collectionID).Scan(&exists) != nil {
			return ErrNotFound
		}
		return fmt.Errorf("%w: sync key is no longer %q", ErrPrecondition, old)
	}
	return nil
}
