package bridge

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easbridge/easbridge/dav"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/maildir"
)

// fakeClock is a settable clock for the server's filter windows.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestSoftDeleteMirrorsTheWindow moves the server's clock so that mail and
// events leave the one-week windows: their local copies go, the server
// keeps them (no delete is sent back, not even after a restart); an event
// deleted locally just before is still deleted on the server, and one
// edited locally keeps the edit in the conflicts table, with no duplicate
// on the server.
func TestSoftDeleteMirrorsTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{t: t0.Add(2 * time.Hour)}
	md, err := maildir.Open(ctx, t.TempDir(), maildir.Options{NoSync: true})
	must(t, err)
	v := newEnv(t, eastest.Config{Now: clock.Now}, Config{Maildir: md, MailFilter: 3, CalendarFilter: 3})
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	trash := v.srv.FolderID("alice", eastest.TypeDeletedItems)
	v.addEvent("Kept", "a")
	v.addEvent("Edited", "b")
	v.addEvent("Deleted", "c")
	_, err = v.srv.DeliverMail("alice", []byte("From: z@example.net\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\nSubject: old\r\nMessage-ID: <old@x>\r\n\r\nbody\r\n"))
	must(t, err)
	v.syncOnce()
	if n := len(v.objects("calendar")); n != 3 {
		t.Fatalf("%d local events, want 3", n)
	}
	if list, _ := md.List(ctx, maildir.Inbox); len(list) != 1 {
		t.Fatalf("%d local messages, want 1", len(list))
	}
	v.put("calendar", "b.ics", icsEvent("b", "Edited here", "Room 1"))
	must(t, v.e.DAV().DeleteObject(ctx, "calendar", "c.ics", dav.Conditions{}))
	clock.Add(30 * 24 * time.Hour)
	v.syncOnce()
	v.syncOnce()
	if objs := v.objects("calendar"); len(objs) != 0 {
		t.Errorf("local events after they left the window: %v", keys(objs))
	}
	if list, _ := md.List(ctx, maildir.Inbox); len(list) != 0 {
		t.Errorf("%d local messages after the mail left the window", len(list))
	}
	subjects := v.serverSubjects()
	slices.Sort(subjects)
	if !slices.Equal(subjects, []string{"Edited", "Kept"}) {
		t.Errorf("server events %q, want Edited and Kept", subjects)
	}
	st, err := ReadStatus(ctx, "test", v.st, nil)
	must(t, err)
	if len(st.Conflicts) != 1 || !strings.Contains(st.Conflicts[0].Reason, "sync window") {
		t.Errorf("conflicts %+v, want the edit of b", st.Conflicts)
	}
	v.restart(md)
	v.syncOnce()
	if n := len(v.srv.ItemIDs("alice", inbox)); n != 1 {
		t.Errorf("server inbox has %d messages, want 1 (a soft delete is not a delete)", n)
	}
	if n := len(v.srv.ItemIDs("alice", trash)); n != 0 {
		t.Errorf("server Deleted Items has %d messages", n)
	}
	if n := len(v.srv.ItemIDs("alice", v.cal)); n != 2 {
		t.Errorf("server calendar has %d events, want 2", n)
	}
}
