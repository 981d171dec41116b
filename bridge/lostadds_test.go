package bridge

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/dav"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// An add whose answer was lost (sent, applied by the server, the
// connection dropped or the bridge killed before the answer was
// committed), on a server that then reports the item as one of its own
// adds instead of replaying its answer (SOGo): the server add is the
// local item, so neither side gets a second copy. Contacts and tasks
// carry no UID over EAS, so only their content can tell.
func TestLostAddAnswerCreatesNoDuplicate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		coll, name string
		kind       store.Kind
		typ        int
		data       string
	}{
		{"contacts", "c1.vcf", store.KindContacts, eastest.TypeContacts,
			"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Local Contact\r\nN:Contact;Local;;;\r\nTEL;TYPE=CELL:+1 555 0101\r\nEND:VCARD\r\n"},
		{"tasks", "t1.ics", store.KindTasks, eastest.TypeTasks,
			"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20260301T000000Z\r\n" +
				"DUE;VALUE=DATE:20260708\r\nSUMMARY:Local task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.coll, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			v := newEnv(t, eastest.Config{}, Config{})
			v.syncOnce()
			if _, _, err := v.e.DAV().PutObject(ctx, tt.coll, tt.name, dav.ObjectInput{Data: []byte(tt.data)}, dav.Conditions{}); err != nil {
				t.Fatal(err)
			}
			c, err := v.st.CollectionByName(ctx, tt.coll)
			if err != nil {
				t.Fatal(err)
			}
			// The add leaves with its ClientId...
			sent, err := v.st.TakeOutbox(ctx, c.ID, 10)
			if err != nil || len(sent) != 1 {
				t.Fatalf("outbox: %v %v", sent, err)
			}
			// ...the server creates the item, and the answer is lost.
			l, err := parseLocal(tt.kind, sent[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			it, err := v.e.toServer(tt.kind, l, "")
			if err != nil {
				t.Fatal(err)
			}
			folder := v.srv.FolderID("alice", tt.typ)
			if _, err := v.srv.AddItem("alice", folder, it); err != nil {
				t.Fatal(err)
			}
			v.syncOnce()
			v.syncOnce()
			if ids := v.srv.ItemIDs("alice", folder); len(ids) != 1 {
				t.Errorf("server holds %d items, want 1", len(ids))
			}
			objs := v.objects(tt.coll)
			if _, ok := objs[tt.name]; len(objs) != 1 || !ok {
				t.Errorf("mirror holds %v, want only %s", keys(objs), tt.name)
			}
			if n, err := v.st.PendingCount(ctx, c.ID); err != nil || n != 0 {
				t.Errorf("%d changes still pending (%v)", n, err)
			}
		})
	}
}

