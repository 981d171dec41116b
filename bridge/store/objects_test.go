package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func event(uid string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

func put(t testing.TB, s *Store, coll, name, uid string) string {
	t.Helper()
	etag, _, err := s.PutObject(context.Background(), coll, name, PutInput{Data: event(uid), UID: uid}, Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	return etag
}

func TestPutGetDelete(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustCollection(t, s, "cal", KindEvents)
	etag1, created, err := s.PutObject(ctx, "cal", "a.ics", PutInput{Data: event("a"), UID: "a"}, Conditions{})
	if err != nil || !created {
		t.Fatalf("first put: created=%v err=%v", created, err)
	}
	etag2, created, err := s.PutObject(ctx, "cal", "a.ics", PutInput{Data: event("a"), UID: "a"}, Conditions{})
	if err != nil || created {
		t.Fatalf("overwrite: created=%v err=%v", created, err)
	}
	if etag1 == etag2 {
		t.Error("overwrite kept the ETag")
	}
	objs, err := s.GetObjects(ctx, "cal", []string{"a.ics", "missing.ics"})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || string(objs[0].Data) != string(event("a")) || objs[0].ETag != etag2 || objs[0].Size != int64(len(event("a"))) {
		t.Fatalf("GetObjects = %+v", objs)
	}
	list, err := s.Objects(ctx, "cal")
	if err != nil || len(list) != 1 || list[0].Data != nil {
		t.Fatalf("Objects = %+v, %v (want one, without data)", list, err)
	}
	if err := s.DeleteObject(ctx, "cal", "a.ics", Conditions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, "cal", "a.ics", Conditions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Objects(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("absent collection: %v, want ErrNotFound", err)
	}
	if _, _, err := s.PutObject(ctx, "cal", "../x", PutInput{Data: event("x")}, Conditions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v, want ErrInvalid", err)
	}
}

func TestConditions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustCollection(t, s, "cal", KindEvents)
	etag := put(t, s, "cal", "a.ics", "a")
	tests := []struct {
		name   string
		object string
		cond   Conditions
		ok     bool
	}{
		{"no condition", "a.ics", Conditions{}, true},
		{"if-match current", "a.ics", Conditions{IfMatch: "CURRENT"}, true},
		{"if-match stale", "a.ics", Conditions{IfMatch: "old"}, false},
		{"if-match any, exists", "a.ics", Conditions{IfMatch: "*"}, true},
		{"if-match any, absent", "b.ics", Conditions{IfMatch: "*"}, false},
		{"if-match tag, absent", "b.ics", Conditions{IfMatch: "CURRENT"}, false},
		{"if-none-match any, exists", "a.ics", Conditions{IfNoneMatch: "*"}, false},
		{"if-none-match any, absent", "c.ics", Conditions{IfNoneMatch: "*"}, true},
		{"if-none-match current", "a.ics", Conditions{IfNoneMatch: "CURRENT"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, _ := s.CollectionByName(ctx, "cal")
			uid := tt.object
			cond := tt.cond
			for _, v := range []*string{&cond.IfMatch, &cond.IfNoneMatch} {
				if *v == "CURRENT" {
					*v = etag
				}
			}
			newTag, _, err := s.PutObject(ctx, "cal", tt.object, PutInput{Data: event(uid), UID: uid}, cond)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrPrecondition) {
					t.Errorf("err = %v, want ErrPrecondition", err)
				}
				after, _ := s.CollectionByName(ctx, "cal")
				if after.Revision != cur.Revision {
					t.Error("a refused write moved the revision")
				}
			} else if tt.object == "a.ics" {
				etag = newTag
			}
		})
	}
	if err := s.DeleteObject(ctx, "cal", "a.ics", Conditions{IfMatch: "stale"}); !errors.Is(err, ErrPrecondition) {
		t.Errorf("delete with stale If-Match: %v", err)
	}
}

// A write refused inside its transaction leaves nothing behind: no object,
// no revision, no change-log entry, no outbox row.
func TestFailedWriteLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustCollection(t, s, "cal", KindEvents)
	put(t, s, "cal", "a.ics", "same-uid")
	before := dump(t, s)
	_, _, err := s.PutObject(ctx, "cal", "b.ics", PutInput{Data: event("same-uid"), UID: "same-uid"}, Conditions{})
	var uc *UIDConflictError
	if !errors.As(err, &uc) || uc.Name != "a.ics" || !errors.Is(err, ErrUIDConflict) {
		t.Fatalf("err = %v, want a UID conflict naming a.ics", err)
	}
	if after := dump(t, s); after != before {
		t.Errorf("failed write changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

// dump summarises every table's row count and the collection revisions.
func dump(t testing.TB, s *Store) string {
	t.Helper()
	out := ""
	for _, table := range []string{"collection", "object", "span", "change", "item", "outbox", "conflict"} {
		var n int
		if err := s.r.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%s=%d ", table, n)
	}
	var revs, keys string
	s.r.QueryRow("SELECT group_concat(revision), group_concat(sync_key) FROM collection").Scan(&revs, &keys)
	return out + "revisions=" + revs + " keys=" + keys
}

func TestChangesAndTombstones(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustCollection(t, s, "cal", KindEvents)
	put(t, s, "cal", "a.ics", "a")
	put(t, s, "cal", "b.ics", "b")
	_, _, rev, err := s.Changes(ctx, "cal", 0)
	if err != nil || rev != 2 {
		t.Fatalf("rev = %d, %v", rev, err)
	}
	put(t, s, "cal", "b.ics", "b")
	put(t, s, "cal", "c.ics", "c")
	if err := s.DeleteObject(ctx, "cal", "a.ics", Conditions{}); err != nil {
		t.Fatal(err)
	}
	changed, deleted, rev2, err := s.Changes(ctx, "cal", rev)
	if err != nil {
		t.Fatal(err)
	}
	if names(changed) != "b.ics,c.ics" || fmt.Sprint(deleted) != "[a.ics]" || rev2 != 5 {
		t.Errorf("changes = %s deleted %v rev %d", names(changed), deleted, rev2)
	}
	all, deleted, _, _ := s.Changes(ctx, "cal", 0)
	if names(all) != "b.ics,c.ics" || len(deleted) != 0 {
		t.Errorf("initial = %s deleted %v", names(all), deleted)
	}
	if _, _, _, err := s.Changes(ctx, "cal", 99); !errors.Is(err, ErrPrecondition) {
		t.Errorf("future revision: %v", err)
	}
	// Re-creating a deleted name clears its tombstone.
	put(t, s, "cal", "a.ics", "a")
	changed, deleted, _, _ = s.Changes(ctx, "cal", rev2)
	if names(changed) != "a.ics" || len(deleted) != 0 {
		t.Errorf("after re-create: %s deleted %v", names(changed), deleted)
	}
}

func names(objs []Object) string {
	out := ""
	for i, o := range objs {
		if i > 0 {
			out += ","
		}
		out += o.Name
	}
	return out
}

// Concurrent writers and readers: every write lands, readers never fail.
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustCollection(t, s, "cal", KindEvents)
	const writers, each = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				uid := fmt.Sprintf("w%d-%d", w, i)
				if _, _, err := s.PutObject(ctx, "cal", uid+".ics", PutInput{Data: event(uid), UID: uid}, Conditions{}); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range each {
				if _, err := s.Objects(ctx, "cal"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	objs, _ := s.Objects(ctx, "cal")
	c, _ := s.CollectionByName(ctx, "cal")
	if len(objs) != writers*each || c.Revision != writers*each {
		t.Errorf("objects = %d revision = %d, want %d", len(objs), c.Revision, writers*each)
	}
}
