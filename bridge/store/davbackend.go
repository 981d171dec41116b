package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/easbridge/easbridge/dav"
)

// DAVBackend serves the store's calendars, task lists, journals and
// address books to the dav handler. Writes made through it are local
// changes: they are queued in the outbox for the server.
type DAVBackend struct {
	s *Store
}

var _ dav.Backend = (*DAVBackend)(nil)

// DAV returns the store as a dav.Backend.
func (s *Store) DAV() *DAVBackend { return &DAVBackend{s: s} }

// tokenPrefix starts every sync token; the collection's row id follows,
// so that a token of a deleted and re-created collection is refused.
const tokenPrefix = "urn:easbridge:sync:"

func syncToken(c Collection) string {
	return tokenPrefix + strconv.FormatInt(c.ID, 10) + ":" + strconv.FormatInt(c.Revision, 10)
}

var kindToDAV = map[Kind]dav.Kind{
	KindEvents: dav.KindEvents, KindTasks: dav.KindTasks, KindJournal: dav.KindJournal, KindContacts: dav.KindContacts,
}

func davCollection(c Collection) dav.Collection {
	tok := syncToken(c)
	return dav.Collection{
		ID: c.Name, Kind: kindToDAV[c.Kind], DisplayName: c.DisplayName, Description: c.Description,
		Color: c.Color, CTag: tok, SyncToken: tok,
	}
}

func davObject(o Object) dav.Object {
	return dav.Object{Name: o.Name, UID: o.UID, ETag: o.ETag, Data: o.Data, ModTime: o.Modified, Size: o.Size}
}

func davObjects(objs []Object) []dav.Object {
	out := make([]dav.Object, len(objs))
	for i, o := range objs {
		out[i] = davObject(o)
	}
	return out
}

// davErr translates store errors into the dav package's sentinels.
func davErr(err error) error {
	var uc *UIDConflictError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &uc):
		return &dav.UIDConflictError{Name: uc.Name}
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%w: %w", dav.ErrNotFound, err)
	case errors.Is(err, ErrPrecondition):
		return fmt.Errorf("%w: %w", dav.ErrPreconditionFailed, err)
	case errors.Is(err, ErrExists):
		return fmt.Errorf("%w: %w", dav.ErrExists, err)
	case errors.Is(err, ErrInvalid):
		return fmt.Errorf("%w: %w", dav.ErrForbidden, err)
	}
	return err
}

// davCollectionNamed returns a DAV-visible collection (not a mail folder).
func (b *DAVBackend) davCollectionNamed(ctx context.Context, id string) (Collection, error) {
	c, err := b.s.CollectionByName(ctx, id)
	if err != nil {
		return Collection{}, err
	}
	if c.Kind == KindMail {
		return Collection{}, fmt.Errorf("store: %q is a mail folder: %w", id, ErrNotFound)
	}
	return c, nil
}

// Collections implements dav.Backend; mail folders are left out.
func (b *DAVBackend) Collections(ctx context.Context) ([]dav.Collection, error) {
	cs, err := b.s.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var out []dav.Collection
	for _, c := range cs {
		if c.Kind != KindMail {
			out = append(out, davCollection(c))
		}
	}
	return out, nil
}

// Collection implements dav.Backend.
func (b *DAVBackend) Collection(ctx context.Context, id string) (dav.Collection, error) {
	c, err := b.davCollectionNamed(ctx, id)
	if err != nil {
		return dav.Collection{}, davErr(err)
	}
	return davCollection(c), nil
}

// CreateCollection implements dav.Backend; the engine is asked to create
// the folder on the server.
func (b *DAVBackend) CreateCollection(ctx context.Context, c dav.Collection) (dav.Collection, error) {
	var kind Kind
	for k, dk := range kindToDAV {
		if dk == c.Kind {
			kind = k
		}
	}
	if kind == "" {
		return dav.Collection{}, fmt.Errorf("store: collection kind %v: %w", c.Kind, dav.ErrForbidden)
	}
	sc, err := b.s.CreateCollection(ctx, Collection{
		Name: c.ID, Kind: kind, DisplayName: c.DisplayName, Description: c.Description, Color: c.Color,
	}, true)
	if err != nil {
		return dav.Collection{}, davErr(err)
	}
	return davCollection(sc), nil
}

