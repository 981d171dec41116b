package store

import (
	"context"
	"errors"
	"testing"
)

func TestFolderChanges(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.CreateCollection(ctx, Collection{Name: "new", Kind: KindEvents, DisplayName: "New"}, true); err != nil {
		t.Fatal(err)
	}
	mustCollection(t, s, "old", KindContacts)
	sid := "9"
	if err := s.UpdateCollection(ctx, "old", CollectionUpdate{ServerID: &sid}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCollection(ctx, "old", true); err != nil {
		t.Fatal(err)
	}
	fcs, err := s.FolderChanges(ctx)
	if err != nil || len(fcs) != 2 || fcs[0].Op != "create" || fcs[0].Collection.Name != "new" ||
		fcs[1].Op != "delete" || fcs[1].Collection.ServerID != "9" {
		t.Fatalf("folder changes = %+v, %v", fcs, err)
	}
	key, _ := s.FolderSyncKey(ctx)
	if err := s.CompleteFolderChange(ctx, fcs[0], "12", "stale", "2"); !errors.Is(err, ErrPrecondition) {
		t.Errorf("stale folder key: %v", err)
	}
	if err := s.CompleteFolderChange(ctx, fcs[0], "12", key, "2"); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteFolderChange(ctx, fcs[1], "", "2", "3"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.CollectionByServerID(ctx, "12"); err != nil || c.Name != "new" {
		t.Errorf("created folder = %+v, %v", c, err)
	}
	if fcs, _ := s.FolderChanges(ctx); len(fcs) != 0 {
		t.Errorf("left over: %+v", fcs)
	}
	if key, _ := s.FolderSyncKey(ctx); key != "3" {
		t.Errorf("folder sync key = %q", key)
	}
}
