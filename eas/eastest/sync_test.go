package eastest

import (
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

func deliverN(t *testing.T, srv *Server, user string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id, err := srv.DeliverMail(user, testMail("carol@example.net", user+"@example.test", fmt.Sprintf("mail %d", i), "hello"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestSyncKeysAndWindow(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	ids := deliverN(t, srv, "alice", 5)
	k0 := c.initSync(inbox)

	req := syncReq(inbox, k0, num(wbxml.AirSyncWindowSize, 2))
	r1 := c.do("Sync", req)
	coll := collection(t, r1)
	if !has(coll, wbxml.AirSyncMoreAvailable) {
		t.Fatalf("no MoreAvailable with 5 items and window 2: %s", r1.XML())
	}
	got := serverIDs(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncAdd)
	if !slices.Equal(got, ids[:2]) {
		t.Fatalf("first window %v, want %v", got, ids[:2])
	}
	k1 := mustText(t, coll, wbxml.AirSyncSyncKey)
	if k1 == k0 {
		t.Fatal("the key did not change")
	}
	// A retry with the previous key (answer lost) gets the same answer.
	again := c.do("Sync", req)
	if again.XML() != r1.XML() {
		t.Fatalf("retry differs:\n%s\n---\n%s", again.XML(), r1.XML())
	}
	var rest []string
	key := k1
	for i := 0; i < 5; i++ {
		coll = collection(t, c.do("Sync", syncReq(inbox, key, num(wbxml.AirSyncWindowSize, 2))))
		rest = append(rest, serverIDs(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncAdd)...)
		key = mustText(t, coll, wbxml.AirSyncSyncKey)
		if !has(coll, wbxml.AirSyncMoreAvailable) {
			break
		}
	}
	if !slices.Equal(rest, ids[2:]) {
		t.Fatalf("remaining windows %v, want %v", rest, ids[2:])
	}
	// k0 is now two steps back: invalid
	coll = collection(t, c.do("Sync", syncReq(inbox, k0)))
	if st := mustText(t, coll, wbxml.AirSyncStatus); st != "3" {
		t.Errorf("stale key: status %s, want 3", st)
	}
	if st := mustText(t, collection(t, c.do("Sync", syncReq(inbox, "garbage"))), wbxml.AirSyncStatus); st != "3" {
		t.Errorf("unknown key: status %s, want 3", st)
	}
	if st := mustText(t, collection(t, c.do("Sync", syncReq("999", "0"))), wbxml.AirSyncStatus); st != "12" {
		t.Errorf("unknown collection: status %s, want 12", st)
	}
}

func TestSyncServerChangesAndDeletes(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	cal := srv.FolderID("alice", TypeCalendar)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	id, err := srv.AddItem("alice", cal, &eas.Event{Subject: "Standup", StartTime: start, EndTime: start.Add(time.Hour), UID: "uid-1"})
	if err != nil {
		t.Fatal(err)
	}
	key := c.initSync(cal)
	coll := collection(t, c.do("Sync", syncReq(cal, key)))
	add0 := path(coll, wbxml.AirSyncCommands, wbxml.AirSyncAdd)
	if text(add0, wbxml.AirSyncServerId) != id || mustText(t, add0, wbxml.AirSyncApplicationData, wbxml.CalendarSubject) != "Standup" {
		t.Fatalf("initial pull: %s", coll.XML())
	}
	key = mustText(t, coll, wbxml.AirSyncSyncKey)
	if err := srv.ChangeItem("alice", cal, id, &eas.Event{Subject: "Standup (moved)", StartTime: start, EndTime: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	coll = collection(t, c.do("Sync", syncReq(cal, key)))
	if got := mustText(t, coll, wbxml.AirSyncCommands, wbxml.AirSyncChange, wbxml.AirSyncApplicationData, wbxml.CalendarSubject); got != "Standup (moved)" {
		t.Fatalf("change: %q", got)
	}
	key = mustText(t, coll, wbxml.AirSyncSyncKey)
	if err := srv.DeleteItem("alice", cal, id); err != nil {
		t.Fatal(err)
	}
	coll = collection(t, c.do("Sync", syncReq(cal, key)))
	if got := serverIDs(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncDelete); !slices.Equal(got, []string{id}) {
		t.Fatalf("delete: %s", coll.XML())
	}
	key = mustText(t, coll, wbxml.AirSyncSyncKey)
	coll = collection(t, c.do("Sync", syncReq(cal, key)))
	if has(coll, wbxml.AirSyncCommands) {
		t.Errorf("nothing changed, but: %s", coll.XML())
	}
}

func contactData(first, last string) *wbxml.Node {
	return box(wbxml.AirSyncApplicationData, el(wbxml.ContactsFirstName, first), el(wbxml.ContactsLastName, last))
}

func TestSyncClientAddChangeDelete(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	con := srv.FolderID("alice", TypeContacts)
	key := c.initSync(con)
	addCmd := box(wbxml.AirSyncCommands, box(wbxml.AirSyncAdd, el(wbxml.AirSyncClientId, "c-1"), contactData("Carol", "Client")))
	r := collection(t, c.do("Sync", syncReq(con, key, num(wbxml.AirSyncGetChanges, 0), addCmd)))
	resp := path(r, wbxml.AirSyncResponses, wbxml.AirSyncAdd)
	id := mustText(t, resp, wbxml.AirSyncServerId)
	if st := mustText(t, resp, wbxml.AirSyncStatus); st != "1" || mustText(t, resp, wbxml.AirSyncClientId) != "c-1" {
		t.Fatalf("Add response %s", r.XML())
	}
	key = mustText(t, r, wbxml.AirSyncSyncKey)
	// The same Add again under the new key (the client lost track): no duplicate.
	r = collection(t, c.do("Sync", syncReq(con, key, addCmd)))
	if got := mustText(t, r, wbxml.AirSyncResponses, wbxml.AirSyncAdd, wbxml.AirSyncServerId); got != id {
		t.Fatalf("repeated ClientId got %q, want %q", got, id)
	}
	if has(r, wbxml.AirSyncCommands) {
		t.Errorf("own Add echoed back: %s", r.XML())
	}
	if n := len(srv.ItemIDs("alice", con)); n != 1 {
		t.Fatalf("%d contacts after a repeated Add", n)
	}
	it, err := srv.Item("alice", con, id)
	if err != nil {
		t.Fatal(err)
	}
	if ct, ok := it.(*eas.Contact); !ok || ct.FirstName != "Carol" || ct.LastName != "Client" {
		t.Fatalf("stored item %#v", it)
	}
	key = mustText(t, r, wbxml.AirSyncSyncKey)
	chg := box(wbxml.AirSyncCommands, box(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, id), contactData("Caroline", "Client")))
	r = collection(t, c.do("Sync", syncReq(con, key, chg)))
	if has(r, wbxml.AirSyncResponses) || has(r, wbxml.AirSyncCommands) {
		t.Errorf("successful Change answered with %s", r.XML())
	}
	it, _ = srv.Item("alice", con, id)
	if ct := it.(*eas.Contact); ct.FirstName != "Caroline" {
		t.Errorf("after Change: %q", ct.FirstName)
	}
	key = mustText(t, r, wbxml.AirSyncSyncKey)
	fetch := box(wbxml.AirSyncCommands, box(wbxml.AirSyncFetch, el(wbxml.AirSyncServerId, id)),
		box(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, "nope"), contactData("x", "y")))
	r = collection(t, c.do("Sync", syncReq(con, key, fetch)))
	if got := mustText(t, r, wbxml.AirSyncResponses, wbxml.AirSyncFetch, wbxml.AirSyncApplicationData, wbxml.ContactsFirstName); got != "Caroline" {
		t.Errorf("Fetch: %q", got)
	}
	if got := mustText(t, r, wbxml.AirSyncResponses, wbxml.AirSyncChange, wbxml.AirSyncStatus); got != "8" {
		t.Errorf("Change of an unknown item: status %s, want 8", got)
	}
	key = mustText(t, r, wbxml.AirSyncSyncKey)
	del := box(wbxml.AirSyncCommands, box(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, id)))
	r = collection(t, c.do("Sync", syncReq(con, key, del)))
	if n := len(srv.ItemIDs("alice", con)); n != 0 {
		t.Errorf("%d contacts after Delete", n)
	}
}

func TestSyncConflict(t *testing.T) {
	for _, tc := range []struct {
		name     string
		conflict int
		status   string
		want     string
	}{
		{"server wins by default", -1, "7", "Server"},
		{"client wins", 0, "", "Client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, ts := newTestServer(t, Config{})
			c := newClient(t, ts)
			con := srv.FolderID("alice", TypeContacts)
			id, _ := srv.AddItem("alice", con, &eas.Contact{FirstName: "Dan", LastName: "Original"})
			key := c.initSync(con)
			key = mustText(t, collection(t, c.do("Sync", syncReq(con, key))), wbxml.AirSyncSyncKey)
			srv.ChangeItem("alice", con, id, &eas.Contact{FirstName: "Dan", LastName: "Server"})
			var extra []*wbxml.Node
			if tc.conflict >= 0 {
				extra = append(extra, box(wbxml.AirSyncOptions, num(wbxml.AirSyncConflict, tc.conflict)))
			}
			extra = append(extra, box(wbxml.AirSyncCommands, box(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, id), contactData("Dan", "Client"))))
			r := collection(t, c.do("Sync", syncReq(con, key, extra...)))
			if got := text(path(r, wbxml.AirSyncResponses, wbxml.AirSyncChange), wbxml.AirSyncStatus); got != tc.status {
				t.Errorf("Change status %q, want %q", got, tc.status)
			}
			it, _ := srv.Item("alice", con, id)
			if got := it.(*eas.Contact).LastName; got != tc.want {
				t.Errorf("stored LastName %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSyncMailDeleteMovesAndBody(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	trash := srv.FolderID("alice", TypeDeletedItems)
	ids := deliverN(t, srv, "alice", 1)
	key := c.initSync(inbox)
	opts := box(wbxml.AirSyncOptions, num(wbxml.AirSyncMIMESupport, 2),
		box(wbxml.AirSyncBaseBodyPreference, num(wbxml.AirSyncBaseType, 4)))
	coll := collection(t, c.do("Sync", syncReq(inbox, key, opts)))
	body := path(coll, wbxml.AirSyncCommands, wbxml.AirSyncAdd, wbxml.AirSyncApplicationData, wbxml.AirSyncBaseBody)
	if text(body, wbxml.AirSyncBaseType) != "4" || string(srv.MIME("alice", inbox, ids[0])) != text(body, wbxml.AirSyncBaseData) {
		t.Fatalf("MIME body: %s", coll.XML())
	}
	if got := mustText(t, coll, wbxml.AirSyncCommands, wbxml.AirSyncAdd, wbxml.AirSyncApplicationData, wbxml.EmailSubject); got != "mail 0" {
		t.Errorf("Subject %q", got)
	}
	key = mustText(t, coll, wbxml.AirSyncSyncKey)
	read := box(wbxml.AirSyncCommands, box(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, ids[0]),
		box(wbxml.AirSyncApplicationData, el(wbxml.EmailRead, "1"))))
	coll = collection(t, c.do("Sync", syncReq(inbox, key, read)))
	it, err := srv.Item("alice", inbox, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m := it.(*eas.Email); !m.Read || m.Subject != "mail 0" {
		t.Errorf("after marking read: Read=%v Subject=%q", m.Read, m.Subject)
	}
	key = mustText(t, coll, wbxml.AirSyncSyncKey)
	del := box(wbxml.AirSyncCommands, box(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, ids[0])))
	c.do("Sync", syncReq(inbox, key, del))
	if len(srv.ItemIDs("alice", inbox)) != 0 || len(srv.ItemIDs("alice", trash)) != 1 {
		t.Errorf("delete as move: inbox %v, trash %v", srv.ItemIDs("alice", inbox), srv.ItemIDs("alice", trash))
	}
}

func TestSyncLongPoll(t *testing.T) {
	srv, ts := newTestServer(t, Config{MinHeartbeat: 1})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	key := c.initSync(inbox)
	key = mustText(t, collection(t, c.do("Sync", syncReq(inbox, key))), wbxml.AirSyncSyncKey)
	// no change: the heartbeat ends with an empty answer, the key stays valid
	req := syncReq(inbox, key)
	add(req, num(wbxml.AirSyncHeartbeatInterval, 2))
	if r := c.do("Sync", req); r != nil {
		t.Fatalf("long poll without changes answered %s", r.XML())
	}
	long := syncReq(inbox, key)
	add(long, num(wbxml.AirSyncHeartbeatInterval, 3000)) // 30 s at the test's heartbeat unit
	done := make(chan *wbxml.Node)
	go func() {
		n, _ := c.try("Sync", long)
		done <- n
	}()
	waitForWaiter(t, srv, 1)
	srv.DeliverMail("alice", testMail("x@example.net", "alice@example.test", "wake", "up"))
	r := <-done
	if r == nil || len(serverIDs(path(r, wbxml.AirSyncCollections, wbxml.AirSyncCollection, wbxml.AirSyncCommands), wbxml.AirSyncAdd)) != 1 {
		t.Fatalf("long poll after a delivery: %v", r)
	}
}

func TestSync16ClientUIDAndInstanceID(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	c.version = "16.1"
	cal := srv.FolderID("alice", TypeCalendar)
	key := c.initSync(cal)
	ev := func(cid string) *wbxml.Node {
		return box(wbxml.AirSyncAdd, el(wbxml.AirSyncClientId, cid), box(wbxml.AirSyncApplicationData,
			el(wbxml.CalendarSubject, "Weekly"), el(wbxml.CalendarStartTime, "20260302T090000Z"),
			el(wbxml.CalendarEndTime, "20260302T100000Z"), el(wbxml.CalendarClientUid, "cuid-1"),
			box(wbxml.AirSyncBaseLocation, el(wbxml.AirSyncBaseDisplayName, "Room 1")),
			box(wbxml.CalendarRecurrence, num(wbxml.CalendarType, 1), num(wbxml.CalendarInterval, 1), num(wbxml.CalendarDayOfWeek, 2))))
	}
	r := collection(t, c.do("Sync", syncReq(cal, key, box(wbxml.AirSyncCommands, ev("a")))))
	id := mustText(t, r, wbxml.AirSyncResponses, wbxml.AirSyncAdd, wbxml.AirSyncServerId)
	key = mustText(t, r, wbxml.AirSyncSyncKey)
	// another ClientId, same ClientUid: the same event, not a second one
	r = collection(t, c.do("Sync", syncReq(cal, key, box(wbxml.AirSyncCommands, ev("b")))))
	if got := mustText(t, r, wbxml.AirSyncResponses, wbxml.AirSyncAdd, wbxml.AirSyncServerId); got != id {
		t.Fatalf("ClientUid duplicate got %q, want %q", got, id)
	}
	key = mustText(t, r, wbxml.AirSyncSyncKey)
	del := box(wbxml.AirSyncCommands, box(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, id), el(wbxml.AirSyncBaseInstanceId, "20260309T090000Z")))
	key = mustText(t, collection(t, c.do("Sync", syncReq(cal, key, del))), wbxml.AirSyncSyncKey)
	// change another occurrence (16.x: InstanceId beside ServerId)
	key = mustText(t, collection(t, c.do("Sync", syncReq(cal, key))), wbxml.AirSyncSyncKey)
	chg := box(wbxml.AirSyncCommands, box(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, id),
		el(wbxml.AirSyncBaseInstanceId, "20260316T090000Z"), box(wbxml.AirSyncApplicationData, el(wbxml.CalendarSubject, "Weekly (special)"))))
	r = collection(t, c.do("Sync", syncReq(cal, key, chg)))
	if has(r, wbxml.AirSyncResponses) {
		t.Errorf("Change with InstanceId answered %s", r.XML())
	}
	it, err := srv.Item("alice", cal, id)
	if err != nil {
		t.Fatal(err)
	}
	e := it.(*eas.Event)
	if len(e.Exceptions) != 2 || e.Subject != "Weekly" || e.Exceptions[1].Subject != "Weekly (special)" {
		t.Fatalf("exceptions after a Change with InstanceId: %+v", e.Exceptions)
	}
	if len(e.Exceptions) != 2 || e.Location == nil || e.Location.DisplayName != "Room 1" {
		t.Fatalf("event after deleting an occurrence: %+v", e)
	}
	if e.Exceptions[0].InstanceID.IsZero() {
		t.Errorf("exception without InstanceId: %+v", e.Exceptions[0])
	}
	// a 14.1 device gets Location as a string, a 16.1 one as AirSyncBase:Location
	id2, _ := srv.AddItem("alice", cal, &eas.Event{Subject: "Typed", Location: &eas.Location{DisplayName: "Hall"},
		StartTime: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), EndTime: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)})
	for _, v := range []string{"14.1", "16.1"} {
		d := newClient(t, ts)
		d.device, d.version = "dev-"+v, v
		k := d.initSync(cal)
		coll := collection(t, d.do("Sync", syncReq(cal, k)))
		for _, a := range all(path(coll, wbxml.AirSyncCommands), wbxml.AirSyncAdd) {
			if text(a, wbxml.AirSyncServerId) != id2 {
				continue
			}
			data := child(a, wbxml.AirSyncApplicationData)
			switch v {
			case "14.1":
				if text(data, wbxml.CalendarLocation) != "Hall" {
					t.Errorf("14.1 Location: %s", data.XML())
				}
			case "16.1":
				if text(child(data, wbxml.AirSyncBaseLocation), wbxml.AirSyncBaseDisplayName) != "Hall" {
					t.Errorf("16.1 Location: %s", data.XML())
				}
			}
		}
	}
}

func TestSyncEmptyWhenUnchanged(t *testing.T) {
	srv, ts := newTestServer(t, Config{EmptySyncWhenUnchanged: true})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	key := c.initSync(inbox)
	if r := c.do("Sync", syncReq(inbox, key)); r != nil {
		t.Fatalf("nothing to report, but: %s", r.XML())
	}
	deliverN(t, srv, "alice", 1)
	coll := collection(t, c.do("Sync", syncReq(inbox, key)))
	if len(serverIDs(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncAdd)) != 1 {
		t.Fatalf("the kept key does not bring the new mail: %s", coll.XML())
	}
}

func TestSyncEmptyRequestAndHardDelete(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	if r := c.do("Sync", nil); mustText(t, r, wbxml.AirSyncStatus) != "13" {
		t.Fatalf("empty Sync with nothing cached: %s", r.XML())
	}
	key := c.initSync(inbox)
	ids := deliverN(t, srv, "alice", 1)
	// The empty Sync repeats the last request with the current key.
	coll := collection(t, c.do("Sync", nil))
	if got := serverIDs(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncAdd); !slices.Equal(got, ids) {
		t.Fatalf("empty Sync brought %v, want %v", got, ids)
	}
	key = mustText(t, coll, wbxml.AirSyncSyncKey)
	del := box(wbxml.AirSyncCommands, box(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, ids[0])))
	c.do("Sync", syncReq(inbox, key, num(wbxml.AirSyncDeletesAsMoves, 0), del))
	if n := len(srv.ItemIDs("alice", srv.FolderID("alice", TypeDeletedItems))); n != 0 || len(srv.ItemIDs("alice", inbox)) != 0 {
		t.Errorf("DeletesAsMoves 0: %d in Deleted Items", n)
	}
}