// UpdateCollection implements dav.Backend.
func (b *DAVBackend) UpdateCollection(ctx context.Context, id string, displayName, color *string) error {
	if _, err := b.davCollectionNamed(ctx, id); err != nil {
		return davErr(err)
	}
	return davErr(b.s.UpdateCollection(ctx, id, CollectionUpdate{DisplayName: displayName, Color: color}, true))
}

// DeleteCollection implements dav.Backend.
func (b *DAVBackend) DeleteCollection(ctx context.Context, id string) error {
	if _, err := b.davCollectionNamed(ctx, id); err != nil {
		return davErr(err)
	}
	return davErr(b.s.DeleteCollection(ctx, id, true))
}

// Objects implements dav.Backend.
func (b *DAVBackend) Objects(ctx context.Context, collID string) ([]dav.Object, error) {
	if _, err := b.davCollectionNamed(ctx, collID); err != nil {
		return nil, davErr(err)
	}
	objs, err := b.s.Objects(ctx, collID)
	return davObjects(objs), davErr(err)
}

// GetObjects implements dav.Backend.
func (b *DAVBackend) GetObjects(ctx context.Context, collID string, names []string) ([]dav.Object, error) {
	if _, err := b.davCollectionNamed(ctx, collID); err != nil {
		return nil, davErr(err)
	}
	objs, err := b.s.GetObjects(ctx, collID, names)
	return davObjects(objs), davErr(err)
}

// QueryTimeRange implements dav.Backend from the span index.
func (b *DAVBackend) QueryTimeRange(ctx context.Context, collID string, start, end time.Time) ([]dav.Object, error) {
	if _, err := b.davCollectionNamed(ctx, collID); err != nil {
		return nil, davErr(err)
	}
	objs, err := b.s.QueryTimeRange(ctx, collID, start, end)
	return davObjects(objs), davErr(err)
}

// PutObject implements dav.Backend.
func (b *DAVBackend) PutObject(ctx context.Context, collID, name string, in dav.ObjectInput, cond dav.Conditions) (string, bool, error) {
	if _, err := b.davCollectionNamed(ctx, collID); err != nil {
		return "", false, davErr(err)
	}
	etag, created, err := b.s.PutObject(ctx, collID, name, PutInput{
		Data: in.Data, UID: in.UID, Fallback: Span{in.Start, in.End},
	}, Conditions(cond))
	return etag, created, davErr(err)
}

// DeleteObject implements dav.Backend.
func (b *DAVBackend) DeleteObject(ctx context.Context, collID, name string, cond dav.Conditions) error {
	if _, err := b.davCollectionNamed(ctx, collID); err != nil {
		return davErr(err)
	}
	return davErr(b.s.DeleteObject(ctx, collID, name, Conditions(cond)))
}

// Changes implements dav.Backend (RFC 6578).
func (b *DAVBackend) Changes(ctx context.Context, collID, since string) ([]dav.Object, []string, string, error) {
	c, err := b.davCollectionNamed(ctx, collID)
	if err != nil {
		return nil, nil, "", davErr(err)
	}
	var rev int64
	if since != "" {
		id, r, ok := parseSyncToken(since)
		if !ok || id != c.ID {
			return nil, nil, "", fmt.Errorf("store: token %q of %s: %w", since, collID, dav.ErrInvalidSyncToken)
		}
		rev = r
	}
	changed, deleted, cur, err := b.s.Changes(ctx, collID, rev)
	if errors.Is(err, ErrPrecondition) {
		return nil, nil, "", fmt.Errorf("%w: %w", dav.ErrInvalidSyncToken, err)
	}
	if err != nil {
		return nil, nil, "", davErr(err)
	}
	c.Revision = cur
	return davObjects(changed), deleted, syncToken(c), nil
}

func parseSyncToken(tok string) (collID, rev int64, ok bool) {
	rest, found := strings.CutPrefix(tok, tokenPrefix)
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, ":")
	if !found {
		return 0, 0, false
	}
	collID, err1 := strconv.ParseInt(a, 10, 64)
	rev, err2 := strconv.ParseInt(b, 10, 64)
	return collID, rev, err1 == nil && err2 == nil && rev >= 0
}
