package dav

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakeBackend is an in-memory Backend for tests and benchmarks: a real,
// if simple, implementation of the contract (revisions, change log,
// spans), not a mock.
type fakeBackend struct {
	mu    sync.Mutex
	rev   int64
	colls map[string]*fakeColl
	// puts counts successful PutObject calls, so tests can check that a
	// refused PUT never reached the Backend.
	puts int
}

type fakeColl struct {
	c    Collection
	objs map[string]*fakeObj
	uids map[string]string // UID -> name
	// changed maps a name to the revision of its last write or delete.
	changed map[string]int64
	deleted map[string]bool
	born    int64
}

type fakeObj struct {
	o          Object
	start, end time.Time
}

func newFakeBackend(colls ...Collection) *fakeBackend {
	b := &fakeBackend{colls: map[string]*fakeColl{}}
	for _, c := range colls {
		if _, err := b.CreateCollection(context.Background(), c); err != nil {
			panic(err)
		}
	}
	return b
}

func (b *fakeBackend) bump(fc *fakeColl) {
	b.rev++
	fc.c.CTag = strconv.FormatInt(b.rev, 10)
	fc.c.SyncToken = fmt.Sprintf("urn:easbridge:sync:%s:%d", fc.c.ID, b.rev)
}

func (b *fakeBackend) get(id string) (*fakeColl, error) {
	fc, ok := b.colls[id]
	if !ok {
		return nil, fmt.Errorf("fake: collection %q: %w", id, ErrNotFound)
	}
	return fc, nil
}

func (b *fakeBackend) Collections(ctx context.Context) ([]Collection, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Collection
	for _, fc := range b.colls {
		out = append(out, fc.c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (b *fakeBackend) Collection(ctx context.Context, id string) (Collection, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(id)
	if err != nil {
		return Collection{}, err
	}
	return fc.c, nil
}

func (b *fakeBackend) CreateCollection(ctx context.Context, c Collection) (Collection, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.colls[c.ID]; ok {
		return Collection{}, fmt.Errorf("fake: collection %q: %w", c.ID, ErrExists)
	}
	fc := &fakeColl{c: c, objs: map[string]*fakeObj{}, uids: map[string]string{}, changed: map[string]int64{}, deleted: map[string]bool{}}
	b.bump(fc)
	fc.born = b.rev
	b.colls[c.ID] = fc
	return fc.c, nil
}

func (b *fakeBackend) UpdateCollection(ctx context.Context, id string, displayName, color *string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(id)
	if err != nil {
		return err
	}
	if displayName != nil {
		fc.c.DisplayName = *displayName
	}
	if color != nil {
		fc.c.Color = *color
	}
	b.bump(fc)
	return nil
}

func (b *fakeBackend) DeleteCollection(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.get(id); err != nil {
		return err
	}
	delete(b.colls, id)
	return nil
}

func (b *fakeBackend) Objects(ctx context.Context, collID string) ([]Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(collID)
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(fc.objs))
	for _, fo := range fc.objs {
		o := fo.o
		o.Data = nil
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *fakeBackend) GetObjects(ctx context.Context, collID string, names []string) ([]Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(collID)
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(names))
	for _, n := range names {
		if fo, ok := fc.objs[n]; ok {
			out = append(out, fo.o)
		}
	}
	return out, nil
}

func (b *fakeBackend) QueryTimeRange(ctx context.Context, collID string, start, end time.Time) ([]Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(collID)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, fo := range fc.objs {
		noSpan := fo.start.IsZero() && fo.end.IsZero()
		before := end.IsZero() || fo.start.IsZero() || fo.start.Before(end)
		after := start.IsZero() || fo.end.IsZero() || fo.end.After(start)
		if noSpan || (before && after) {
			out = append(out, fo.o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *fakeBackend) PutObject(ctx context.Context, collID, name string, in ObjectInput, cond Conditions) (string, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(collID)
	if err != nil {
		return "", false, err
	}
	cur, exists := fc.objs[name]
	if err := checkCond(cur, exists, cond); err != nil {
		return "", false, err
	}
	if n, ok := fc.uids[in.UID]; ok && n != name {
		return "", false, &UIDConflictError{Name: n}
	}
	if exists {
		delete(fc.uids, cur.o.UID)
	}
	fc.uids[in.UID] = name
	b.bump(fc)
	fc.objs[name] = &fakeObj{
		o: Object{
			Name: name, UID: in.UID, ETag: "e" + strconv.FormatInt(b.rev, 10),
			Data: append([]byte(nil), in.Data...), Size: int64(len(in.Data)),
			ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(b.rev) * time.Second),
		},
		start: in.Start, end: in.End,
	}
	fc.changed[name] = b.rev
	delete(fc.deleted, name)
	b.puts++
	return fc.objs[name].o.ETag, !exists, nil
}

func checkCond(cur *fakeObj, exists bool, cond Conditions) error {
	switch {
	case cond.IfMatch == "*" && !exists,
		cond.IfMatch != "" && cond.IfMatch != "*" && (!exists || cur.o.ETag != cond.IfMatch),
		cond.IfNoneMatch == "*" && exists,
		cond.IfNoneMatch != "" && cond.IfNoneMatch != "*" && exists && cur.o.ETag == cond.IfNoneMatch:
		return fmt.Errorf("fake: %w", ErrPreconditionFailed)
	}
	return nil
}

func (b *fakeBackend) DeleteObject(ctx context.Context, collID, name string, cond Conditions) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(collID)
	if err != nil {
		return err
	}
	cur, exists := fc.objs[name]
	if !exists {
		return fmt.Errorf("fake: object %q: %w", name, ErrNotFound)
	}
	if err := checkCond(cur, exists, cond); err != nil {
		return err
	}
	b.bump(fc)
	delete(fc.uids, cur.o.UID)
	delete(fc.objs, name)
	fc.changed[name] = b.rev
	fc.deleted[name] = true
	return nil
}

func (b *fakeBackend) Changes(ctx context.Context, collID, since string) ([]Object, []string, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fc, err := b.get(collID)
	if err != nil {
		return nil, nil, "", err
	}
	var from int64
	if since != "" {
		prefix := "urn:easbridge:sync:" + collID + ":"
		n, perr := strconv.ParseInt(strings.TrimPrefix(since, prefix), 10, 64)
		if !strings.HasPrefix(since, prefix) || perr != nil || n > b.rev || n < fc.born {
			return nil, nil, "", fmt.Errorf("fake: token %q: %w", since, ErrInvalidSyncToken)
		}
		from = n
	}
	var changed []Object
	var deleted []string
	for name, rev := range fc.changed {
		if rev <= from {
			continue
		}
		if fo, ok := fc.objs[name]; ok {
			o := fo.o
			o.Data = nil
			changed = append(changed, o)
		} else if since != "" {
			deleted = append(deleted, name)
		}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i].Name < changed[j].Name })
	sort.Strings(deleted)
	return changed, deleted, fc.c.SyncToken, nil
}