// The same lost answer on a server that never reports the item it made
// (SOGo, when the item was created in the same second as the client's
// key): the folder is resynced from key 0 before the add is sent again,
// and the server's copy is matched instead of made twice.
func TestLostAddNeverReportedCreatesNoDuplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newEnv(t, eastest.Config{}, Config{})
	v.syncOnce()
	card := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Local Contact\r\nN:Contact;Local;;;\r\nEND:VCARD\r\n"
	if _, _, err := v.e.DAV().PutObject(ctx, "contacts", "c1.vcf", dav.ObjectInput{Data: []byte(card)}, dav.Conditions{}); err != nil {
		t.Fatal(err)
	}
	c, err := v.st.CollectionByName(ctx, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	sent, err := v.st.TakeOutbox(ctx, c.ID, 10)
	if err != nil || len(sent) != 1 {
		t.Fatalf("outbox: %v %v", sent, err)
	}
	l, err := parseLocal(store.KindContacts, sent[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	it, err := v.e.toServer(store.KindContacts, l, "")
	if err != nil {
		t.Fatal(err)
	}
	folder := v.srv.FolderID("alice", eastest.TypeContacts)
	if _, err := v.srv.AddItem("alice", folder, it); err != nil {
		t.Fatal(err)
	}
	// The device's key moves past the new item without the store seeing
	// it, as SOGo's whole-second keys make it happen.
	res, err := v.e.c.Sync(ctx, &eas.SyncRequest{Collections: []eas.SyncCollection{{CollectionID: c.ServerID,
		SyncKey: c.SyncKey, Class: classOf(c.Kind), GetChanges: true}}}, func(eas.ServerChange) error { return nil })
	if err != nil || res.Collection(c.ServerID) == nil {
		t.Fatalf("sync: %v", err)
	}
	if err := v.st.SetSyncKey(ctx, c.ID, c.SyncKey, res.Collection(c.ServerID).SyncKey); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	v.syncOnce()
	if ids := v.srv.ItemIDs("alice", folder); len(ids) != 1 {
		t.Errorf("server holds %d contacts, want 1", len(ids))
	}
	if objs := v.objects("contacts"); len(objs) != 1 {
		t.Errorf("mirror holds %v, want only c1.vcf", keys(objs))
	}
}

// A resync from key 0 re-reports every item as an add; for items with a
// waiting local edit or delete that re-report is no change and must not
// undo them.
func TestResyncKeepsWaitingLocalChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newEnv(t, eastest.Config{}, Config{})
	folder := v.srv.FolderID("alice", eastest.TypeContacts)
	for _, n := range []string{"Keep", "Edit", "Gone"} {
		if _, err := v.srv.AddItem("alice", folder, &eas.Contact{FirstName: n, LastName: "Ames"}); err != nil {
			t.Fatal(err)
		}
	}
	v.syncOnce()
	objs := v.objects("contacts")
	for name, data := range objs {
		switch {
		case strings.Contains(data, "Gone"):
			if err := v.e.DAV().DeleteObject(ctx, "contacts", name, dav.Conditions{}); err != nil {
				t.Fatal(err)
			}
		case strings.Contains(data, "Edit"):
			data = strings.Replace(data, "Edit", "Edited", -1)
			if _, _, err := v.e.DAV().PutObject(ctx, "contacts", name, dav.ObjectInput{Data: []byte(data)}, dav.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := v.st.CollectionByName(ctx, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	// An add whose answer was lost makes the engine resync the folder
	// from key 0, pulling before anything is sent.
	card := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:n1\r\nFN:New Ames\r\nN:Ames;New;;;\r\nEND:VCARD\r\n"
	if _, _, err := v.e.DAV().PutObject(ctx, "contacts", "n1.vcf", dav.ObjectInput{Data: []byte(card)}, dav.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.st.TakeOutbox(ctx, c.ID, 10); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	v.syncOnce()
	var names []string
	for _, id := range v.srv.ItemIDs("alice", folder) {
		it, err := v.srv.Item("alice", folder, id)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, it.(*eas.Contact).FirstName)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "Edited,Keep,New" {
		t.Errorf("server holds %v, want the edit and no deleted contact", names)
	}
	if o := v.objects("contacts"); len(o) != 3 || countContaining(o, "Gone") != 0 || countContaining(o, "Edited") != 1 {
		t.Errorf("mirror holds %v", o)
	}
}

// SOGo re-sends an item created in its key's second as a Change of an
// item the client never had: a lost add is matched all the same.
func TestLostAddReportedAsChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newEnv(t, eastest.Config{}, Config{})
	v.syncOnce()
	card := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Local Contact\r\nN:Contact;Local;;;\r\nEND:VCARD\r\n"
	if _, _, err := v.e.DAV().PutObject(ctx, "contacts", "c1.vcf", dav.ObjectInput{Data: []byte(card)}, dav.Conditions{}); err != nil {
		t.Fatal(err)
	}
	c, err := v.st.CollectionByName(ctx, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	sent, err := v.st.TakeOutbox(ctx, c.ID, 10)
	if err != nil || len(sent) != 1 {
		t.Fatalf("outbox: %v %v", sent, err)
	}
	l, err := parseLocal(store.KindContacts, sent[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	it, err := v.e.toServer(store.KindContacts, l, "s1")
	if err != nil {
		t.Fatal(err)
	}
	st := &collSync{c: c}
	if err := v.e.fromServer(ctx, st, eas.ServerChange{Kind: eas.ChangeModify, ServerID: "s1", CollectionID: c.ServerID, Item: it}); err != nil {
		t.Fatal(err)
	}
	if len(st.changes) != 1 || st.changes[0].LocalID != "c1.vcf" {
		t.Errorf("the Change of an unknown item was not matched to the lost add: %+v", st.changes)
	}
}

// A restarted bridge finds an add that was sent and never answered; the
// server may still be applying it (the killed process's request, or one
// whose connection dropped). The resync from key 0 waits for the grace
// period since the start or since the last Sync with adds, so the
// server's copy is there to be matched instead of a second one made; the
// fake sleep plays the server finishing that request meanwhile.
func TestLostAddResyncWaitsForServer(t *testing.T) {
	t.Parallel()
	const grace = 12 * time.Second
	tests := []struct {
		name              string
		sinceStart        time.Duration
		sinceAdd          time.Duration // 0: no add sent by this engine
		cancel            bool
		wantSleep         time.Duration
		wantServerItems   int
		wantErr, wantNoop bool
	}{
		{name: "just restarted", sinceStart: 2 * time.Second, wantSleep: 10 * time.Second, wantServerItems: 1},
		{name: "add sent lately", sinceStart: time.Minute, sinceAdd: 5 * time.Second, wantSleep: 7 * time.Second, wantServerItems: 1},
		{name: "long ago", sinceStart: time.Minute, wantNoop: true, wantServerItems: 1},
		{name: "cancelled", sinceStart: time.Second, cancel: true, wantSleep: 11 * time.Second, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			v := newEnv(t, eastest.Config{}, Config{})
			folder := v.srv.FolderID("alice", eastest.TypeContacts)
			knownID, err := v.srv.AddItem("alice", folder, &eas.Contact{FirstName: "Known", LastName: "Person", FileAs: "Person, Known"})
			if err != nil {
				t.Fatal(err)
			}
			v.syncOnce()
			// A local edit of a known contact, waiting beside the add:
			// it is sent while the add is held.
			for name, data := range v.objects("contacts") {
				v.put("contacts", name, []byte(strings.Replace(data, "Person;Known", "Edited;Known", 1)))
			}
			card := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Late Contact\r\nN:Contact;Late;;;\r\nEND:VCARD\r\n"
			if _, _, err := v.e.DAV().PutObject(ctx, "contacts", "c1.vcf", dav.ObjectInput{Data: []byte(card)}, dav.Conditions{}); err != nil {
				t.Fatal(err)
			}
			c, err := v.st.CollectionByName(ctx, "contacts")
			if err != nil {
				t.Fatal(err)
			}
			sent, err := v.st.TakeOutbox(ctx, c.ID, 10)
			if err != nil || len(sent) != 2 {
				t.Fatalf("outbox: %v %v", sent, err)
			}
			l, err := parseLocal(store.KindContacts, sent[1].Data)
			if err != nil {
				t.Fatal(err)
			}
			it, err := v.e.toServer(store.KindContacts, l, "")
			if err != nil {
				t.Fatal(err)
			}
			now := t0
			v.e.started = now.Add(-tt.sinceStart)
			if tt.sinceAdd > 0 {
				v.e.addSent = now.Add(-tt.sinceAdd)
			}
			applied := false
			apply := func() {
				if applied {
					return
				}
				applied = true
				if _, err := v.srv.AddItem("alice", folder, it); err != nil {
					t.Error(err)
				}
			}
			if tt.wantNoop {
				apply() // long since applied
			}
			v.addEvent("Meanwhile", "srv-meanwhile")
			var slept []time.Duration
			v.e.hooks.lostAddGrace = grace
			v.e.hooks.now = func() time.Time { return now }
			v.e.hooks.sleep = func(ctx context.Context, d time.Duration, _ <-chan struct{}) bool {
				slept = append(slept, d)
				if len(v.objects("calendar")) != 1 {
					t.Error("the other folders waited for the held one")
				}
				if it, err := v.srv.Item("alice", folder, knownID); err != nil || it.(*eas.Contact).LastName != "Edited" {
					t.Errorf("the edit of a known contact waited for the held add: %+v %v", it, err)
				}
				if tt.cancel {
					cancel()
					return false
				}
				now = now.Add(d)
				apply() // the server finishes the request while we wait
				return true
			}
			err = v.e.SyncOnce(ctx)
			if (err != nil) != tt.wantErr {
				t.Fatalf("sync: %v, want error %v", err, tt.wantErr)
			}
			var want []time.Duration
			if tt.wantSleep > 0 {
				want = []time.Duration{tt.wantSleep}
			}
			if !reflect.DeepEqual(slept, want) {
				t.Errorf("slept %v, want %v", slept, want)
			}
			if tt.wantErr {
				return
			}
			if ids := v.srv.ItemIDs("alice", folder); len(ids) != tt.wantServerItems+1 {
				t.Errorf("server holds %d items, want %d", len(ids), tt.wantServerItems)
			}
			if objs := v.objects("contacts"); len(objs) != 2 {
				t.Errorf("mirror holds %v, want c1.vcf and the known one", keys(objs))
			}
		})
	}
}

// A resync from key 0 reports only what the server has: a contact the
// server deleted whose Delete was never applied here (the resync replaces
// the key that would have brought it) is removed locally, and one with a
// waiting local edit is kept (an edit against a delete keeps the edit).
func TestLostAddResyncDropsServerDeletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newEnv(t, eastest.Config{}, Config{})
	folder := v.srv.FolderID("alice", eastest.TypeContacts)
	gone, err := v.srv.AddItem("alice", folder, &eas.Contact{FirstName: "Gone", LastName: "Person", FileAs: "Person, Gone"})
	if err != nil {
		t.Fatal(err)
	}
	edited, err := v.srv.AddItem("alice", folder, &eas.Contact{FirstName: "Edited", LastName: "Person", FileAs: "Person, Edited"})
	if err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	for name, data := range v.objects("contacts") {
		if strings.Contains(data, "Edited") {
			v.put("contacts", name, []byte(strings.Replace(data, "Person;Edited", "Kept;Edited", 1)))
		}
	}
	must(t, v.srv.DeleteItem("alice", folder, gone))
	must(t, v.srv.DeleteItem("alice", folder, edited))
	card := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Local Contact\r\nN:Contact;Local;;;\r\nEND:VCARD\r\n"
	v.put("contacts", "c1.vcf", []byte(card))
	c, err := v.st.CollectionByName(ctx, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	if sent, err := v.st.TakeOutbox(ctx, c.ID, 10); err != nil || len(sent) != 2 {
		t.Fatalf("outbox: %v %v", sent, err) // the add leaves and its answer is lost
	}
	v.syncOnce()
	var got []string
	for _, data := range v.objects("contacts") {
		for _, l := range strings.Split(data, "\r\n") {
			if strings.HasPrefix(l, "N:") {
				got = append(got, l)
			}
		}
	}
	sort.Strings(got)
	if want := []string{"N:Contact;Local;;;", "N:Kept;Edited;;;"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("mirror holds %q, want %q", got, want)
	}
}
