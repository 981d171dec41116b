package maildir

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type watchRig struct {
	t      *testing.T
	s      *Store
	root   string
	events chan Event
	cancel context.CancelFunc
	done   chan error
}

func startWatch(t *testing.T, root string, opts Options, setup func(*Store)) *watchRig {
	t.Helper()
	opts.Host = "test"
	opts.NoSync = true
	opts.Debounce = 10 * time.Millisecond
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if opts.Settle == 0 {
		opts.Settle = 20 * time.Millisecond
	}
	s, err := Open(context.Background(), root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &watchRig{t: t, s: s, root: root, events: make(chan Event, 100000), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Watch(ctx, r.events) }()
	t.Cleanup(r.stop)
	if ev := r.next(); ev.Kind != Ready {
		t.Fatalf("first event %+v, want ready", ev)
	}
	return r
}

func (r *watchRig) stop() {
	if r.cancel != nil {
		r.cancel()
		if err := <-r.done; err != nil {
			r.t.Errorf("Watch returned %v", err)
		}
		r.cancel = nil
	}
}

// next waits for the next event; the long timeout only stops a hung test.
func (r *watchRig) next() Event {
	r.t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(10 * time.Second):
		r.t.Fatal("no event")
		return Event{}
	}
}

// sentinel makes an outside change and checks that it is the next event,
// proving nothing was reported before it.
func (r *watchRig) sentinel() {
	r.t.Helper()
	p := filepath.Join(r.root, "new", fmt.Sprintf("sentinel%d.x", time.Now().UnixNano()))
	os.WriteFile(p, []byte("Subject: s\n\n"), 0o600)
	if ev := r.next(); ev.Kind != Added || ev.Key != Key(filepath.Base(p)) {
		r.t.Fatalf("event before the sentinel: %+v", ev)
	}
}

func msg(id string) []byte {
	return []byte("From: a@example.org\r\nMessage-ID: <" + id + "@example.org>\r\nSubject: " + id + "\r\n\r\nbody " + id + "\r\n")
}

func TestWatchUserChanges(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	arch, _ := FolderOf("Archive")
	var k1, k2, k3, k4 Key
	r := startWatch(t, root, Options{}, func(s *Store) {
		s.CreateFolder(ctx, arch)
		k1, _ = s.Deliver(ctx, Inbox, "1", bytes.NewReader(msg("m1")), 0)
		k2, _ = s.Deliver(ctx, Inbox, "2", bytes.NewReader(msg("m2")), Seen)
		k3, _ = s.Deliver(ctx, Inbox, "3", bytes.NewReader(msg("m3")), Seen)
		k4, _ = s.Deliver(ctx, Inbox, "4", bytes.NewReader(msg("m4")), Seen)
	})
	list, _ := r.s.List(ctx, Inbox)
	path := map[Key]string{}
	for _, m := range list {
		path[m.Key] = m.Path
	}

	// Read: new/ -> cur/ with S.
	os.Rename(path[k1], filepath.Join(root, "cur", filepath.Base(path[k1])+":2,S"))
	ev := r.next()
	if ev.Kind != FlagsChanged || ev.Key != k1 || ev.Flags != Seen || ev.OldFlags != 0 {
		t.Fatalf("read: %+v", ev)
	}
	// Delete.
	os.Remove(path[k2])
	if ev := r.next(); ev.Kind != Removed || ev.Key != k2 || ev.Folder != Inbox {
		t.Fatalf("delete: %+v", ev)
	}
	// Move by rename (Dovecot, aerc).
	os.Rename(path[k3], filepath.Join(root, ".Archive", "cur", filepath.Base(path[k3])))
	if ev := r.next(); ev.Kind != Moved || ev.Key != k3 || ev.OldKey != k3 || ev.From != Inbox || ev.Folder != arch {
		t.Fatalf("move: %+v", ev)
	}
	// Move by copy with a new name, then delete (mutt), bytes changed.
	cp := filepath.Join(root, ".Archive", "new", "1800.R77.mutt")
	data, _ := os.ReadFile(path[k4])
	os.WriteFile(cp, append([]byte("Content-Length: 9\n"), data...), 0o600)
	time.Sleep(50 * time.Millisecond) // let the copy be seen alone first
	os.Remove(path[k4])
	if ev := r.next(); ev.Kind != Moved || ev.Key != "1800.R77.mutt" || ev.OldKey != k4 || ev.From != Inbox || ev.Folder != arch || ev.OldFlags != Seen {
		t.Fatalf("move by copy: %+v", ev)
	}
	r.sentinel()
}

