package eastest

import (
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func pingReq(hb int, ids ...string) *wbxml.Node {
	fs := box(wbxml.PingFolders)
	for _, id := range ids {
		add(fs, box(wbxml.PingFolder, el(wbxml.PingId, id), el(wbxml.PingClass, "Email")))
	}
	return box(wbxml.PingPing, num(wbxml.PingHeartbeatInterval, hb), fs)
}

func TestPing(t *testing.T) {
	srv, ts := newTestServer(t, Config{MinHeartbeat: 1, MaxHeartbeat: 5000})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	key := c.initSync(inbox)
	c.do("Sync", syncReq(inbox, key))

	for _, tc := range []struct {
		name   string
		req    *wbxml.Node
		status string
		extra  wbxml.Tag
		value  string
	}{
		{"heartbeat ends", pingReq(2, inbox), "1", 0, ""},
		{"heartbeat too long", pingReq(9999, inbox), "5", wbxml.PingHeartbeatInterval, "5000"},
		{"no heartbeat", pingReq(0, inbox), "3", 0, ""},
		{"unknown folder", pingReq(2, "404"), "7", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("Ping", tc.req)
			if got := mustText(t, r, wbxml.PingStatus); got != tc.status {
				t.Fatalf("status %s, want %s", got, tc.status)
			}
			if tc.extra != 0 && mustText(t, r, tc.extra) != tc.value {
				t.Errorf("%v = %q, want %q", tc.extra, text(r, tc.extra), tc.value)
			}
		})
	}

	done := make(chan *wbxml.Node)
	go func() {
		n, _ := c.try("Ping", pingReq(3000, inbox, srv.FolderID("alice", TypeCalendar)))
		done <- n
	}()
	waitForWaiter(t, srv, 1)
	if _, err := srv.DeliverMail("alice", testMail("x@example.net", "alice@example.test", "ping", "wake")); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r == nil || text(r, wbxml.PingStatus) != "2" || text(child(r, wbxml.PingFolders), wbxml.PingFolder) != inbox {
		t.Fatalf("Ping after a delivery: %v", r)
	}
	// An empty Ping reuses the last folders and heartbeat: the mail is
	// still unsynced, so it answers at once.
	r = c.do("Ping", nil)
	if text(r, wbxml.PingStatus) != "2" {
		t.Fatalf("empty Ping: %s", r.XML())
	}
}

func TestPingNewerEndsOlder(t *testing.T) {
	srv, ts := newTestServer(t, Config{MinHeartbeat: 1})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	done := make(chan *wbxml.Node)
	go func() {
		n, _ := c.try("Ping", pingReq(3000, inbox))
		done <- n
	}()
	waitForWaiter(t, srv, 1)
	go c.try("Ping", pingReq(3, inbox))
	if r := <-done; r == nil || text(r, wbxml.PingStatus) != "1" {
		t.Fatalf("older Ping: %v", r)
	}
}

func TestGetItemEstimate(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	deliverN(t, srv, "alice", 3)
	key := c.initSync(inbox)
	gie := func(k string) *wbxml.Node {
		return c.do("GetItemEstimate", box(wbxml.GetItemEstimateGetItemEstimate, box(wbxml.GetItemEstimateCollections,
			box(wbxml.GetItemEstimateCollection, el(wbxml.AirSyncSyncKey, k), el(wbxml.GetItemEstimateCollectionId, inbox)))))
	}
	r := gie(key)
	if got := mustText(t, r, wbxml.GetItemEstimateResponse, wbxml.GetItemEstimateCollection, wbxml.GetItemEstimateEstimate); got != "3" {
		t.Errorf("estimate %s, want 3", got)
	}
	if got := mustText(t, gie("bad"), wbxml.GetItemEstimateResponse, wbxml.GetItemEstimateStatus); got != "4" {
		t.Errorf("bad key: status %s, want 4", got)
	}
	if got := mustText(t, gie("0"), wbxml.GetItemEstimateResponse, wbxml.GetItemEstimateStatus); got != "3" {
		t.Errorf("key 0: status %s, want 3", got)
	}
}
