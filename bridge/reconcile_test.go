package bridge

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/maildir"
)

// mailFolderFor returns the Maildir folder mirroring a server folder.
func (v *env) mailFolderFor(serverID string) maildir.Folder {
	v.t.Helper()
	colls, err := v.e.mailCollections(context.Background())
	if err != nil {
		v.t.Fatal(err)
	}
	for f, c := range colls {
		if c.ServerID == serverID {
			return f
		}
	}
	v.t.Fatalf("no Maildir folder for server folder %s", serverID)
	return ""
}

// restart gives the engine a fresh view of the Maildir, as a new process
// has after the daemon was stopped.
func (v *env) restart(md *maildir.Store) *maildir.Store {
	v.t.Helper()
	md2, err := maildir.Open(context.Background(), md.Root(), maildir.Options{NoSync: true})
	if err != nil {
		v.t.Fatal(err)
	}
	v.e.cfg.Maildir = md2
	return md2
}

// serverMessages maps the Message-IDs of a server folder's messages to
// whether they are read and flagged ("R", "F", "RF" or "").
func (v *env) serverMessages(folder string) map[string]string {
	v.t.Helper()
	out := map[string]string{}
	for _, id := range v.srv.ItemIDs("alice", folder) {
		mime := string(v.srv.MIME("alice", folder, id))
		mid := headerMessageID([]byte(mime))
		it, err := v.srv.Item("alice", folder, id)
		if err != nil {
			v.t.Fatal(err)
		}
		m := it.(*eas.Email)
		s := ""
		if m.Read {
			s += "R"
		}
		if m.Flag != nil && m.Flag.Status == eas.FlagActive {
			s += "F"
		}
		out[mid] = s
	}
	return out
}

// TestMaildirChangesWhileStopped changes the Maildir with plain file
// operations while no engine runs (a delete, a flag, a move by rename, a
// move by copy and delete as mutt does it, a file rewritten in place),
// then starts a fresh engine: each reaches the server as the matching
// command, and a second run finds nothing more and duplicates nothing.
func TestMaildirChangesWhileStopped(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	sent := v.srv.FolderID("alice", eastest.TypeSentItems)
	trash := v.srv.FolderID("alice", eastest.TypeDeletedItems)
	for i := range 6 {
		if _, err := v.srv.DeliverMail("alice", mailMsg(i)); err != nil {
			t.Fatal(err)
		}
	}
	v.syncOnce()
	sentDir := filepath.Join(md.Root(), string(v.mailFolderFor(sent)), "cur")
	byMID := map[string]maildir.Message{}
	list, _ := md.List(ctx, maildir.Inbox)
	for _, m := range list {
		byMID[v.messageIDOfFile(m.Path)] = m
	}
	if len(byMID) != 6 {
		t.Fatalf("%d messages in the Maildir", len(byMID))
	}
	path := func(i int) string { return byMID["<m"+itoa(i)+"@example.net>"].Path }
	// 0: deleted. 1: flagged and read (mutt renames). 2: moved by rename
	// to Sent. 3: moved to Sent by copy and delete (a new name, no
	// bridge id). 4: rewritten in place under a new name, and read.
	// 5: marked Trashed (mutt's maildir_trash).
	must(t, os.Remove(path(0)))
	must(t, os.Rename(path(1), strings.SplitN(path(1), ":", 2)[0]+":2,FS"))
	must(t, os.Rename(path(2), filepath.Join(sentDir, filepath.Base(path(2)))))
	copyFile(t, path(3), filepath.Join(sentDir, "1700000000.M1P2.mutt:2,S"))
	must(t, os.Remove(path(3)))
	copyFile(t, path(4), filepath.Join(filepath.Dir(path(4)), "1700000001.M2P2.mutt:2,S"))
	must(t, os.Remove(path(4)))
	must(t, os.Rename(path(5), strings.SplitN(path(5), ":", 2)[0]+":2,T"))

	md = v.restart(md)
	v.syncOnce()
	wantInbox := map[string]string{"<m1@example.net>": "RF", "<m4@example.net>": "R"}
	if got := v.serverMessages(inbox); !equalMaps(got, wantInbox) {
		t.Errorf("server Inbox %v, want %v", got, wantInbox)
	}
	wantSent := map[string]string{"<m2@example.net>": "", "<m3@example.net>": "R"}
	if got := v.serverMessages(sent); !equalMaps(got, wantSent) {
		t.Errorf("server Sent %v, want %v", got, wantSent)
	}
	if got := v.serverMessages(trash); len(got) != 2 {
		t.Errorf("server Deleted Items %v, want m0 and m5", got)
	}
	// A second start: nothing left to send, no duplicate anywhere (the
	// Trashed file stays, as mutt leaves it until it purges).
	before := v.srv.Requests()
	md = v.restart(md)
	v.syncOnce()
	for f, want := range map[string]int{inbox: 2, sent: 2, trash: 2} {
		if n := len(v.srv.ItemIDs("alice", f)); n != want {
			t.Errorf("server folder %s: %d items, want %d", f, n, want)
		}
		list, err := md.List(ctx, v.mailFolderFor(f))
		list = slices.DeleteFunc(list, func(m maildir.Message) bool { return m.Flags&maildir.Trashed != 0 })
		if err != nil || len(list) != want {
			t.Errorf("Maildir folder of %s: %d messages (%v), want %d", f, len(list), err, want)
		}
	}
	if v.srv.Requests()-before > 4 {
		t.Errorf("a quiet restart sent %d requests", v.srv.Requests()-before)
	}
}