func TestWatchNoEcho(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	r := startWatch(t, root, Options{}, nil)
	s := r.s
	arch, _ := FolderOf("Archive")
	other, _ := FolderOf("Other")
	if err := s.CreateFolder(ctx, arch); err != nil {
		t.Fatal(err)
	}
	k, _ := s.Deliver(ctx, Inbox, "1", bytes.NewReader(msg("e1")), 0)
	s.SetFlags(ctx, Inbox, k, Seen|Replied)
	s.Move(ctx, Inbox, k, arch)
	k2, _ := s.Deliver(ctx, arch, "2", bytes.NewReader(msg("e2")), 0)
	s.Remove(ctx, arch, k2)
	s.RenameFolder(ctx, arch, other)
	s.SetFlags(ctx, other, k, Seen)
	time.Sleep(100 * time.Millisecond) // give echoes a chance to show
	r.sentinel()
	s.DeleteFolder(ctx, other)
	time.Sleep(50 * time.Millisecond)
	r.sentinel()
	// The watcher follows our rename: a user change in the renamed
	// folder is reported there.
	third, _ := FolderOf("Third")
	s.CreateFolder(ctx, third)
	time.Sleep(50 * time.Millisecond)
	os.WriteFile(filepath.Join(root, string(third), "new", "u1.x"), msg("u1"), 0o600)
	if ev := r.next(); ev.Kind != Added || ev.Folder != third {
		t.Fatalf("after our create: %+v", ev)
	}
}

func TestWatchFolders(t *testing.T) {
	root := t.TempDir()
	r := startWatch(t, root, Options{}, nil)
	work, _ := FolderOf("Work")
	if err := makeMaildir(filepath.Join(root, ".Work"), true); err != nil {
		t.Fatal(err)
	}
	if ev := r.next(); ev.Kind != FolderAdded || ev.Folder != work {
		t.Fatalf("add: %+v", ev)
	}
	os.WriteFile(filepath.Join(root, ".Work", "cur", "k1.x:2,S"), msg("w1"), 0o600)
	if ev := r.next(); ev.Kind != Added || ev.Key != "k1.x" || ev.Flags != Seen {
		t.Fatalf("message: %+v", ev)
	}
	os.Rename(filepath.Join(root, ".Work"), filepath.Join(root, ".Job"))
	if ev := r.next(); ev.Kind != FolderRenamed || ev.From != work || ev.Folder != ".Job" {
		t.Fatalf("rename: %+v", ev)
	}
	os.RemoveAll(filepath.Join(root, ".Job"))
	if ev := r.next(); ev.Kind != FolderRemoved || ev.Folder != ".Job" {
		t.Fatalf("remove: %+v", ev)
	}
	r.sentinel()
}

func TestWatchOutbox(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	// A message waiting from before the start is handed over at once.
	ob := filepath.Join(root, ".Outbox")
	makeMaildir(ob, true)
	os.WriteFile(filepath.Join(ob, "cur", "old.x:2,S"), fixture(t, "plain.eml"), 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(ob, "cur", "old.x:2,S"), old, old)
	r := startWatch(t, root, Options{Settle: time.Second}, nil)
	if ev := r.next(); ev.Kind != OutboxMessage || ev.Key != "old.x" {
		t.Fatalf("waiting outbox message: %+v", ev)
	}
	if err := r.s.Sent(ctx, "old.x"); err != nil {
		t.Fatal(err)
	}
	// Half written: seen only once it settles, then sent.
	p := filepath.Join(ob, "new", "drop.x")
	fh, _ := os.Create(p)
	fh.WriteString("From: me@example.org\nTo: you@example.org\n")
	time.Sleep(50 * time.Millisecond)
	fh.WriteString("Subject: hi\n\nbody\n")
	fh.Close()
	ev := r.next()
	if ev.Kind != OutboxMessage || ev.Key != "drop.x" {
		t.Fatalf("dropped message: %+v", ev)
	}
	if data, _ := os.ReadFile(ev.Path); !strings.HasSuffix(string(data), "body\n") {
		t.Fatalf("handed over before complete: %q", data)
	}
	r.s.Sent(ctx, ev.Key)
	// Garbage: a problem, left in place.
	g := filepath.Join(ob, "new", "garbage")
	os.WriteFile(g, fixture(t, "garbage.txt"), 0o600)
	if ev := r.next(); ev.Kind != Problem || ev.Path != g || ev.Err == nil {
		t.Fatalf("garbage: %+v", ev)
	}
	if _, err := os.Stat(g); err != nil {
		t.Error("garbage was deleted")
	}
	r.sentinel()
}

