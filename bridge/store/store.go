// Package store is easbridge's crash-safe state: one SQLite database per
// account holding its collections, the DAV objects with their time index,
// the change log behind sync tokens, the outbox of local changes, the
// EAS ServerId map with base versions, and conflicts.
//
// Every exported operation is one transaction. Writes go through a single
// connection (SQLite allows one writer; a pool of one serialises them
// without SQLITE_BUSY), reads use a separate pool that WAL lets run beside
// the writer. The database runs with synchronous=FULL, so a transaction
// that returned nil survives a crash or power loss.
//
// How the two users of the store meet:
//
//   - The DAV server (through DAV, a dav.Backend) writes objects as local
//     changes: PutObject and DeleteObject queue an outbox row in the same
//     transaction, merged with a waiting row of the same object.
//   - The sync engine applies a Sync response with ApplyServerChanges
//     (items and the new SyncKey together, no outbox rows: no echo), sends
//     local changes with TakeOutbox (ClientIds persisted before sending)
//     and records the answer with CompleteOutbox (ClientId -> ServerId,
//     base versions, new SyncKey, in one transaction). Every item's base
//     version and the SyncKey it was agreed at are in Item; PendingFor
//     shows whether a server change meets a local one; the loser of a
//     conflict goes in with the change (ServerItemChange.Conflict).
//   - Folders: CreateCollection/UpdateCollection/DeleteCollection with
//     local set queue folder changes (FolderChanges, CompleteFolderChange).
//
// Sync tokens and ctags are the collection's revision, bumped by every
// object write or delete; deletes leave tombstones in the change log.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	// Time zone names in iCalendar TZIDs must resolve on every platform,
	// including systems without a zoneinfo database.
	_ "time/tzdata"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is one account's state database. It is safe for concurrent use.
type Store struct {
	w   *sql.DB // the single writer connection
	r   *sql.DB // readers
	log *slog.Logger
	now func() time.Time

	// lists caches each collection's object listing (no bodies) at one
	// revision: PROPFIND Depth 1 and initial syncs of a large, unchanged
	// calendar then skip the query. Keyed on the revision read in the
	// same snapshot, so it is never stale, whoever wrote.
	listMu sync.Mutex
	lists  map[int64]cachedList
}

type cachedList struct {
	revision int64
	objs     []Object
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date. A nil logger discards logs.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, log); err != nil {
		w.Close()
		return nil, err
	}
	r, err := openDB(path, true)
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	return &Store{w: w, r: r, log: log, now: time.Now, lists: map[int64]cachedList{}}, nil
}

// openDB opens a pool on path. Pragmas are in the DSN so that every
// connection the pool opens gets them.
func openDB(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE takes the write lock at once, so a read inside a
		// write transaction can never be upgraded into SQLITE_BUSY.
		q.Set("_txlock", "immediate")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// migrate applies, in one transaction each, every embedded migration whose
// number is above PRAGMA user_version.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: listing migrations: %w", err)
	}
	sort.Strings(names)
	var current int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("store: reading schema version: %w", err)
	}
	if current > len(names) {
		return fmt.Errorf("store: database schema version %d is newer than this program (%d)", current, len(names))
	}
	for i := current; i < len(names); i++ {
		version, err := migrationNumber(names[i])
		if err != nil || version != i+1 {
			return fmt.Errorf("store: migration %s out of sequence", names[i])
		}
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return fmt.Errorf("store: reading %s: %w", names[i], err)
		}
		err = inTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(version))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: applying migration %s: %w", names[i], err)
		}
		log.Info("store schema migrated", "version", version)
	}
	return nil
}

func migrationNumber(name string) (int, error) {
	base := strings.TrimPrefix(name, "migrations/")
	num, _, _ := strings.Cut(base, "_")
	return strconv.Atoi(num)
}

// inTx runs f in a transaction on db, committing if f returns nil.
func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// write runs f as one write transaction.
func (s *Store) write(ctx context.Context, f func(*sql.Tx) error) error {
	return inTx(ctx, s.w, f)
}

// read runs f in one read transaction, so that it sees one snapshot.
func (s *Store) read(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return f(tx)
}
