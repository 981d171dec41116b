package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Object is one stored calendar object or vCard.
type Object struct {
	Name string
	UID  string
	// ETag is the strong entity tag, without quotes. Every write gives a
	// new one (it is made from the collection and the write's revision).
	ETag     string
	Data     []byte // nil when a method says it loads no bodies
	Size     int64
	Revision int64
	Modified time.Time
}

// Conditions are the preconditions of a local write: an ETag without
// quotes, "*" for any, or "" for none (RFC 7232 If-Match, If-None-Match).
type Conditions struct {
	IfMatch     string
	IfNoneMatch string
}

// holds reports whether the conditions hold for an object with etag
// (exists false: no object).
func (c Conditions) holds(exists bool, etag string) bool {
	switch c.IfMatch {
	case "":
	case "*":
		if !exists {
			return false
		}
	default:
		if !exists || c.IfMatch != etag {
			return false
		}
	}
	switch c.IfNoneMatch {
	case "":
	case "*":
		if exists {
			return false
		}
	default:
		if exists && c.IfNoneMatch == etag {
			return false
		}
	}
	return true
}

// UIDConflictError is returned when another object of the collection holds
// the UID; errors.Is(err, ErrUIDConflict) holds for it.
type UIDConflictError struct {
	Name string // the object that holds the UID
}

// Error implements error.
func (e *UIDConflictError) Error() string {
	return fmt.Sprintf("store: uid already used by %q", e.Name)
}

// Is makes errors.Is(err, ErrUIDConflict) true.
func (e *UIDConflictError) Is(target error) bool { return target == ErrUIDConflict }

// PutInput is a local write of one object.
type PutInput struct {
	Data []byte
	UID  string
	// Fallback is the whole-object span to index when the store cannot
	// compute occurrence spans from Data itself (zero: unbounded).
	Fallback Span
}

// PutObject creates or replaces the object name of collection collName if
// cond holds, and queues it for the server in the same transaction. It
// returns the new ETag and whether the object was created.
func (s *Store) PutObject(ctx context.Context, collName, name string, in PutInput, cond Conditions) (etag string, created bool, err error) {
	if err := checkName(name); err != nil {
		return "", false, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", collName)
		if err != nil {
			return err
		}
		if c.Kind == KindMail {
			return fmt.Errorf("%w: mail folders hold no DAV objects", ErrInvalid)
		}
		old, exists, err := objectMeta(ctx, tx, c.ID, name)
		if err != nil {
			return err
		}
		if !cond.holds(exists, old.ETag) {
			return ErrPrecondition
		}
		spans := objectSpans(c.Kind, in.Data, in.Fallback, s.log)
		etag, err = putObjectTx(ctx, tx, c.ID, name, in.UID, in.Data, spans, s.now())
		if err != nil {
			return err
		}
		created = !exists
		return s.queueObject(ctx, tx, c.ID, name, false)
	})
	if err != nil {
		return "", false, fmt.Errorf("store: writing %s/%s: %w", collName, name, err)
	}
	return etag, created, nil
}

// DeleteObject removes the object if cond holds and queues the delete for
// the server in the same transaction.
func (s *Store) DeleteObject(ctx context.Context, collName, name string, cond Conditions) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", collName)
		if err != nil {
			return err
		}
		old, exists, err := objectMeta(ctx, tx, c.ID, name)
		if err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		if !cond.holds(exists, old.ETag) {
			return ErrPrecondition
		}
		if err := deleteObjectTx(ctx, tx, c.ID, name); err != nil {
			return err
		}
		return s.queueObject(ctx, tx, c.ID, name, true)
	})
	if err != nil {
		return fmt.Errorf("store: deleting %s/%s: %w", collName, name, err)
	}
	return nil
}

// objectMeta reads an object's metadata; exists is false when absent.
func objectMeta(ctx context.Context, tx *sql.Tx, collID int64, name string) (Object, bool, error) {
	var o Object
	var mod int64
	err := tx.QueryRowContext(ctx, `SELECT name, uid, etag, size, revision, modified FROM object
		WHERE collection_id = ? AND name = ?`, collID, name).Scan(&o.Name, &o.UID, &o.ETag, &o.Size, &o.Revision, &mod)
	if errors.Is(err, sql.ErrNoRows) {
		return Object{}, false, nil
	}
	o.Modified = time.Unix(0, mod)
	return o, err == nil, err
}

// bumpRevision advances the collection's revision and returns the new one.
func bumpRevision(ctx context.Context, tx *sql.Tx, collID int64) (int64, error) {
	var rev int64
	err := tx.QueryRowContext(ctx, `UPDATE collection SET revision = revision + 1 WHERE id = ? RETURNING revision`, collID).Scan(&rev)
	return rev, err
}

// putObjectTx writes the object with its spans and change-log entry.
func putObjectTx(ctx context.Context, tx *sql.Tx, collID int64, name, uid string, data []byte, spans []Span, now time.Time) (string, error) {
	if uid != "" {
		var holder string
		// "uid <> ''" lets SQLite use the partial index object_uid.
		err := tx.QueryRowContext(ctx, `SELECT name FROM object WHERE collection_id = ? AND uid = ? AND uid <> '' AND name <> ?`,
			collID, uid, name).Scan(&holder)
		if err == nil {
			return "", &UIDConflictError{Name: holder}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
	}
	rev, err := bumpRevision(ctx, tx, collID)
	if err != nil {
		return "", err
	}
	etag := strconv.FormatInt(collID, 36) + "-" + strconv.FormatInt(rev, 36)
	var objID int64
	err = tx.QueryRowContext(ctx, `INSERT INTO object (collection_id, name, uid, etag, data, size, revision, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (collection_id, name) DO UPDATE SET uid = excluded.uid, etag = excluded.etag,
			data = excluded.data, size = excluded.size, revision = excluded.revision, modified = excluded.modified
		RETURNING id`, collID, name, uid, etag, data, len(data), rev, now.UnixNano()).Scan(&objID)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM span WHERE object_id = ?`, objID); err != nil {
		return "", err
	}
	for _, sp := range spans {
		lo, hi := sp.bounds()
		long := 0
		if lo == math.MinInt64 || hi == math.MaxInt64 || hi-lo > longSpan {
			long = 1
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO span (object_id, collection_id, long, start, end) VALUES (?, ?, ?, ?, ?)`,
			objID, collID, long, lo, hi); err != nil {
			return "", err
		}
	}
	return etag, logChange(ctx, tx, collID, name, rev, false)
}

