package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/dav"
)

func TestDAVBackend(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	b := s.DAV()
	mustCollection(t, s, "INBOX", KindMail)
	cal, err := b.CreateCollection(ctx, dav.Collection{ID: "cal", Kind: dav.KindEvents, DisplayName: "Cal"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateCollection(ctx, dav.Collection{ID: "cal", Kind: dav.KindTasks}); !errors.Is(err, dav.ErrExists) {
		t.Errorf("duplicate: %v, want dav.ErrExists", err)
	}
	colls, _ := b.Collections(ctx)
	if len(colls) != 1 || colls[0].ID != "cal" || colls[0].Kind != dav.KindEvents {
		t.Errorf("collections = %+v (mail folders must be hidden)", colls)
	}
	if _, err := b.Collection(ctx, "INBOX"); !errors.Is(err, dav.ErrNotFound) {
		t.Errorf("mail folder over DAV: %v", err)
	}
	color := "#00ff00"
	if err := b.UpdateCollection(ctx, "cal", nil, &color); err != nil {
		t.Fatal(err)
	}
	etag, created, err := b.PutObject(ctx, "cal", "a.ics", dav.ObjectInput{Data: event("a"), UID: "a"}, dav.Conditions{IfNoneMatch: "*"})
	if err != nil || !created {
		t.Fatalf("put: %v %v", created, err)
	}
	if _, _, err := b.PutObject(ctx, "cal", "a.ics", dav.ObjectInput{Data: event("a"), UID: "a"}, dav.Conditions{IfNoneMatch: "*"}); !errors.Is(err, dav.ErrPreconditionFailed) {
		t.Errorf("If-None-Match * on existing: %v", err)
	}
	_, _, err = b.PutObject(ctx, "cal", "b.ics", dav.ObjectInput{Data: event("a"), UID: "a"}, dav.Conditions{})
	var uc *dav.UIDConflictError
	if !errors.As(err, &uc) || uc.Name != "a.ics" {
		t.Errorf("uid conflict: %v", err)
	}
	got, _ := b.Collection(ctx, "cal")
	if got.Color != "#00ff00" || got.SyncToken == cal.SyncToken || got.CTag != got.SyncToken {
		t.Errorf("after put: %+v (token before %s)", got, cal.SyncToken)
	}
	changed, deleted, tok, err := b.Changes(ctx, "cal", "")
	if err != nil || len(changed) != 1 || changed[0].ETag != etag || len(deleted) != 0 || tok != got.SyncToken {
		t.Fatalf("initial changes = %+v %v %s %v", changed, deleted, tok, err)
	}
	if err := b.DeleteObject(ctx, "cal", "a.ics", dav.Conditions{IfMatch: etag}); err != nil {
		t.Fatal(err)
	}
	changed, deleted, tok2, err := b.Changes(ctx, "cal", tok)
	if err != nil || len(changed) != 0 || len(deleted) != 1 || deleted[0] != "a.ics" || tok2 == tok {
		t.Fatalf("changes since %s = %+v %v %s %v", tok, changed, deleted, tok2, err)
	}
	for _, bad := range []string{"garbage", tokenPrefix + "999:1", strings.TrimSuffix(tok2, "2") + "99"} {
		if _, _, _, err := b.Changes(ctx, "cal", bad); !errors.Is(err, dav.ErrInvalidSyncToken) {
			t.Errorf("token %q: %v, want dav.ErrInvalidSyncToken", bad, err)
		}
	}
	if err := b.DeleteCollection(ctx, "cal"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Objects(ctx, "cal"); !errors.Is(err, dav.ErrNotFound) {
		t.Errorf("objects of deleted collection: %v", err)
	}
}
