package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/maildir"
)

// newMailEnv is newEnv with a real Maildir.
func newMailEnv(t *testing.T) (*env, *maildir.Store) {
	t.Helper()
	md, err := maildir.Open(context.Background(), t.TempDir(), maildir.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, eastest.Config{}, Config{Maildir: md, WindowSize: 3}), md
}

func mailMsg(i int) []byte {
	return fmt.Appendf(nil, "From: Zoë <z@example.net>\r\nTo: alice@example.test\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_%d?=\r\n"+
		"Message-ID: <m%d@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHällo %d\r\n--b\r\nContent-Type: application/octet-stream\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgc=\r\n--b--\r\n", i, i, i)
}

func TestMailMirroredByteForByte(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	var ids []string
	for i := range 7 {
		id, err := v.srv.DeliverMail("alice", mailMsg(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	v.syncOnce()
	v.syncOnce()
	list, err := md.List(context.Background(), maildir.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 7 {
		t.Fatalf("%d messages in the Maildir, want 7", len(list))
	}
	for _, m := range list {
		got, err := os.ReadFile(m.Path)
		if err != nil {
			t.Fatal(err)
		}
		if want := v.srv.MIME("alice", inbox, m.ID); !bytes.Equal(got, want) {
			t.Errorf("message %s differs from the server's MIME", m.ID)
		}
	}
	// Server side: a read mark and a delete.
	if err := v.srv.ChangeItem("alice", inbox, ids[0], &eas.Email{Subject: "x", Read: true}); err != nil {
		t.Fatal(err)
	}
	if err := v.srv.DeleteItem("alice", inbox, ids[1]); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	list, _ = md.List(context.Background(), maildir.Inbox)
	flags := map[string]maildir.Flags{}
	for _, m := range list {
		flags[m.ID] = m.Flags
	}
	if _, ok := flags[ids[1]]; ok || len(list) != 6 {
		t.Errorf("server delete not applied: %d messages", len(list))
	}
	if flags[ids[0]]&maildir.Seen == 0 {
		t.Errorf("server read mark not applied: %v", flags[ids[0]])
	}
}

func TestMailLocalChangesReachServer(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	for i := range 3 {
		if _, err := v.srv.DeliverMail("alice", mailMsg(i)); err != nil {
			t.Fatal(err)
		}
	}
	v.syncOnce()
	list, _ := md.List(ctx, maildir.Inbox)
	if len(list) != 3 {
		t.Fatalf("%d messages", len(list))
	}
	// A flag change made while the bridge was stopped is found by the
	// reconcile of the next start (a fresh Maildir view).
	user := md.AsUser()
	if err := user.SetFlags(ctx, maildir.Inbox, list[0].Key, maildir.Seen|maildir.Flagged); err != nil {
		t.Fatal(err)
	}
	md, err := maildir.Open(ctx, md.Root(), maildir.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	v.e.cfg.Maildir = md
	user = md.AsUser()
	v.syncOnce()
	it, err := v.srv.Item("alice", inbox, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m := it.(*eas.Email); !m.Read || m.Flag == nil || m.Flag.Status != eas.FlagActive {
		t.Fatalf("server item after local flags: read %v flag %+v", m.Read, m.Flag)
	}
	// A delete, as the watcher reports it.
	if err := md.Remove(ctx, maildir.Inbox, list[1].Key); err != nil {
		t.Fatal(err)
	}
	if err := v.e.handleMailEvent(ctx, maildir.Event{Kind: maildir.Removed, Folder: maildir.Inbox, Key: list[1].Key}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if ids := v.srv.ItemIDs("alice", inbox); len(ids) != 2 {
		t.Fatalf("server inbox after local delete: %v", ids)
	}
	// A message in the outbox is sent and removed.
	out := filepath.Join(md.Root(), string(md.Outbox()))
	if err := user.CreateFolder(ctx, md.Outbox()); err != nil && !errors.Is(err, maildir.ErrExists) {
		t.Fatal(err)
	}
	outMsg := "From: alice@example.test\r\nTo: bob@example.net\r\nSubject: out\r\nMessage-ID: <o1@x>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nhi\r\n"
	if _, err := user.Deliver(ctx, md.Outbox(), "", strings.NewReader(outMsg), 0); err != nil {
		t.Fatal(err)
	}
	// sync --once (a fresh process, so a fresh view) flushes the outbox.
	if v.e.cfg.Maildir, err = maildir.Open(ctx, md.Root(), maildir.Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	md = v.e.cfg.Maildir
	v.syncOnce()
	sent := v.srv.SentMessages()
	if len(sent) != 1 || !sent[0].SavedInSent || !bytes.Contains(sent[0].MIME, []byte("Subject: out")) {
		t.Fatalf("sent: %+v", sent)
	}
	// The ClientId is the message's hash, as for an SMTP submission of the
	// same bytes, so a server that saw a first try drops the second.
	if want := OutboxClientID([]byte(outMsg)); sent[0].ClientID != want {
		t.Errorf("ClientId %q, want the message's hash %q", sent[0].ClientID, want)
	}
	if left, _ := md.List(ctx, md.Outbox()); len(left) != 0 {
		t.Errorf("outbox still holds %d messages (%s)", len(left), out)
	}
}

func TestMailMoveWithoutDuplicate(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	trash := v.srv.FolderID("alice", eastest.TypeDeletedItems)
	if _, err := v.srv.DeliverMail("alice", mailMsg(1)); err != nil {
		t.Fatal(err)
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
	if len(list) != 1 || dst == "" {
		t.Fatalf("inbox %d messages, trash folder %q", len(list), dst)
	}
	user := md.AsUser()
	if err := user.Move(ctx, maildir.Inbox, list[0].Key, dst); err != nil {
		t.Fatal(err)
	}
	if err := v.e.handleMailEvent(ctx, maildir.Event{Kind: maildir.Moved, From: maildir.Inbox, Folder: dst, OldKey: list[0].Key, Key: list[0].Key}); err != nil {
		t.Fatal(err)
	}
	if n := len(v.srv.ItemIDs("alice", inbox)); n != 0 {
		t.Fatalf("server inbox still has %d items", n)
	}
	if n := len(v.srv.ItemIDs("alice", trash)); n != 1 {
		t.Fatalf("server trash has %d items", n)
	}
	v.syncOnce()
	md2, err := maildir.Open(ctx, md.Root(), maildir.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := md2.List(ctx, maildir.Inbox); len(in) != 0 {
		t.Errorf("inbox after move: %d", len(in))
	}
	if got, _ := md2.List(ctx, dst); len(got) != 1 {
		t.Errorf("trash after move: %d messages, want 1 (no duplicate)", len(got))
	}
}

func TestMaildirFolderChangesReachServer(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	v.syncOnce()
	f, err := maildir.FolderOf("Projects")
	if err != nil {
		t.Fatal(err)
	}
	if err := md.AsUser().CreateFolder(ctx, f); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a repeated event must not create twice
		if err := v.e.handleMailEvent(ctx, maildir.Event{Kind: maildir.FolderAdded, Folder: f}); err != nil {
			t.Fatal(err)
		}
	}
	v.syncOnce()
	serverFolder := func(name string) string {
		for _, fi := range v.srv.Folders("alice") {
			if fi.Name == name {
				return fi.ID
			}
		}
		return ""
	}
	id := serverFolder("Projects")
	if id == "" {
		t.Fatalf("Projects not created on the server: %+v", v.srv.Folders("alice"))
	}
	n := 0
	for _, fi := range v.srv.Folders("alice") {
		if fi.Name == "Projects" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d Projects folders on the server", n)
	}
	g, _ := maildir.FolderOf("Archive")
	if err := md.AsUser().RenameFolder(ctx, f, g); err != nil {
		t.Fatal(err)
	}
	if err := v.e.handleMailEvent(ctx, maildir.Event{Kind: maildir.FolderRenamed, From: f, Folder: g}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if serverFolder("Archive") != id {
		t.Fatalf("rename not carried: %+v", v.srv.Folders("alice"))
	}
	if err := md.AsUser().DeleteFolder(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := v.e.handleMailEvent(ctx, maildir.Event{Kind: maildir.FolderRemoved, Folder: g}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if serverFolder("Archive") != "" {
		t.Fatalf("delete not carried: %+v", v.srv.Folders("alice"))
	}
}

func TestMailFlagsMergeAsSets(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	inbox := v.srv.FolderID("alice", eastest.TypeInbox)
	id, err := v.srv.DeliverMail("alice", mailMsg(1))
	if err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	list, _ := md.List(ctx, maildir.Inbox)
	// The user flags it while the bridge is stopped; the server marks it read.
	if err := md.AsUser().SetFlags(ctx, maildir.Inbox, list[0].Key, maildir.Flagged); err != nil {
		t.Fatal(err)
	}
	if v.e.cfg.Maildir, err = maildir.Open(ctx, md.Root(), maildir.Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	if err := v.srv.ChangeItem("alice", inbox, id, &eas.Email{Subject: "x", Read: true}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	got, _ := v.e.cfg.Maildir.List(ctx, maildir.Inbox)
	if len(got) != 1 || got[0].Flags&(maildir.Seen|maildir.Flagged) != maildir.Seen|maildir.Flagged {
		t.Fatalf("local flags after merge: %+v", got)
	}
	it, err := v.srv.Item("alice", inbox, id)
	if err != nil {
		t.Fatal(err)
	}
	if m := it.(*eas.Email); !m.Read || m.Flag == nil || m.Flag.Status != eas.FlagActive {
		t.Fatalf("server after merge: read %v flag %+v", m.Read, m.Flag)
	}
}

// TestServerMailFolderRenameAndDelete: a mail folder renamed on the server
// moves its Maildir folder (with its messages and their mappings); nothing
// is deleted on the server. Deleted on the server, its Maildir folder goes.
func TestServerMailFolderRenameAndDelete(t *testing.T) {
	t.Parallel()
	v, md := newMailEnv(t)
	ctx := context.Background()
	id, err := v.srv.AddFolder("alice", "0", "Projects", eastest.TypeUserMail)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := v.srv.DeliverMailTo("alice", id, mailMsg(i)); err != nil {
			t.Fatal(err)
		}
	}
	v.syncOnce()
	if list, err := md.List(ctx, maildir.Folder(".Projects")); err != nil || len(list) != 3 {
		t.Fatalf("Projects before the rename: %d messages, %v", len(list), err)
	}
	if err := v.srv.RenameFolder("alice", id, "0", "Archive 2026"); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	v.syncOnce()
	if n := len(v.srv.ItemIDs("alice", id)); n != 3 {
		t.Fatalf("the server folder has %d messages after the rename, want 3", n)
	}
	renamed, err := maildir.FolderOf("Archive 2026")
	if err != nil {
		t.Fatal(err)
	}
	if list, err := md.List(ctx, renamed); err != nil || len(list) != 3 {
		t.Fatalf("%s after the rename: %d messages, %v", renamed, len(list), err)
	}
	if _, err := md.List(ctx, maildir.Folder(".Projects")); !errors.Is(err, maildir.ErrNotFound) {
		t.Errorf("the old folder is still there: %v", err)
	}
	if err := v.srv.RemoveFolder("alice", id); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if _, err := md.List(ctx, renamed); !errors.Is(err, maildir.ErrNotFound) {
		t.Errorf("the Maildir folder of a folder deleted on the server is still there: %v", err)
	}
}
