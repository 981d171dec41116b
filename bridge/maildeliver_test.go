package bridge

import (
	"bytes"
	"context"
	"testing"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/maildir"
)

// A message the user moved into a folder keeps the id it had in its old
// folder; when the server (SOGo: per-folder IMAP UIDs) gives a new message
// of this folder the same ServerId, that message is delivered beside it,
// not taken for it (which failed its mapping and quarantined it).
// movedIn is a synced mail env with a new server message (mailMsg(1),
// ServerId id) and, in the Inbox, a file of another message (mailMsg(2))
// carrying the same id, as a message moved in from another folder does.
func movedIn(t *testing.T) (v *env, md *maildir.Store, id string, moved maildir.Key) {
	t.Helper()
	v, md = newMailEnv(t)
	v.syncOnce()
	id, err := v.srv.DeliverMail("alice", mailMsg(1))
	if err != nil {
		t.Fatal(err)
	}
	moved, err = md.Deliver(context.Background(), maildir.Inbox, id, bytes.NewReader(mailMsg(2)), maildir.Seen)
	if err != nil {
		t.Fatal(err)
	}
	return v, md, id, moved
}

func TestDeliverBesideMovedInMessageWithSameID(t *testing.T) {
	t.Parallel()
	v, md, id, moved := movedIn(t)
	ctx := context.Background()
	c, err := v.st.CollectionByName(ctx, inboxName)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.st.ApplySync(ctx, c.ID, c.SyncKey, c.SyncKey, nil, []store.ServerItemChange{
		{Op: store.ServerAdd, ServerID: "other-99", LocalID: string(moved), Base: []byte("S")}}); err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	list, err := md.List(ctx, maildir.Inbox)
	if err != nil || len(list) != 2 {
		t.Fatalf("inbox holds %d messages (%v), want the moved-in one and the new one", len(list), err)
	}
	item, err := v.st.ItemByServerID(ctx, c.ID, id)
	if err != nil || item.LocalID == string(moved) {
		t.Errorf("the new message maps to %q (%v), want a file of its own", item.LocalID, err)
	}
	if q, err := v.st.Quarantined(ctx); err != nil || len(q) != 0 {
		t.Errorf("quarantined: %v %v", q, err)
	}
}

// The same when the moved-in file is not mapped yet (its move's answer
// was lost, or a kill came before the mapping was committed): the new
// message is not taken for it, since its Message-ID differs; a file of
// the same id and Message-ID (this message delivered before a kill) is
// taken, not delivered twice.
func TestDeliverBesideUnmappedFileWithSameID(t *testing.T) {
	t.Parallel()
	v, md, id, moved := movedIn(t)
	ctx := context.Background()
	v.syncOnce()
	c, err := v.st.CollectionByName(ctx, inboxName)
	if err != nil {
		t.Fatal(err)
	}
	item, err := v.st.ItemByServerID(ctx, c.ID, id)
	if err != nil || item.LocalID == string(moved) || item.MessageID != "<m1@example.net>" {
		t.Fatalf("the new message maps to %q %q (%v), want a file of its own", item.LocalID, item.MessageID, err)
	}
	if r, err := md.OpenMessage(ctx, maildir.Inbox, maildir.Key(item.LocalID)); err != nil {
		t.Fatal(err)
	} else {
		var b bytes.Buffer
		b.ReadFrom(r)
		r.Close()
		if !bytes.Equal(b.Bytes(), mailMsg(1)) {
			t.Errorf("the new message's file holds another message:\n%s", b.Bytes())
		}
	}
	// A redelivery: the file this message got before a kill is reused.
	id3, err := v.srv.DeliverMail("alice", mailMsg(3))
	if err != nil {
		t.Fatal(err)
	}
	early, err := md.Deliver(ctx, maildir.Inbox, id3, bytes.NewReader(mailMsg(3)), 0)
	if err != nil {
		t.Fatal(err)
	}
	v.syncOnce()
	if item, err := v.st.ItemByServerID(ctx, c.ID, id3); err != nil || item.LocalID != string(early) {
		t.Errorf("the redelivered message maps to %q (%v), want the file delivered before: %q", item.LocalID, err, early)
	}
	if list, err := md.List(ctx, maildir.Inbox); err != nil || len(list) != 3 {
		t.Errorf("inbox holds %d messages (%v), want 3", len(list), err)
	}
}
