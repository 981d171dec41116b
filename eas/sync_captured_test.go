package eas

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// serveFile answers with a captured response from testdata/client.
func serveFile(t *testing.T, name string) handler {
	b, err := os.ReadFile(filepath.Join("testdata", "client", name))
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, _ *fakeReq) {
		w.Header().Set("Content-Type", contentTypeWBXML)
		w.Write(b)
	}
}

// TestCapturedSOGoResponses decodes real server answers.
func TestCapturedSOGoResponses(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	c := newTestClient(t, f, nil)

	f.on("Provision", serveFile(t, "provision-sogo.wbxml"))
	if p, err := c.Provision(ctx); err != nil || !p.None() || c.PolicyKey() != "" {
		t.Errorf("Provision: %+v %v", p, err)
	}
	f.on("Settings", serveFile(t, "settings-sogo.wbxml"))
	if ui, err := c.UserInformation(ctx); err != nil || ui.PrimaryAddress != "user1@example.test" || ui.DisplayName != "Test User 1" {
		t.Errorf("Settings: %+v %v", ui, err)
	}
	f.on("FolderSync", serveFile(t, "foldersync-sogo.wbxml"))
	fc, err := c.FolderSync(ctx, "0")
	if err != nil || len(fc.Added) != 9 || fc.SyncKey == "" {
		t.Fatalf("FolderSync: %+v %v", fc, err)
	}
	types := map[FolderType]string{}
	for _, fo := range fc.Added {
		types[fo.Type] = fo.ServerID
	}
	if types[FolderContacts] != "vcard%2Fpersonal" || types[FolderCalendar] != "vevent%2Fpersonal" || types[FolderTasks] != "vtodo%2Fpersonal" || types[FolderInbox] == "" {
		t.Errorf("folders %v", types)
	}

	f.on("Sync", serveFile(t, "sync-inbox-key0.wbxml"))
	res, err := c.Sync(ctx, &SyncRequest{Collections: []SyncCollection{{CollectionID: types[FolderInbox], Class: ClassEmail}}}, nil)
	if err != nil || res.Collection(types[FolderInbox]).SyncKey != "-1" {
		t.Errorf("Sync key 0: %+v %v", res, err)
	}
	for _, tt := range []struct {
		file  string
		id    string
		class Class
		more  bool
	}{
		{"sync-inbox-items.wbxml", types[FolderInbox], ClassEmail, true},
		{"sync-contacts-items.wbxml", "vcard%2Fpersonal", ClassContacts, true},
		{"sync-calendar-items.wbxml", "vevent%2Fpersonal", ClassCalendar, true},
	} {
		f.on("Sync", serveFile(t, tt.file))
		n := 0
		res, err := c.Sync(ctx, &SyncRequest{Collections: []SyncCollection{{CollectionID: tt.id, SyncKey: "-1", Class: tt.class, GetChanges: true}}},
			func(ch ServerChange) error {
				n++
				if ch.Err != nil || ch.Kind != ChangeAdd || ch.Item == nil || ch.Item.Class() != tt.class {
					t.Errorf("%s: change %+v", tt.file, ch)
				}
				switch it := ch.Item.(type) {
				case *Email:
					if it.Subject == "" || it.Body == nil || it.Body.String() == "" {
						t.Errorf("%s: mail %+v", tt.file, it)
					}
				case *Event:
					if it.Subject == "" || it.StartTime.IsZero() {
						t.Errorf("%s: event %+v", tt.file, it)
					}
				case *Contact:
					if it.FileAs == "" && it.LastName == "" {
						t.Errorf("%s: contact %+v", tt.file, it)
					}
				}
				return nil
			})
		if err != nil || n == 0 {
			t.Fatalf("%s: %d changes, %v", tt.file, n, err)
		}
		if cr := res.Collection(tt.id); cr == nil || cr.MoreAvailable != tt.more || cr.SyncKey == "" {
			t.Errorf("%s: result %+v", tt.file, cr)
		}
	}

	f.on("Search", serveFile(t, "search-gal.wbxml"))
	if gal, err := c.SearchGAL(ctx, "user2", 5); err != nil || len(gal.Entries) != 1 || gal.Entries[0].EmailAddress != "user2@example.test" {
		t.Errorf("Search: %+v %v", gal, err)
	}
	f.on("Ping", serveFile(t, "ping-changes.wbxml"))
	if p, err := c.Ping(ctx, 0, nil); err != nil || p.Status != PingChanges || len(p.Folders) != 1 || p.Folders[0] != "vcard%2Fpersonal" {
		t.Errorf("Ping: %+v %v", p, err)
	}
}