// An unreadable directory is a problem, not a loss: its messages are not
// reported removed.
func TestWatchUnreadable(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	r := startWatch(t, root, Options{}, func(s *Store) {
		s.Deliver(ctx, Inbox, "1", bytes.NewReader(msg("u")), Seen)
	})
	newDir := filepath.Join(root, "new")
	os.Remove(newDir)
	os.WriteFile(newDir, []byte("not a directory"), 0o600)
	os.WriteFile(filepath.Join(root, "cur", "poke.x"), msg("p"), 0o600)
	if ev := r.next(); ev.Kind != Problem || !strings.Contains(ev.Path, root) {
		t.Fatalf("unreadable: %+v", ev)
	}
	os.Remove(newDir)
	os.Mkdir(newDir, 0o700)
	if ev := r.next(); ev.Kind != Added || ev.Key != "poke.x" {
		t.Fatalf("after repair: %+v", ev)
	}
	r.sentinel()
}

// fakeNotifier lets a test raise an overflow.
type fakeNotifier struct {
	events   chan string
	overflow chan struct{}
	errs     chan error
}

func (f *fakeNotifier) Add(string) error          { return nil }
func (f *fakeNotifier) Remove(string) error       { return nil }
func (f *fakeNotifier) Events() <-chan string     { return f.events }
func (f *fakeNotifier) Overflow() <-chan struct{} { return f.overflow }
func (f *fakeNotifier) Errors() <-chan error      { return f.errs }
func (f *fakeNotifier) Close() error              { return nil }

// With every event lost, an overflow alone makes the watcher find all
// changes.
func TestWatchOverflow(t *testing.T) {
	fake := &fakeNotifier{events: make(chan string), overflow: make(chan struct{}, 1), errs: make(chan error)}
	saved := newNotifier
	newNotifier = func() (notifier, error) { return fake, nil }
	t.Cleanup(func() { newNotifier = saved })
	root := t.TempDir()
	r := startWatch(t, root, Options{}, nil)
	for i := range 50 {
		os.WriteFile(filepath.Join(root, "new", fmt.Sprintf("f%02d.x", i)), msg(fmt.Sprint(i)), 0o600)
	}
	fake.overflow <- struct{}{}
	seen := map[Key]bool{}
	for len(seen) < 50 {
		ev := r.next()
		if ev.Kind != Added {
			t.Fatalf("unexpected %+v", ev)
		}
		seen[ev.Key] = true
	}
}

// Polling (the macOS path) finds changes without notifications.
func TestWatchPoll(t *testing.T) {
	root := t.TempDir()
	r := startWatch(t, root, Options{Poll: 20 * time.Millisecond}, nil)
	os.WriteFile(filepath.Join(root, "cur", "p.x:2,F"), msg("p"), 0o600)
	if ev := r.next(); ev.Kind != Added || ev.Flags != Flagged {
		t.Fatalf("poll: %+v", ev)
	}
}

func TestWatchTwice(t *testing.T) {
	r := startWatch(t, t.TempDir(), Options{}, nil)
	if err := r.s.Watch(context.Background(), make(chan Event)); err != ErrWatching {
		t.Errorf("second Watch = %v", err)
	}
}

// A rename whose arrival notification has not been read yet is still a
// move, not a removal: the watcher looks in the other folders first.
func TestWatchSplitMove(t *testing.T) {
	ctx := context.Background()
	fake := &fakeNotifier{events: make(chan string, 1), overflow: make(chan struct{}), errs: make(chan error)}
	saved := newNotifier
	newNotifier = func() (notifier, error) { return fake, nil }
	t.Cleanup(func() { newNotifier = saved })
	root := t.TempDir()
	arch, _ := FolderOf("Archive")
	var k Key
	r := startWatch(t, root, Options{}, func(s *Store) {
		s.CreateFolder(ctx, arch)
		k, _ = s.Deliver(ctx, Inbox, "1", bytes.NewReader(msg("s1")), Seen)
	})
	list, _ := r.s.List(ctx, Inbox)
	os.Rename(list[0].Path, filepath.Join(root, ".Archive", "cur", filepath.Base(list[0].Path)))
	fake.events <- filepath.Join(root, "cur") // only the source side
	if ev := r.next(); ev.Kind != Moved || ev.Key != k || ev.From != Inbox || ev.Folder != arch {
		t.Fatalf("split move: %+v", ev)
	}
}

