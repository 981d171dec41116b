package store

import (
	"context"
	"errors"
	"testing"
)

// pendingOps returns the outbox as "op:local_id" strings, in order.
func pendingOps(t testing.TB, s *Store) []string {
	t.Helper()
	rows, err := s.r.Query(`SELECT op, local_id FROM outbox WHERE op IN ('add', 'change', 'delete') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var op, id string
		rows.Scan(&op, &id)
		out = append(out, op+":"+id)
	}
	return out
}

func TestOutboxMerging(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		known bool // the server already has the item
		steps []bool
		want  string
	}{
		{"new item", false, []bool{false}, "[add:a.ics]"},
		{"new item written twice", false, []bool{false, false}, "[add:a.ics]"},
		{"new item deleted before sending", false, []bool{false, true}, "[]"},
		{"known item changed", true, []bool{false}, "[change:a.ics]"},
		{"known item changed twice", true, []bool{false, false}, "[change:a.ics]"},
		{"known item changed then deleted", true, []bool{false, true}, "[delete:a.ics]"},
		{"known item deleted then re-created", true, []bool{true, false}, "[change:a.ics]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			c := mustCollection(t, s, "cal", KindEvents)
			if tt.known {
				err := s.ApplyServerChanges(ctx, c.ID, "0", "1", []ServerItemChange{
					{Op: ServerAdd, ServerID: "1:1", LocalID: "a.ics", UID: "a", Data: event("a")}})
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, del := range tt.steps {
				var err error
				if del {
					err = s.DeleteObject(ctx, "cal", "a.ics", Conditions{})
				} else {
					_, _, err = s.PutObject(ctx, "cal", "a.ics", PutInput{Data: event("a"), UID: "a"}, Conditions{})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := sprint(pendingOps(t, s)); got != tt.want {
				t.Errorf("outbox = %s, want %s", got, tt.want)
			}
		})
	}
}

func sprint(v []string) string {
	out := "["
	for i, s := range v {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out + "]"
}

// The whole local -> server round: take (ClientId persisted and stable on
// retry), complete with the ServerId and the new SyncKey in one step.
func TestOutboxRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "cal", KindEvents)
	put(t, s, "cal", "a.ics", "a")
	first, err := s.TakeOutbox(ctx, c.ID, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("TakeOutbox = %+v, %v", first, err)
	}
	e := first[0]
	if e.Op != OpAdd || e.ClientID == "" || string(e.Data) != string(event("a")) || e.Attempts != 1 {
		t.Errorf("entry = %+v", e)
	}
	// A change made while the add is in flight queues separately and is
	// not handed out before the add completes.
	put(t, s, "cal", "a.ics", "a")
	retry, _ := s.TakeOutbox(ctx, c.ID, 10)
	if len(retry) != 1 || retry[0].ClientID != e.ClientID || retry[0].Attempts != 2 {
		t.Fatalf("retry = %+v, want the same ClientId again", retry)
	}
	// A stale SyncKey changes nothing.
	if err := s.CompleteOutbox(ctx, c.ID, "7", "8", []OutboxResult{{ID: e.ID, ServerID: "1:5"}}); !errors.Is(err, ErrPrecondition) {
		t.Fatalf("stale key: %v", err)
	}
	if err := s.CompleteOutbox(ctx, c.ID, "0", "1", []OutboxResult{{ID: e.ID, ServerID: "1:5"}}); err != nil {
		t.Fatal(err)
	}
	it, err := s.ItemByServerID(ctx, c.ID, "1:5")
	if err != nil || it.LocalID != "a.ics" || it.BaseSyncKey != "1" || it.Base == nil {
		t.Fatalf("item = %+v, %v", it, err)
	}
	next, _ := s.TakeOutbox(ctx, c.ID, 10)
	if len(next) != 1 || next[0].Op != OpChange || next[0].ServerID != "1:5" {
		t.Fatalf("after add: %+v, want the change with its ServerId", next)
	}
	// The server rejects it: quarantined, visible, no longer handed out.
	if err := s.CompleteOutbox(ctx, c.ID, "1", "2", []OutboxResult{{ID: next[0].ID, Failure: "status 6"}}); err != nil {
		t.Fatal(err)
	}
	q, _ := s.Quarantined(ctx)
	if len(q) != 1 || q[0].Reason != "status 6" || q[0].LocalID != "a.ics" {
		t.Errorf("quarantined = %+v", q)
	}
	if more, _ := s.TakeOutbox(ctx, c.ID, 10); len(more) != 0 {
		t.Errorf("quarantined entry handed out again: %+v", more)
	}
	if n, _ := s.PendingCount(ctx, c.ID); n != 0 {
		t.Errorf("pending = %d", n)
	}
}

func TestApplyServerChanges(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "cal", KindEvents)
	err := s.ApplyServerChanges(ctx, c.ID, "0", "1", []ServerItemChange{
		{Op: ServerAdd, ServerID: "1:1", LocalID: "a.ics", UID: "a", Data: event("a")},
		{Op: ServerAdd, ServerID: "1:2", LocalID: "b.ics", UID: "b", Data: event("b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ops := pendingOps(t, s); len(ops) != 0 {
		t.Errorf("server changes were queued back: %v", ops)
	}
	// A local edit of b, then a server change of b (server wins: the
	// pending edit is dropped, the loser recorded) and a delete of a.
	put(t, s, "cal", "b.ics", "b")
	err = s.ApplyServerChanges(ctx, c.ID, "1", "2", []ServerItemChange{
		{Op: ServerChange, ServerID: "1:2", UID: "b", Data: event("b"),
			Conflict: &Conflict{ServerID: "1:2", LocalID: "b.ics", Winner: "server", LoserData: []byte("local"), Reason: "both changed", SyncKey: "2"}},
		{Op: ServerDelete, ServerID: "1:1"},
		{Op: ServerDelete, ServerID: "1:99"}, // unknown: ignored
	})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := s.Objects(ctx, "cal")
	if names(objs) != "b.ics" {
		t.Errorf("objects = %s", names(objs))
	}
	if ops := pendingOps(t, s); len(ops) != 0 {
		t.Errorf("outbox = %v, want the losing edit dropped", ops)
	}
	conf, _ := s.Conflicts(ctx)
	if len(conf) != 1 || string(conf[0].LoserData) != "local" || conf[0].Collection != "cal" {
		t.Errorf("conflicts = %+v", conf)
	}
	it, _ := s.ItemByLocalID(ctx, c.ID, "b.ics")
	if it.ServerID != "1:2" || it.BaseSyncKey != "2" {
		t.Errorf("item = %+v", it)
	}
	if _, err := s.ItemByServerID(ctx, c.ID, "1:1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted item still mapped: %v", err)
	}
}

// A batch with one bad item applies nothing, and the SyncKey stays.
func TestApplyServerChangesIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "cal", KindEvents)
	before := dump(t, s)
	err := s.ApplyServerChanges(ctx, c.ID, "0", "1", []ServerItemChange{
		{Op: ServerAdd, ServerID: "1:1", LocalID: "a.ics", UID: "a", Data: event("a")},
		{Op: ServerAdd, ServerID: "1:2", LocalID: "bad/name", UID: "b", Data: event("b")},
	})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if after := dump(t, s); after != before {
		t.Errorf("failed batch changed the database:\nbefore %s\nafter  %s", before, after)
	}
	if err := s.ApplyServerChanges(ctx, c.ID, "5", "6", nil); !errors.Is(err, ErrPrecondition) {
		t.Errorf("stale key: %v", err)
	}
}

// Mail folders keep only the ServerId map; the items live in the Maildir.
func TestMailItems(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "INBOX", KindMail)
	err := s.ApplyServerChanges(ctx, c.ID, "0", "1", []ServerItemChange{
		{Op: ServerAdd, ServerID: "5:1", LocalID: "1700000000.M1P2.host", Base: []byte("\\Seen")}})
	if err != nil {
		t.Fatal(err)
	}
	it, err := s.ItemByServerID(ctx, c.ID, "5:1")
	if err != nil || it.LocalID != "1700000000.M1P2.host" || string(it.Base) != "\\Seen" {
		t.Errorf("item = %+v, %v", it, err)
	}
	if _, _, err := s.PutObject(ctx, "INBOX", "x.ics", PutInput{Data: event("x")}, Conditions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("DAV write into a mail folder: %v", err)
	}
}

// A resync re-adds items under new ServerIds: they are matched to the
// objects already there by UID, without duplicates.
func TestResyncMatchesByUID(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "cal", KindEvents)
	put(t, s, "cal", "client-name.ics", "shared-uid")
	err := s.ApplyServerChanges(ctx, c.ID, "0", "1", []ServerItemChange{
		{Op: ServerAdd, ServerID: "1:7", LocalID: "shared-uid.ics", UID: "shared-uid", Data: event("shared-uid")}})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := s.Objects(ctx, "cal")
	if names(objs) != "client-name.ics" {
		t.Errorf("objects = %s, want the existing one reused", names(objs))
	}
	if it, err := s.ItemByServerID(ctx, c.ID, "1:7"); err != nil || it.LocalID != "client-name.ics" {
		t.Errorf("item = %+v, %v", it, err)
	}
}