// TestServerDeleteIsNotEchoed checks that a message the server deleted,
// whose file the bridge removed, is not sent back as a user's delete by
// the next start's reconcile (the mapping goes first, then the file).
func TestServerDeleteIsNotEchoed(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	trash := v.srv.FolderID("alice", eastest.TypeDeletedItems)
	var ids []string
	for i := range 3 {
		id, err := v.srv.DeliverMail("alice", mailMsg(i))
		must(t, err)
		ids = append(ids, id)
	}
	v.syncOnce()
	must(t, v.srv.DeleteItem("alice", inbox, ids[0]))
	v.syncOnce()
	v.restart(md)
	v.syncOnce()
	if n := len(v.srv.ItemIDs("alice", inbox)); n != 2 {
		t.Errorf("server inbox has %d items, want 2", n)
	}
	if n := len(v.srv.ItemIDs("alice", trash)); n != 0 {
		t.Errorf("server trash has %d items: the server's delete came back", n)
	}
}

func (v *env) messageIDOfFile(p string) string {
	v.t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		v.t.Fatal(err)
	}
	return headerMessageID(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	must(t, os.WriteFile(to, b, 0o600))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestMovedMessageKeepsMessageID checks that a move seen by the watcher
// keeps the Message-ID with the new mapping, so a later move made while
// stopped can still be paired by it.
func TestMovedMessageKeepsMessageID(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	_, err := v.srv.DeliverMail("alice", mailMsg(1))
	must(t, err)
	v.syncOnce()
	dst := v.mailFolderFor(v.srv.FolderID("alice", eastest.TypeSentItems))
	list, _ := md.List(ctx, maildir.Inbox)
	if len(list) != 1 {
		t.Fatalf("%d messages", len(list))
	}
	must(t, md.AsUser().Move(ctx, maildir.Inbox, list[0].Key, dst))
	must(t, v.e.handleMailEvent(ctx, maildir.Event{Kind: maildir.Moved, From: maildir.Inbox, Folder: dst, OldKey: list[0].Key, Key: list[0].Key}))
	colls, err := v.e.mailCollections(ctx)
	must(t, err)
	it, err := v.st.ItemByLocalID(ctx, colls[dst].ID, string(list[0].Key))
	must(t, err)
	if it.MessageID != "<m1@example.net>" {
		t.Errorf("moved item's Message-ID %q", it.MessageID)
	}
}

// TestLostMaildirIsFetchedAgain empties the Inbox's files while stopped,
// as a Maildir replaced by an empty one: the messages are fetched again
// instead of being deleted on the server.
func TestLostMaildirIsFetchedAgain(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	trash := v.srv.FolderID("alice", eastest.TypeDeletedItems)
	for i := range massGoneMin + 2 {
		_, err := v.srv.DeliverMail("alice", mailMsg(i))
		must(t, err)
	}
	v.syncOnce()
	list, _ := md.List(ctx, maildir.Inbox)
	for _, m := range list[:len(list)-1] {
		must(t, os.Remove(m.Path))
	}
	md = v.restart(md)
	v.syncOnce()
	if n := len(v.srv.ItemIDs("alice", inbox)); n != massGoneMin+2 {
		t.Errorf("server inbox has %d messages, want %d", n, massGoneMin+2)
	}
	if n := len(v.srv.ItemIDs("alice", trash)); n != 0 {
		t.Errorf("server trash has %d messages", n)
	}
	if got, _ := md.List(ctx, maildir.Inbox); len(got) != massGoneMin+2 {
		t.Errorf("local inbox has %d messages after the refetch, want %d", len(got), massGoneMin+2)
	}
}

func TestQueueMail(t *testing.T) {
	t.Parallel()
	del := mailChange{serverID: "1", delete: true}
	seen := mailChange{serverID: "1", flags: maildir.Seen}
	flagged := mailChange{serverID: "1", flags: maildir.Flagged}
	other := mailChange{serverID: "2", flags: maildir.Seen}
	tests := []struct {
		name string
		in   []mailChange
		want []mailChange
	}{
		{"later flags replace earlier", []mailChange{seen, flagged}, []mailChange{flagged}},
		{"a delete replaces flags", []mailChange{seen, del}, []mailChange{del}},
		{"a delete reported twice is sent once", []mailChange{del, del}, []mailChange{del}},
		{"flags after a delete are dropped", []mailChange{del, seen}, []mailChange{del}},
		{"other messages queue", []mailChange{seen, other}, []mailChange{seen, other}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Engine{mailOut: map[int64][]mailChange{}}
			for _, mc := range tt.in {
				e.queueMail(7, mc)
			}
			if !slices.Equal(e.mailOut[7], tt.want) {
				t.Errorf("queue %+v, want %+v", e.mailOut[7], tt.want)
			}
		})
	}
}
