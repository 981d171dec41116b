package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// openTest opens a store in a fresh temporary directory.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustCollection creates a collection or fails the test.
func mustCollection(t testing.TB, s *Store, name string, kind Kind) Collection {
	t.Helper()
	c, err := s.CreateCollection(context.Background(), Collection{Name: name, Kind: kind, DisplayName: name}, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOpenSetsPragmasAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000", "user_version": "2",
	} {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	mustCollection(t, s, "cal", KindEvents)
	s.Close()

	// Reopening migrates nothing and keeps the data.
	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CollectionByName(ctx, "cal"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path, nil); err == nil {
		t.Fatal("opened a database from a newer program")
	}
}

func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "file", "state.db"), nil); err == nil {
		t.Fatal("opened a database below a regular file")
	}
}

func TestCollections(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "work", KindEvents)
	if c.ID == 0 || c.SyncKey != "0" || c.Revision != 0 {
		t.Errorf("new collection = %+v", c)
	}
	if _, err := s.CreateCollection(ctx, Collection{Name: "work", Kind: KindTasks}, false); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate name: err = %v, want ErrExists", err)
	}
	for _, bad := range []Collection{{Name: "a/b", Kind: KindEvents}, {Name: "", Kind: KindEvents}, {Name: "x", Kind: "bogus"}} {
		if _, err := s.CreateCollection(ctx, bad, false); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateCollection(%+v): err = %v, want ErrInvalid", bad, err)
		}
	}
	name, color, sid := "Work", "#ff0000", "7"
	if err := s.UpdateCollection(ctx, "work", CollectionUpdate{DisplayName: &name, Color: &color, ServerID: &sid}, false); err != nil {
		t.Fatal(err)
	}
	got, err := s.CollectionByServerID(ctx, "7")
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Work" || got.Color != "#ff0000" || got.Name != "work" {
		t.Errorf("after update: %+v", got)
	}
	if err := s.DeleteCollection(ctx, "work", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CollectionByName(ctx, "work"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteCollection(ctx, "work", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
}

func TestLocalCollectionChangesAreQueued(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.CreateCollection(ctx, Collection{Name: "new", Kind: KindEvents}, true); err != nil {
		t.Fatal(err)
	}
	var ops []string
	rows, err := s.r.QueryContext(ctx, `SELECT op FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var op string
		rows.Scan(&op)
		ops = append(ops, op)
	}
	rows.Close()
	if len(ops) != 1 || ops[0] != string(opFolderCreate) {
		t.Errorf("outbox = %v, want [folder-create]", ops)
	}
}

func TestSyncKeyIsCompareAndSwap(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "cal", KindEvents)
	if err := s.SetSyncKey(ctx, c.ID, "0", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSyncKey(ctx, c.ID, "0", "2"); !errors.Is(err, ErrPrecondition) {
		t.Errorf("stale key: err = %v, want ErrPrecondition", err)
	}
	if err := s.SetSyncKey(ctx, 999, "0", "2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("absent collection: err = %v, want ErrNotFound", err)
	}
	got, _ := s.CollectionByName(ctx, "cal")
	if got.SyncKey != "1" {
		t.Errorf("sync key = %q, want 1", got.SyncKey)
	}
}

func TestMeta(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if v, err := s.Meta(ctx, "foldersync"); err != nil || v != "" {
		t.Fatalf("unset meta = %q, %v", v, err)
	}
	for _, v := range []string{"1", "2"} {
		if err := s.SetMeta(ctx, "foldersync", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.Meta(ctx, "foldersync"); v != "2" {
		t.Errorf("meta = %q, want 2", v)
	}
	// "" removes the row: per-item keys do not pile up.
	if err := s.SetMeta(ctx, "foldersync", ""); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key = 'foldersync'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("meta rows after setting \"\": %d (%v), want 0", n, err)
	}
	if v, err := s.Meta(ctx, "foldersync"); err != nil || v != "" {
		t.Errorf("meta after setting \"\" = %q, %v", v, err)
	}
}
