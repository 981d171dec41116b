package eas

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func folderAdd(id, parent, name, typ string) *wbxml.Node {
	return el(wbxml.FolderHierarchyAdd, el(wbxml.FolderHierarchyServerId, id), el(wbxml.FolderHierarchyParentId, parent),
		el(wbxml.FolderHierarchyDisplayName, name), el(wbxml.FolderHierarchyType, typ))
}

func TestFolderSync(t *testing.T) {
	f := newFake(t)
	f.on("FolderSync", reply(el(wbxml.FolderHierarchyFolderSync,
		el(wbxml.FolderHierarchyStatus, "1"),
		el(wbxml.FolderHierarchySyncKey, "fk1"),
		el(wbxml.FolderHierarchyChanges,
			el(wbxml.FolderHierarchyCount, "4"),
			folderAdd("mail%2Finbox", "0", "INBOX", "2"),
			folderAdd("mail%2Fsub", "mail%2Finbox", "Sub", "12"),
			el(wbxml.FolderHierarchyUpdate, el(wbxml.FolderHierarchyServerId, "vevent%2Fpersonal"), el(wbxml.FolderHierarchyParentId, "0"),
				el(wbxml.FolderHierarchyDisplayName, "Calendar"), el(wbxml.FolderHierarchyType, "8")),
			el(wbxml.FolderHierarchyDelete, el(wbxml.FolderHierarchyServerId, "old")),
		))))
	c := newTestClient(t, f, nil)
	fc, err := c.FolderSync(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if fc.SyncKey != "fk1" || len(fc.Added) != 2 || len(fc.Updated) != 1 || len(fc.Deleted) != 1 || fc.Deleted[0] != "old" {
		t.Fatalf("%+v", fc)
	}
	if fc.Added[1] != (Folder{"mail%2Fsub", "mail%2Finbox", "Sub", FolderUserMail}) || fc.Updated[0].Type.Class() != ClassCalendar {
		t.Errorf("%+v", fc)
	}
	if text(f.requests("FolderSync")[0].Body, wbxml.FolderHierarchySyncKey) != "0" {
		t.Error("empty key not sent as 0")
	}
}

func TestFolderCreateUpdateDelete(t *testing.T) {
	f := newFake(t)
	f.on("FolderCreate", reply(el(wbxml.FolderHierarchyFolderCreate, el(wbxml.FolderHierarchyStatus, "1"),
		el(wbxml.FolderHierarchySyncKey, "fk2"), el(wbxml.FolderHierarchyServerId, "mail%2Fnew"))))
	f.on("FolderUpdate", reply(el(wbxml.FolderHierarchyFolderUpdate, el(wbxml.FolderHierarchyStatus, "1"), el(wbxml.FolderHierarchySyncKey, "fk3"))))
	f.on("FolderDelete", func(w http.ResponseWriter, r *fakeReq) {
		writeNode(w, el(wbxml.FolderHierarchyFolderDelete, el(wbxml.FolderHierarchyStatus, "4")))
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	id, key, err := c.FolderCreate(ctx, "fk1", "", "New", FolderUserMail)
	if err != nil || id != "mail%2Fnew" || key != "fk2" {
		t.Fatalf("create %q %q %v", id, key, err)
	}
	req := f.requests("FolderCreate")[0].Body
	if text(req, wbxml.FolderHierarchyParentId) != "0" || text(req, wbxml.FolderHierarchyType) != "12" || text(req, wbxml.FolderHierarchyDisplayName) != "New" {
		t.Errorf("create request %s", req.XML())
	}
	key, err = c.FolderUpdate(ctx, key, id, "0", "Renamed")
	if err != nil || key != "fk3" {
		t.Fatalf("update %q %v", key, err)
	}
	_, err = c.FolderDelete(ctx, key, id)
	if !errors.Is(err, errFolderNotFound) || err.Error() != "eas: the folder does not exist (FolderDelete status 4)" {
		t.Errorf("delete: %v", err)
	}
}
