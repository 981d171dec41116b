package bridge

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/bridge/convert"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/dav"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// env is an engine wired to an in-process EAS server and a real store.
type env struct {
	t   testing.TB
	srv *eastest.Server
	st  *store.Store
	e   *Engine
	cal string // the server's default calendar
}

func newEnv(t testing.TB, scfg eastest.Config, ecfg Config) *env {
	t.Helper()
	if scfg.HeartbeatUnit == 0 {
		scfg.HeartbeatUnit = time.Millisecond
	}
	srv := eastest.New(scfg)
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "secret", Email: "alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := eas.New(eas.Config{URL: ts.URL + "/Microsoft-Server-ActiveSync", User: "alice",
		Credentials: eas.Basic{User: "alice", Password: "secret"}, DeviceID: "bridgetest1", DeviceType: "easbridge", Version: eas.V141})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir()+"/state.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ecfg.Client, ecfg.Store, ecfg.Name = c, st, "test"
	e, err := New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	e.hooks.lostAddGrace = 0 // TestLostAddResyncWaitsForServer sets it
	return &env{t: t, srv: srv, st: st, e: e, cal: srv.FolderID("alice", eastest.TypeCalendar)}
}

func (v *env) syncOnce() {
	v.t.Helper()
	if err := v.e.SyncOnce(context.Background()); err != nil {
		v.t.Fatalf("sync: %v", err)
	}
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func (v *env) addEvent(subject, uid string) string {
	v.t.Helper()
	id, err := v.srv.AddItem("alice", v.cal, &eas.Event{Subject: subject, UID: uid, StartTime: t0, EndTime: t0.Add(time.Hour)})
	if err != nil {
		v.t.Fatal(err)
	}
	return id
}

// objects returns the data of every object of a collection by name.
func (v *env) objects(coll string) map[string]string {
	v.t.Helper()
	ctx := context.Background()
	list, err := v.st.Objects(ctx, coll)
	if err != nil {
		v.t.Fatal(err)
	}
	var names []string
	for _, o := range list {
		names = append(names, o.Name)
	}
	objs, err := v.st.GetObjects(ctx, coll, names)
	if err != nil {
		v.t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range objs {
		out[o.Name] = string(o.Data)
	}
	return out
}

// countContaining counts the values holding s.
func countContaining(m map[string]string, s string) int {
	n := 0
	for _, v := range m {
		if strings.Contains(v, s) {
			n++
		}
	}
	return n
}

// serverSubjects lists the subjects of the server's calendar.
func (v *env) serverSubjects() []string {
	v.t.Helper()
	var out []string
	for _, id := range v.srv.ItemIDs("alice", v.cal) {
		it, err := v.srv.Item("alice", v.cal, id)
		if err != nil {
			v.t.Fatal(err)
		}
		out = append(out, it.(*eas.Event).Subject)
	}
	return out
}

func icsEvent(uid, summary, location string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nSUMMARY:" + summary +
		"\r\nLOCATION:" + location + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

func (v *env) put(coll, name string, data []byte) {
	v.t.Helper()
	_, _, err := v.e.DAV().PutObject(context.Background(), coll, name, dav.ObjectInput{Data: data, UID: strings.TrimSuffix(name, ".ics")}, dav.Conditions{})
	if err != nil {
		v.t.Fatal(err)
	}
}

func TestInitialSyncAllKinds(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{WindowSize: 2})
	for i := range 5 {
		v.addEvent(fmt.Sprintf("Event %d", i), fmt.Sprintf("uid-%d", i))
	}
	if _, err := v.srv.AddItem("alice", v.srv.FolderID("alice", eastest.TypeContacts), &eas.Contact{FirstName: "Zoë", LastName: "Ames"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.srv.AddItem("alice", v.srv.FolderID("alice", eastest.TypeTasks), &eas.Task{Subject: "File taxes"}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	cal := v.objects("calendar")
	if len(cal) != 5 || countContaining(cal, "SUMMARY:Event 3") != 1 {
		t.Fatalf("calendar after initial sync (window 2): %d objects", len(cal))
	}
	if _, ok := cal["uid-3.ics"]; !ok {
		t.Errorf("objects are not named by UID: %v", keys(cal))
	}
	if c := v.objects("contacts"); len(c) != 1 || countContaining(c, "Zoë") != 1 {
		t.Errorf("contacts: %v", c)
	}
	if c := v.objects("tasks"); len(c) != 1 || countContaining(c, "VTODO") != 1 {
		t.Errorf("tasks: %v", c)
	}
	colls, err := v.st.Collections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[store.Kind]int{}
	for _, c := range colls {
		kinds[c.Kind]++
	}
	if kinds[store.KindEvents] == 0 || kinds[store.KindJournal] == 0 || kinds[store.KindMail] == 0 {
		t.Errorf("folder mapping: %v", kinds)
	}
	s, err := ReadStatus(context.Background(), "test", v.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.Folders {
		if f.Name == "calendar" && (f.Estimate != 5 || f.Items != 5 || f.SyncedAt == nil) {
			t.Errorf("calendar status: %+v", f)
		}
	}
	// A second cycle with nothing new changes nothing.
	v.syncOnce()
	if got := v.objects("calendar"); len(got) != 5 {
		t.Errorf("second sync: %d objects", len(got))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestServerChangesReachDAV(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{EmptySyncWhenUnchanged: true}, Config{})
	id := v.addEvent("Standup", "su-1")
	gone := v.addEvent("Retro", "re-1")
	v.syncOnce()
	if err := v.srv.ChangeItem("alice", v.cal, id, &eas.Event{Subject: "Standup moved", UID: "su-1", StartTime: t0, EndTime: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := v.srv.DeleteItem("alice", v.cal, gone); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	cal := v.objects("calendar")
	if len(cal) != 1 || !strings.Contains(cal["su-1.ics"], "SUMMARY:Standup moved") {
		t.Fatalf("after server change and delete: %v", cal)
	}
	// Applied server changes are not sent back (echo suppression).
	c, _ := v.st.CollectionByName(context.Background(), "calendar")
	if n, _ := v.st.PendingCount(context.Background(), c.ID); n != 0 {
		t.Errorf("%d outbox entries after server changes", n)
	}
}

func TestDAVWritesReachServer(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{})
	v.syncOnce()
	v.put("calendar", "new-1.ics", icsEvent("new-1", "Lunch", "Canteen"))
	v.syncOnce()
	if got := v.serverSubjects(); len(got) != 1 || got[0] != "Lunch" {
		t.Fatalf("server after PUT: %v", got)
	}
	v.put("calendar", "new-1.ics", icsEvent("new-1", "Long lunch", "Canteen"))
	v.syncOnce()
	v.syncOnce()
	if got := v.serverSubjects(); len(got) != 1 || got[0] != "Long lunch" {
		t.Fatalf("server after second PUT: %v", got)
	}
	if cal := v.objects("calendar"); len(cal) != 1 {
		t.Fatalf("local objects: %v", keys(cal))
	}
	if err := v.e.DAV().DeleteObject(context.Background(), "calendar", "new-1.ics", dav.Conditions{}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if got := v.serverSubjects(); len(got) != 0 {
		t.Fatalf("server after DELETE: %v", got)
	}
}

func TestConflictPolicies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy      convert.Policy
		wantSummary string
		wantWinner  string
	}{
		{convert.ServerWins, "Server title", "server"},
		{convert.ClientWins, "Client title", "client"},
	} {
		t.Run(tc.wantWinner, func(t *testing.T) {
			v := newEnv(t, eastest.Config{}, Config{Policy: tc.policy})
			id := v.addEvent("Planning", "pl-1")
			v.syncOnce()
			// Both sides change the title; only the desktop changes the
			// location, which must survive either way.
			v.put("calendar", "pl-1.ics", icsEvent("pl-1", "Client title", "Room 7"))
			if err := v.srv.ChangeItem("alice", v.cal, id, &eas.Event{Subject: "Server title", UID: "pl-1", StartTime: t0, EndTime: t0.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			v.syncOnce()
			v.syncOnce()
			cal := v.objects("calendar")
			if len(cal) != 1 || !strings.Contains(cal["pl-1.ics"], "SUMMARY:"+tc.wantSummary) || !strings.Contains(cal["pl-1.ics"], "Room 7") {
				t.Fatalf("local after conflict: %v", cal)
			}
			if got := v.serverSubjects(); len(got) != 1 || got[0] != tc.wantSummary {
				t.Errorf("server after conflict: %v", got)
			}
			it, _ := v.srv.Item("alice", v.cal, id)
			if loc := it.(*eas.Event).Location; loc == nil || loc.DisplayName != "Room 7" {
				t.Errorf("the desktop's location did not reach the server: %+v", loc)
			}
			conflicts, err := v.st.Conflicts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(conflicts) != 1 || conflicts[0].Winner != tc.wantWinner || !strings.Contains(conflicts[0].Reason, "Subject") {
				t.Fatalf("conflicts: %+v", conflicts)
			}
			loser := "Client title"
			if tc.wantWinner == "client" {
				loser = "Server title"
			}
			if !bytes.Contains(conflicts[0].LoserData, []byte(loser)) {
				t.Errorf("loser data lacks %q: %s", loser, conflicts[0].LoserData)
			}
		})
	}
}

func TestEditBeatsDelete(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{})
	id := v.addEvent("Review", "rv-1")
	v.syncOnce()
	v.put("calendar", "rv-1.ics", icsEvent("rv-1", "Review (edited)", "Here"))
	if err := v.srv.DeleteItem("alice", v.cal, id); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	v.syncOnce()
	if cal := v.objects("calendar"); len(cal) != 1 || countContaining(cal, "Review (edited)") != 1 {
		t.Fatalf("local after edit vs delete: %v", cal)
	}
	if got := v.serverSubjects(); len(got) != 1 || got[0] != "Review (edited)" {
		t.Fatalf("server after edit vs delete: %v", got)
	}
}

func TestInvalidSyncKeyResyncsWithoutDuplicates(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{})
	for i := range 3 {
		v.addEvent(fmt.Sprintf("E%d", i), fmt.Sprintf("e-%d", i))
	}
	v.syncOnce()
	v.put("calendar", "loc-1.ics", icsEvent("loc-1", "Local", "X"))
	v.srv.Inject(eastest.Fault{Kind: eastest.FaultSyncStatus3, Command: "Sync"})
	v.syncOnce()
	v.syncOnce()
	if cal := v.objects("calendar"); len(cal) != 4 {
		t.Fatalf("after status 3: %d objects: %v", len(cal), keys(cal))
	}
	if got := v.serverSubjects(); len(got) != 4 {
		t.Fatalf("server after status 3: %v", got)
	}
}

func TestFaultsConverge(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{WindowSize: 3})
	for i := range 7 {
		v.addEvent(fmt.Sprintf("S%d", i), fmt.Sprintf("s-%d", i))
	}
	v.syncOnce()
	for i := range 4 {
		v.put("calendar", fmt.Sprintf("l-%d.ics", i), icsEvent(fmt.Sprintf("l-%d", i), fmt.Sprintf("L%d", i), "X"))
		v.addEvent(fmt.Sprintf("T%d", i), fmt.Sprintf("t-%d", i))
	}
	for _, f := range []eastest.Fault{
		{Kind: eastest.FaultTruncate, Command: "Sync"},
		{Kind: eastest.FaultDrop, Command: "Sync"},
		{Kind: eastest.FaultHTTP, Command: "Sync", Status: 503},
		{Kind: eastest.FaultTruncate, Command: "Sync", Keep: 20},
	} {
		v.srv.Inject(f)
	}
	ok := false
	for range 20 {
		if err := v.e.SyncOnce(context.Background()); err == nil {
			ok = true
			break
		}
	}
	if !ok {
		t.Fatal("no successful sync after the faults")
	}
	v.syncOnce()
	cal := v.objects("calendar")
	server := v.serverSubjects()
	if len(cal) != 15 || len(server) != 15 {
		t.Fatalf("local %d, server %d items, want 15 each: %v", len(cal), len(server), server)
	}
	seen := map[string]bool{}
	for _, s := range server {
		if seen[s] {
			t.Errorf("duplicate on the server: %s", s)
		}
		seen[s] = true
	}
}

func TestPoisonedItemDoesNotBlock(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{})
	v.syncOnce()
	// An RRULE EAS cannot hold: the converter refuses it.
	bad := strings.Replace(string(icsEvent("bad-1", "Hourly", "X")), "END:VEVENT", "RRULE:FREQ=HOURLY;BYHOUR=9\r\nEND:VEVENT", 1)
	v.put("calendar", "bad-1.ics", []byte(bad))
	v.put("calendar", "good-1.ics", icsEvent("good-1", "Good", "X"))
	v.syncOnce()
	if got := v.serverSubjects(); len(got) != 1 || got[0] != "Good" {
		t.Fatalf("server: %v", got)
	}
	s, err := ReadStatus(context.Background(), "test", v.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Quarantined) != 1 || s.Quarantined[0].Item != "bad-1.ics" || s.Quarantined[0].Reason == "" {
		t.Fatalf("quarantined: %+v", s.Quarantined)
	}
}

func TestPingWakesOnBothSides(t *testing.T) {
	t.Parallel()
	// One heartbeat "second" is 50ms: a 60-unit Ping lasts 3s unless
	// something interrupts it.
	v := newEnv(t, eastest.Config{HeartbeatUnit: 50 * time.Millisecond, MinHeartbeat: 1}, Config{Heartbeat: 60 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.e.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, "initial sync", func() bool {
		c, err := v.st.CollectionByName(context.Background(), "calendar")
		return err == nil && c.SyncKey != "0"
	})
	v.addEvent("Pushed", "push-1")
	waitFor(t, "server change pushed to DAV", func() bool { return countContaining(v.objects("calendar"), "Pushed") == 1 })
	v.put("calendar", "woke-1.ics", icsEvent("woke-1", "Woke", "X"))
	waitFor(t, "DAV write sent to the server", func() bool {
		for _, s := range v.serverSubjects() {
			if s == "Woke" {
				return true
			}
		}
		return false
	})
}

// waitFor polls cond for up to 20 seconds (a bound for a loaded machine,
// not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCollectionMadeOnDesktopIsCreatedOnServer(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{})
	v.syncOnce()
	if _, err := v.e.DAV().CreateCollection(context.Background(), dav.Collection{ID: "team", Kind: dav.KindEvents, DisplayName: "Team"}); err != nil {
		t.Fatal(err)
	}
	v.put("team", "t-1.ics", icsEvent("t-1", "Team lunch", "X"))
	v.syncOnce()
	v.syncOnce()
	var id string
	for _, f := range v.srv.Folders("alice") {
		if f.Name == "Team" && f.Type == eastest.TypeUserCalendar {
			id = f.ID
		}
	}
	if id == "" {
		t.Fatalf("no Team calendar on the server: %+v", v.srv.Folders("alice"))
	}
	if ids := v.srv.ItemIDs("alice", id); len(ids) != 1 {
		t.Fatalf("Team calendar on the server holds %d items", len(ids))
	}
	colls, _ := v.st.Collections(context.Background())
	n := 0
	for _, c := range colls {
		if c.ServerID == id {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d collections map the new folder (want 1, no duplicate from FolderSync)", n)
	}
}

// BenchmarkInitialSync measures the initial sync of 500 events and 500
// contacts from the in-process server into a fresh store.
func BenchmarkInitialSync(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		v := newEnv(b, eastest.Config{}, Config{})
		contacts := v.srv.FolderID("alice", eastest.TypeContacts)
		for i := range 500 {
			v.addEvent(fmt.Sprintf("Event %d", i), fmt.Sprintf("bench-%d", i))
			if _, err := v.srv.AddItem("alice", contacts, &eas.Contact{FirstName: "Zoë", LastName: fmt.Sprint("N", i), Email1Address: "z@example.net"}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := v.e.SyncOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestServerFolderRenameAndRemove(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{})
	id, err := v.srv.AddFolder("alice", "0", "Holidays", eastest.TypeUserCalendar)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.srv.AddItem("alice", id, &eas.Event{Subject: "Beach", UID: "b-1", StartTime: t0, EndTime: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	c, err := v.st.CollectionByServerID(context.Background(), id)
	if err != nil || c.Name != "holidays" || len(v.objects("holidays")) != 1 {
		t.Fatalf("new server calendar: %+v %v", c, err)
	}
	if err := v.srv.RenameFolder("alice", id, "0", "Vacation"); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if c, _ := v.st.CollectionByServerID(context.Background(), id); c.DisplayName != "Vacation" || len(v.objects(c.Name)) != 1 {
		t.Fatalf("after rename: %+v", c)
	}
	if err := v.srv.RemoveFolder("alice", id); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if _, err := v.st.CollectionByServerID(context.Background(), id); err == nil {
		t.Fatal("collection of a removed server folder is still there")
	}
}

func TestSkipFolders(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{})
	id, err := v.srv.AddFolder("alice", "0", "Shared Team", eastest.TypeUserCalendar)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.srv.AddItem("alice", id, &eas.Event{Subject: "Standup", UID: "s-1", StartTime: t0, EndTime: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if _, err := v.st.CollectionByServerID(context.Background(), id); err != nil {
		t.Fatalf("folder not mirrored before it was skipped: %v", err)
	}
	// The user leaves it out (a restart with a new configuration): the
	// local copy goes at the next cycle, the server keeps it.
	v.e.cfg.SkipFolders = []string{" shared team "}
	v.e.needFolderSync = true
	v.syncOnce()
	if c, err := v.st.CollectionByServerID(context.Background(), id); err == nil {
		t.Fatalf("skipped folder still mirrored: %+v", c)
	}
	if n := len(v.srv.ItemIDs("alice", id)); n != 1 {
		t.Fatalf("the server lost the skipped folder's items: %d left", n)
	}
	// Renamed on the server out of the skip list, it is mirrored again.
	if err := v.srv.RenameFolder("alice", id, "0", "Team"); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	c, err := v.st.CollectionByServerID(context.Background(), id)
	if err != nil || len(v.objects(c.Name)) != 1 {
		t.Fatalf("renamed out of the skip list: %+v %v", c, err)
	}
}

// TestInterruptedCyclesConverge abandons cycles at arbitrary moments (what
// a kill -9 or a lost connection does to the engine: nothing after the last
// commit happens) with a fresh engine on the same store each time, while
// both sides keep changing; in the end both sides hold the same items, once.
func TestInterruptedCyclesConverge(t *testing.T) {
	t.Parallel()
	v := newEnv(t, eastest.Config{}, Config{WindowSize: 2})
	v.syncOnce()
	for i := range 12 {
		v.addEvent(fmt.Sprintf("S%d", i), fmt.Sprintf("srv-%d", i))
		v.put("calendar", fmt.Sprintf("loc-%d.ics", i), icsEvent(fmt.Sprintf("loc-%d", i), fmt.Sprintf("L%d", i), "X"))
		v.srv.Inject(eastest.Fault{Kind: eastest.FaultDelay, Command: "Sync", Delay: time.Duration(i%4) * 5 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+i%5)*3*time.Millisecond)
		e, err := New(v.e.cfg)
		if err != nil {
			t.Fatal(err)
		}
		_ = e.SyncOnce(ctx) // may be cut anywhere
		cancel()
	}
	v.srv.ClearFaults()
	v.syncOnce()
	v.syncOnce()
	cal := v.objects("calendar")
	server := v.serverSubjects()
	if len(cal) != 24 || len(server) != 24 {
		t.Fatalf("local %d, server %d items, want 24 each", len(cal), len(server))
	}
	seen := map[string]bool{}
	for _, s := range server {
		if seen[s] {
			t.Errorf("duplicate on the server: %s", s)
		}
		seen[s] = true
	}
}