// deleteObjectTx removes the object and leaves a tombstone.
func deleteObjectTx(ctx context.Context, tx *sql.Tx, collID int64, name string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM object WHERE collection_id = ? AND name = ?`, collID, name); err != nil {
		return err
	}
	rev, err := bumpRevision(ctx, tx, collID)
	if err != nil {
		return err
	}
	return logChange(ctx, tx, collID, name, rev, true)
}

func logChange(ctx context.Context, tx *sql.Tx, collID int64, name string, rev int64, deleted bool) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO change (collection_id, name, revision, deleted) VALUES (?, ?, ?, ?)
		ON CONFLICT (collection_id, name) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted`,
		collID, name, rev, deleted)
	return err
}

// Objects lists the objects of the named collection without their data.
func (s *Store) Objects(ctx context.Context, collName string) ([]Object, error) {
	var out []Object
	err := s.read(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", collName)
		if err != nil {
			return err
		}
		out, err = s.listing(ctx, tx, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing %s: %w", collName, err)
	}
	return out, nil
}

// GetObjects returns the named objects with their data; absent names are
// left out.
func (s *Store) GetObjects(ctx context.Context, collName string, names []string) ([]Object, error) {
	var out []Object
	err := s.read(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", collName)
		if err != nil {
			return err
		}
		// One query per chunk of names: a point query per name costs more
		// in statement overhead than the rows themselves.
		const chunk = 200
		for len(names) > 0 {
			n := min(len(names), chunk)
			args := make([]any, 0, n+1)
			args = append(args, c.ID)
			for _, name := range names[:n] {
				args = append(args, name)
			}
			objs, err := queryObjects(ctx, tx, true, `WHERE collection_id = ? AND name IN (?`+
				strings.Repeat(", ?", n-1)+`)`, args...)
			if err != nil {
				return err
			}
			out = append(out, objs...)
			names = names[n:]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: reading objects of %s: %w", collName, err)
	}
	return out, nil
}

func scanObject(row scanner, withData bool) (Object, error) {
	var o Object
	var mod int64
	var err error
	if withData {
		err = row.Scan(&o.Name, &o.UID, &o.ETag, &o.Size, &o.Revision, &mod, &o.Data)
	} else {
		err = row.Scan(&o.Name, &o.UID, &o.ETag, &o.Size, &o.Revision, &mod)
	}
	o.Modified = time.Unix(0, mod)
	return o, err
}

// queryObjects runs a SELECT over object with the given tail.
func queryObjects(ctx context.Context, tx *sql.Tx, withData bool, tail string, args ...any) ([]Object, error) {
	cols := `name, uid, etag, size, revision, modified`
	if withData {
		cols += `, data`
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+cols+` FROM object `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Object
	for rows.Next() {
		o, err := scanObject(rows, withData)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Changes reports what changed in the named collection after revision
// since (RFC 6578): changed objects without data, deleted names, and the
// current revision. since 0 is the initial sync: every object, no
// deletions. A revision above the current one is ErrPrecondition.
func (s *Store) Changes(ctx context.Context, collName string, since int64) (changed []Object, deleted []string, rev int64, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		c, err := getCollection(ctx, tx, "name = ?", collName)
		if err != nil {
			return err
		}
		rev = c.Revision
		if since > rev || since < 0 {
			return fmt.Errorf("%w: revision %d is not in the past of %d", ErrPrecondition, since, rev)
		}
		if since == 0 {
			changed, err = s.listing(ctx, tx, c)
			return err
		}
		changed, err = queryObjects(ctx, tx, false, `WHERE collection_id = ? AND revision > ? ORDER BY name`, c.ID, since)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM change WHERE collection_id = ? AND revision > ? AND deleted
			ORDER BY name`, c.ID, since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			deleted = append(deleted, name)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("store: changes of %s: %w", collName, err)
	}
	return changed, deleted, rev, nil
}

// listing returns every object of c without data, from the cache when it
// holds c's current revision. The caller gets its own slice.
func (s *Store) listing(ctx context.Context, tx *sql.Tx, c Collection) ([]Object, error) {
	s.listMu.Lock()
	cached, ok := s.lists[c.ID]
	s.listMu.Unlock()
	if ok && cached.revision == c.Revision {
		return append([]Object(nil), cached.objs...), nil
	}
	objs, err := queryObjects(ctx, tx, false, `WHERE collection_id = ? ORDER BY name`, c.ID)
	if err != nil {
		return nil, err
	}
	s.listMu.Lock()
	if cur, ok := s.lists[c.ID]; !ok || cur.revision < c.Revision {
		s.lists[c.ID] = cachedList{revision: c.Revision, objs: objs}
	}
	s.listMu.Unlock()
	return append([]Object(nil), objs...), nil
}
