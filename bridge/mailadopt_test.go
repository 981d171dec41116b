package bridge

import (
	"context"
	"testing"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/maildir"
)

// A message the user moved (Inbox -> Deleted Items) keeps its key; the
// server applies the MoveItems but its answer is lost (or the bridge is
// killed before the mapping change is committed), so the mapping still
// points at the Inbox. The server's Add in the destination is the moved
// file, not a new message: no second copy appears there, nothing is
// moved again, and the server's Delete in the Inbox removes nothing.
func TestLostMoveAnswerCreatesNoDuplicate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		queued bool // a change of the message still waits in the queue
	}{
		{"killed before the commit", false},
		{"with a queued change", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, md := newMailEnv(t)
			ctx := context.Background()
			inbox := v.srv.FolderID("alice", eastest.TypeInbox)
			trash := v.srv.FolderID("alice", eastest.TypeDeletedItems)
			for i := range 3 {
				if _, err := v.srv.DeliverMail("alice", mailMsg(i)); err != nil {
					t.Fatal(err)
				}
			}
			v.syncOnce()
			colls, err := v.e.mailCollections(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var dst maildir.Folder
			for f, c := range colls {
				if c.ServerID == trash {
					dst = f
				}
			}
			list, _ := md.List(ctx, maildir.Inbox)
			if len(list) != 3 || dst == "" {
				t.Fatalf("inbox %d messages, trash folder %q", len(list), dst)
			}
			if err := md.AsUser().Move(ctx, maildir.Inbox, list[0].Key, dst); err != nil {
				t.Fatal(err)
			}
			// The server applies the move and the mapping change is never
			// committed; this server then reports the move to the device
			// as a Delete and an Add, as SOGo does (played here by a
			// second device, since eastest does not echo a device's move).
			it, err := v.st.ItemByLocalID(ctx, colls[maildir.Inbox].ID, string(list[0].Key))
			if err != nil {
				t.Fatal(err)
			}
			other, err := eas.New(eas.Config{URL: v.e.c.URL(), User: "alice", Credentials: eas.Basic{User: "alice", Password: "secret"},
				DeviceID: "othermover1", DeviceType: "easbridge", Version: eas.V141})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.MoveItems(ctx, []eas.Move{{SrcMsgID: it.ServerID, SrcFldID: inbox, DstFldID: trash}}); err != nil {
				t.Fatal(err)
			}
			if n := len(v.srv.ItemIDs("alice", trash)); n != 1 {
				t.Fatalf("server trash has %d items, want the moved one", n)
			}
			// The restarted bridge: a new engine over the same state.
			md, err = maildir.Open(ctx, md.Root(), maildir.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			cfg := v.e.cfg
			cfg.Maildir = md
			if v.e, err = New(cfg); err != nil {
				t.Fatal(err)
			}
			v.e.hooks.lostAddGrace = 0
			if tt.queued {
				// A flag change of the old ServerId still waits.
				v.e.queueMail(colls[maildir.Inbox].ID, mailChange{serverID: it.ServerID, flags: maildir.Seen})
			}
			v.syncOnce()
			v.syncOnce()
			if n := len(v.srv.ItemIDs("alice", inbox)); n != 2 {
				t.Errorf("server inbox has %d items, want 2", n)
			}
			if n := len(v.srv.ItemIDs("alice", trash)); n != 1 {
				t.Errorf("server trash has %d items, want 1", n)
			}
			md2, err := maildir.Open(ctx, md.Root(), maildir.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if in, _ := md2.List(ctx, maildir.Inbox); len(in) != 2 {
				t.Errorf("inbox after move: %d messages, want 2", len(in))
			}
			if got, _ := md2.List(ctx, dst); len(got) != 1 {
				t.Errorf("trash after move: %d messages, want 1 (no duplicate)", len(got))
			}
			if c, ok := colls[maildir.Inbox]; ok {
				if items, _ := v.st.Items(ctx, c.ID); len(items) != 2 {
					t.Errorf("inbox mappings: %d, want 2: %+v", len(items), items)
				}
			}
		})
	}
}
