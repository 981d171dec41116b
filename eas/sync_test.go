package eas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func mailAdd(id, subject string) *wbxml.Node {
	return el(wbxml.AirSyncAdd, el(wbxml.AirSyncServerId, id), el(wbxml.AirSyncApplicationData,
		el(wbxml.EmailSubject, subject),
		el(wbxml.EmailRead, "0"),
		el(wbxml.AirSyncBaseBody, el(wbxml.AirSyncBaseType, "1"), el(wbxml.AirSyncBaseData, "body of "+subject))))
}

func TestSyncSeveralCollections(t *testing.T) {
	f := newFake(t)
	f.on("Sync", reply(el(wbxml.AirSyncSync, el(wbxml.AirSyncCollections,
		el(wbxml.AirSyncCollection,
			el(wbxml.AirSyncSyncKey, "m2"),
			el(wbxml.AirSyncCollectionId, "inbox"),
			el(wbxml.AirSyncStatus, "1"),
			el(wbxml.AirSyncCommands,
				mailAdd("1", "first"),
				mailAdd("2", "second"),
				el(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, "3"), el(wbxml.AirSyncApplicationData, el(wbxml.EmailRead, "1"))),
				el(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, "4")),
				el(wbxml.AirSyncSoftDelete, el(wbxml.AirSyncServerId, "5")),
			),
			el(wbxml.AirSyncMoreAvailable),
		),
		el(wbxml.AirSyncCollection,
			el(wbxml.AirSyncSyncKey, "c2"),
			el(wbxml.AirSyncCollectionId, "contacts"),
			el(wbxml.AirSyncStatus, "1"),
			el(wbxml.AirSyncResponses,
				el(wbxml.AirSyncAdd, el(wbxml.AirSyncClientId, "client-1"), el(wbxml.AirSyncServerId, "srv-1"), el(wbxml.AirSyncStatus, "1")),
				el(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, "srv-9"), el(wbxml.AirSyncStatus, "7")),
				el(wbxml.AirSyncFetch, el(wbxml.AirSyncServerId, "srv-2"), el(wbxml.AirSyncStatus, "1"),
					el(wbxml.AirSyncApplicationData, el(wbxml.ContactsFirstName, "Ann"))),
			),
		),
	))))
	c := newTestClient(t, f, nil)
	conflict := 1
	req := &SyncRequest{Collections: []SyncCollection{
		{CollectionID: "inbox", SyncKey: "m1", Class: ClassEmail, GetChanges: true, WindowSize: 600,
			Options: &SyncOptions{FilterType: 3, MIMESupport: 2, Conflict: &conflict,
				BodyPreferences: []BodyPreference{{Type: 4, TruncationSize: 100000}, {Type: 1, Preview: 200}}}},
		{CollectionID: "contacts", SyncKey: "c1", Class: ClassContacts,
			Adds:    []ClientAdd{{ClientID: "client-1", Item: &Contact{FirstName: "Bob", LastName: "Builder"}}},
			Changes: []ClientChange{{ServerID: "srv-9", Item: &Contact{FirstName: "Changed"}}},
			Deletes: []string{"srv-3"},
			Fetches: []string{"srv-2"}},
	}, WindowSize: 100}
	var got []string
	res, err := c.Sync(context.Background(), req, func(ch ServerChange) error {
		s := fmt.Sprintf("%s %s %s", ch.CollectionID, ch.Kind, ch.ServerID)
		switch it := ch.Item.(type) {
		case *Email:
			s += " subject=" + it.Subject
			if it.Body != nil {
				s += " body=" + it.Body.String()
			}
		case *Contact:
			s += " first=" + it.FirstName
		}
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"inbox Add 1 subject=first body=body of first",
		"inbox Add 2 subject=second body=body of second",
		"inbox Change 3 subject=",
		"inbox Delete 4",
		"inbox SoftDelete 5",
		"contacts Fetch srv-2 first=Ann",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	in := res.Collection("inbox")
	if in.SyncKey != "m2" || !in.MoreAvailable || in.Err != nil {
		t.Errorf("inbox result %+v", in)
	}
	co := res.Collection("contacts")
	if co.SyncKey != "c2" || len(co.Adds) != 1 || co.Adds[0] != (AddResult{"client-1", "srv-1", 1}) ||
		len(co.Changes) != 1 || co.Changes[0].Status != 7 {
		t.Errorf("contacts result %+v", co)
	}
	// The request as sent.
	r := f.requests("Sync")[0].Body
	cols := child(r, wbxml.AirSyncCollections).Children
	if len(cols) != 2 || text(cols[0], wbxml.AirSyncGetChanges) != "1" || text(cols[0], wbxml.AirSyncWindowSize) != "512" {
		t.Errorf("first collection: %s", cols[0].XML())
	}
	opts := child(cols[0], wbxml.AirSyncOptions)
	if text(opts, wbxml.AirSyncFilterType) != "3" || text(opts, wbxml.AirSyncMIMESupport) != "2" || text(opts, wbxml.AirSyncConflict) != "1" || len(opts.Children) != 5 {
		t.Errorf("options: %s", opts.XML())
	}
	cmds := child(cols[1], wbxml.AirSyncCommands)
	if cmds == nil || len(cmds.Children) != 4 || text(cmds.Children[0], wbxml.AirSyncClientId) != "client-1" ||
		text(cmds.Children[0], wbxml.ContactsLastName) != "Builder" || text(cmds.Children[2], wbxml.AirSyncServerId) != "srv-3" {
		t.Errorf("commands: %s", cmds.XML())
	}
	if child(cols[1], wbxml.AirSyncClass) != nil {
		t.Errorf("Class sent with 14.1")
	}
}

func TestSyncKeyZeroAndEmptyResponse(t *testing.T) {
	f := newFake(t)
	f.versions = "12.1"
	n := 0
	f.on("Sync", func(w http.ResponseWriter, r *fakeReq) {
		n++
		if n == 1 {
			// SOGo: key 0 answers "-1" without items.
			writeNode(w, el(wbxml.AirSyncSync, el(wbxml.AirSyncCollections, el(wbxml.AirSyncCollection,
				el(wbxml.AirSyncClass, "Email"), el(wbxml.AirSyncSyncKey, "-1"), el(wbxml.AirSyncCollectionId, "inbox"), el(wbxml.AirSyncStatus, "1")))))
			return
		}
		w.Header().Set("Content-Type", contentTypeWBXML) // no changes: empty body
	})
	c := newTestClient(t, f, nil)
	res, err := c.Sync(context.Background(), &SyncRequest{Collections: []SyncCollection{{CollectionID: "inbox", Class: ClassEmail, GetChanges: true}}}, nil)
	if err != nil || res.Collection("inbox").SyncKey != "-1" {
		t.Fatalf("first sync %+v %v", res, err)
	}
	first := f.requests("Sync")[0].Body
	if text(first, wbxml.AirSyncSyncKey) != "0" || child(first, wbxml.AirSyncGetChanges) != nil || text(first, wbxml.AirSyncClass) != "Email" {
		t.Errorf("key 0 request: %s", first.XML())
	}
	res, err = c.Sync(context.Background(), &SyncRequest{Collections: []SyncCollection{{CollectionID: "inbox", SyncKey: "-1", Class: ClassEmail, GetChanges: true}}},
		func(ServerChange) error { t.Error("change in an empty response"); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if cr := res.Collection("inbox"); cr.SyncKey != "-1" || !cr.NoChanges {
		t.Errorf("empty response: %+v", cr)
	}
	// 12.1 sends GetChanges as an empty element.
	if g := child(f.requests("Sync")[1].Body, wbxml.AirSyncGetChanges); g == nil || len(g.Text) != 0 {
		t.Errorf("12.1 GetChanges: %v", g)
	}
}

func TestSyncStatuses(t *testing.T) {
	tests := []struct {
		name      string
		top       string
		colStatus string
		is        error
		want      string
	}{
		{"invalid key", "", "3", ErrInvalidSyncKey, "collection inbox: eas: invalid sync key, the collection must be synced again from key 0 (Sync status 3)"},
		{"hierarchy", "", "12", ErrHierarchyChanged, "collection inbox: eas: the folder hierarchy changed, a FolderSync is needed (Sync status 12)"},
		{"top hierarchy", "12", "", ErrHierarchyChanged, "eas: the folder hierarchy changed, a FolderSync is needed (Sync status 12)"},
		{"top retry", "16", "", ErrUnavailable, "eas: the server is temporarily unavailable, retry later (server asked to retry)"},
		{"top throttled", "111", "", ErrUnavailable, "eas: the server is temporarily unavailable, retry later (server error, retry later)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			var kids []any
			if tt.top != "" {
				kids = append(kids, el(wbxml.AirSyncStatus, tt.top))
			} else {
				kids = append(kids, el(wbxml.AirSyncCollections, el(wbxml.AirSyncCollection,
					el(wbxml.AirSyncSyncKey, "k"), el(wbxml.AirSyncCollectionId, "inbox"), el(wbxml.AirSyncStatus, tt.colStatus),
					el(wbxml.AirSyncCommands, mailAdd("1", "must not be delivered")))))
			}
			f.on("Sync", reply(el(wbxml.AirSyncSync, kids...)))
			c := newTestClient(t, f, nil)
			res, err := c.Sync(context.Background(), &SyncRequest{Collections: []SyncCollection{{CollectionID: "inbox", SyncKey: "k", Class: ClassEmail}}},
				func(ServerChange) error { t.Error("change of a failed collection delivered"); return nil })
			if !errors.Is(err, tt.is) || err.Error() != tt.want {
				t.Errorf("err = %v", err)
			}
			if tt.top == "" && (res == nil || res.Collection("inbox").Err == nil) {
				t.Errorf("collection result without error")
			}
		})
	}
}

func TestSyncHandlerErrorAborts(t *testing.T) {
	f := newFake(t)
	f.on("Sync", reply(el(wbxml.AirSyncSync, el(wbxml.AirSyncCollections, el(wbxml.AirSyncCollection,
		el(wbxml.AirSyncSyncKey, "k2"), el(wbxml.AirSyncCollectionId, "inbox"), el(wbxml.AirSyncStatus, "1"),
		el(wbxml.AirSyncCommands, mailAdd("1", "a"), mailAdd("2", "b")))))))
	c := newTestClient(t, f, nil)
	boom := errors.New("disk full")
	calls := 0
	_, err := c.Sync(context.Background(), &SyncRequest{Collections: []SyncCollection{{CollectionID: "inbox", SyncKey: "k", Class: ClassEmail}}},
		func(ServerChange) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("err %v calls %d", err, calls)
	}
}

func TestSyncRejectsHTML(t *testing.T) {
	f := newFake(t)
	f.on("Sync", func(w http.ResponseWriter, _ *fakeReq) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>login</html>"))
	})
	c := newTestClient(t, f, nil)
	_, err := c.Sync(context.Background(), &SyncRequest{Collections: []SyncCollection{{CollectionID: "inbox", SyncKey: "k"}}}, nil)
	if !errors.Is(err, ErrNotWBXML) {
		t.Errorf("err = %v", err)
	}
}

func TestSyncLongPollVersions(t *testing.T) {
	for _, tt := range []struct {
		versions string
		tag      wbxml.Tag
		want     string
	}{{"14.1", wbxml.AirSyncHeartbeatInterval, "300"}, {"12.1", wbxml.AirSyncWait, "5"}} {
		f := newFake(t)
		f.versions = tt.versions
		f.on("Sync", func(w http.ResponseWriter, _ *fakeReq) {})
		c := newTestClient(t, f, nil)
		if _, err := c.Sync(context.Background(), &SyncRequest{HeartbeatInterval: 300e9, Collections: []SyncCollection{{CollectionID: "x", SyncKey: "k"}}}, nil); err != nil {
			t.Fatal(err)
		}
		if got := text(f.requests("Sync")[0].Body, tt.tag); got != tt.want {
			t.Errorf("%s: %s = %q", tt.versions, tt.tag, got)
		}
	}
}
