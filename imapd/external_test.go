package imapd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/maildir"
)

// TestExternalChanges: changes another Maildir client makes on disk
// (mutt renaming for a flag, deleting a file, delivering into new/)
// reach a selected session through the watcher and HandleEvent.
func TestExternalChanges(t *testing.T) {
	fx := newFixture(t, "")
	fx.deliver(maildir.Inbox, "s1", testMessage(1), maildir.Seen)
	fx.deliver(maildir.Inbox, "s2", testMessage(2), maildir.Seen)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan maildir.Event, 64)
	go fx.store.Watch(ctx, events)
	ready := make(chan struct{})
	go func() {
		for ev := range events {
			if ev.Kind == maildir.Ready {
				close(ready)
			}
			fx.srv.HandleEvent(ev)
		}
	}()
	<-ready
	c := fx.login()
	c.ok("SELECT INBOX")
	c.ok("EXAMINE INBOX")
	if _, st := c.cmd(`STORE 1 +FLAGS (\Flagged)`); !strings.HasPrefix(st, "NO") {
		t.Errorf("STORE after EXAMINE: %s", st)
	}
	c.ok("SELECT INBOX")
	m := listOf(t, fx, maildir.Inbox)
	// mutt flags message 1: a rename in cur/.
	if err := os.Rename(m[0].Path, strings.TrimSuffix(m[0].Path, "S")+"FS"); err != nil {
		t.Fatal(err)
	}
	// and deletes message 2.
	if err := os.Remove(m[1].Path); err != nil {
		t.Fatal(err)
	}
	// and a third arrives from another deliverer.
	msg := testMessage(3)
	tmp := filepath.Join(fx.root, "tmp", "1700000000.M1P1Q1.other")
	os.WriteFile(tmp, []byte(msg), 0o600)
	os.Rename(tmp, filepath.Join(fx.root, "new", "1700000000.M1P1Q1.other"))

	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got += strings.Join(c.ok("NOOP"), "")
		if strings.Contains(got, "EXPUNGE") && strings.Contains(got, `\Flagged`) && strings.Contains(got, "EXISTS") {
			break
		}
	}
	for _, want := range []string{`* 1 FETCH (UID 1 FLAGS (\Seen \Flagged))`, "* 2 EXPUNGE", "* 2 EXISTS"} {
		if !strings.Contains(got, want) {
			t.Errorf("updates lack %q: %q", want, got)
		}
	}
	if f := c.ok("UID FETCH 1:* (FLAGS)"); len(f) != 2 || !strings.Contains(f[1], "UID 3 ") {
		t.Errorf("after external changes: %q", f)
	}
}