// Changes through AsUser are reported like a client's; subscriptions hear
// about every change, ours included.
func TestWatchAsUserAndSubscribe(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	arch, _ := FolderOf("Archive")
	var k Key
	r := startWatch(t, root, Options{}, func(s *Store) {
		s.CreateFolder(ctx, arch)
		k, _ = s.Deliver(ctx, Inbox, "1", bytes.NewReader(msg("a1")), 0)
	})
	sub := r.s.Subscribe()
	defer sub.Close()
	u := r.s.AsUser()
	if err := u.SetFlags(ctx, Inbox, k, Seen|Flagged); err != nil {
		t.Fatal(err)
	}
	if ev := r.next(); ev.Kind != FlagsChanged || ev.Key != k || ev.Flags != Flagged|Seen {
		t.Fatalf("user SetFlags: %+v", ev)
	}
	if err := u.Move(ctx, Inbox, k, arch); err != nil {
		t.Fatal(err)
	}
	if ev := r.next(); ev.Kind != Moved || ev.Key != k || ev.Folder != arch {
		t.Fatalf("user Move: %+v", ev)
	}
	k2, err := u.Deliver(ctx, r.s.Outbox(), "", strings.NewReader("From: me@example.org\r\n\r\nhi\r\n"), Seen)
	if err != nil {
		t.Fatal(err)
	}
	if ev := r.next(); ev.Kind != OutboxMessage || ev.Key != k2 {
		t.Fatalf("user append to the outbox: %+v", ev)
	}
	select {
	case <-sub.C():
	case <-time.After(5 * time.Second):
		t.Fatal("no change signal")
	}
	if got := sub.Changed(); len(got) != 3 || got[0] != Inbox || got[1] != arch || got[2] != r.s.Outbox() {
		t.Errorf("changed folders %q", got)
	}
	// Our own change: signalled, not reported as an event.
	r.s.Remove(ctx, arch, k)
	<-sub.C()
	if got := sub.Changed(); len(got) != 1 || got[0] != arch {
		t.Errorf("changed after Remove: %q", got)
	}
	r.sentinel()
}

// A copy-and-delete move is paired with the message actually removed even
// when another folder holds a message with the same Message-ID.
func TestWatchCopyMoveWithTwin(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	sent, _ := FolderOf("Sent")
	arch, _ := FolderOf("Archive")
	var k Key
	r := startWatch(t, root, Options{}, func(s *Store) {
		s.CreateFolder(ctx, sent)
		s.CreateFolder(ctx, arch)
		s.Deliver(ctx, sent, "s", bytes.NewReader(msg("same")), Seen)
		k, _ = s.Deliver(ctx, Inbox, "i", bytes.NewReader(msg("same")), Seen)
	})
	list, _ := r.s.List(ctx, Inbox)
	data, _ := os.ReadFile(list[0].Path)
	os.WriteFile(filepath.Join(root, ".Archive", "cur", "1900.R1.mutt:2,S"), data, 0o600)
	time.Sleep(50 * time.Millisecond)
	os.Remove(list[0].Path)
	if ev := r.next(); ev.Kind != Moved || ev.OldKey != k || ev.From != Inbox || ev.Folder != arch || ev.Key != "1900.R1.mutt" {
		t.Fatalf("move: %+v", ev)
	}
	r.sentinel()
}

// A half-written outbox file is looked at again when it settles, even if
// other folders are rescanned in between.
func TestWatchOutboxRecheck(t *testing.T) {
	root := t.TempDir()
	r := startWatch(t, root, Options{Settle: 2 * time.Second}, nil)
	os.WriteFile(filepath.Join(root, ".Outbox", "new", "o.x"), fixture(t, "plain.eml"), 0o600)
	time.Sleep(100 * time.Millisecond)
	os.WriteFile(filepath.Join(root, "new", "other.x"), msg("other"), 0o600)
	if ev := r.next(); ev.Kind != Added || ev.Key != "other.x" {
		t.Fatalf("other: %+v", ev)
	}
	if ev := r.next(); ev.Kind != OutboxMessage || ev.Key != "o.x" {
		t.Fatalf("outbox: %+v", ev)
	}
}

// A file dropped into the outbox just before Watch starts (not yet
// settled at the initial scan) is handed over once it settles, not at the
// next periodic reconcile.
func TestWatchOutboxUnsettledAtStart(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cur", "new", "tmp", ".Outbox/cur", ".Outbox/new", ".Outbox/tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, ".Outbox", "new", "o.x"), fixture(t, "plain.eml"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startWatch(t, root, Options{Settle: 300 * time.Millisecond, Reconcile: time.Hour}, nil)
	if ev := r.next(); ev.Kind != OutboxMessage || ev.Key != "o.x" {
		t.Fatalf("outbox: %+v", ev)
	}
}