func TestSyncFilterType(t *testing.T) {
	start := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // days after start; the handler reads it
	now := func() time.Time { return start.AddDate(0, 0, int(clock.Load())) }
	srv, ts := newTestServer(t, Config{Now: now})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	old, _ := srv.AddItem("alice", inbox, &eas.Email{Subject: "old", DateReceived: start.AddDate(0, 0, -20)})
	recent := deliverN(t, srv, "alice", 1)[0] // dated 2026-03-02
	key := c.initSync(inbox)
	week := box(wbxml.AirSyncOptions, num(wbxml.AirSyncFilterType, 3))
	coll := collection(t, c.do("Sync", syncReq(inbox, key, week)))
	if got := serverIDs(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncAdd); !slices.Equal(got, []string{recent}) {
		t.Fatalf("one week of %v and %v: got %v", old, recent, got)
	}
	key = mustText(t, coll, wbxml.AirSyncSyncKey)
	clock.Store(10) // the recent mail leaves the window
	coll = collection(t, c.do("Sync", syncReq(inbox, key, week)))
	if got := serverIDs(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncSoftDelete); !slices.Equal(got, []string{recent}) {
		t.Fatalf("SoftDelete: %s", coll.XML())
	}
}

func TestSyncRetryOfLostAddAnswer(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	con := srv.FolderID("alice", TypeContacts)
	key := c.initSync(con)
	req := syncReq(con, key, box(wbxml.AirSyncCommands,
		box(wbxml.AirSyncAdd, el(wbxml.AirSyncClientId, "x-1"), contactData("Eve", "Lost"))))
	// The answer is cut off on the way: the client never learns the ServerId.
	srv.Inject(Fault{Kind: FaultTruncate, Command: "Sync", Keep: 8})
	resp, body := c.raw(http.MethodPost, "Sync", "application/vnd.ms-sync.wbxml", mustEncode(t, req), "")
	if resp.StatusCode != 200 || len(body) != 8 {
		t.Fatalf("truncated answer: HTTP %d, %d bytes", resp.StatusCode, len(body))
	}
	// Repeating the request with the same key answers exactly as before.
	coll := collection(t, c.do("Sync", req))
	id := mustText(t, coll, wbxml.AirSyncResponses, wbxml.AirSyncAdd, wbxml.AirSyncServerId)
	if ids := srv.ItemIDs("alice", con); !slices.Equal(ids, []string{id}) {
		t.Fatalf("items %v after the retry, want just %s", ids, id)
	}
	next := mustText(t, coll, wbxml.AirSyncSyncKey)
	if c2 := collection(t, c.do("Sync", req)); mustText(t, c2, wbxml.AirSyncSyncKey) != next {
		t.Errorf("a second retry answered differently: %s", c2.XML())
	}
}

func mustEncode(t testing.TB, n *wbxml.Node) []byte {
	t.Helper()
	b, err := encode(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
