package maildir

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func openTest(t *testing.T, root string) *Store {
	t.Helper()
	s, err := Open(context.Background(), root, Options{Host: "test:host/x", NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenLayout(t *testing.T) {
	root := t.TempDir()
	openTest(t, root)
	for _, d := range []string{"cur", "new", "tmp", ".Outbox/cur", ".Outbox/new", ".Outbox/tmp", ".Outbox/maildirfolder"} {
		if _, err := os.Stat(filepath.Join(root, d)); err != nil {
			t.Errorf("missing %s: %v", d, err)
		}
	}
}

// A fresh home has no ~/Mail: opening ~/Mail/work creates both.
func TestOpenCreatesParents(t *testing.T) {
	root := filepath.Join(t.TempDir(), "home", "Mail", "work")
	openTest(t, root)
	if _, err := os.Stat(filepath.Join(root, "cur")); err != nil {
		t.Fatal(err)
	}
}

func TestDeliverIdempotent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openTest(t, root)
	msg := fixture(t, "plain.eml")
	k1, err := s.Deliver(ctx, Inbox, "5:12", bytes.NewReader(msg), 0)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := s.Deliver(ctx, Inbox, "5:12", bytes.NewReader(msg), Seen)
	if err != nil || k2 != k1 {
		t.Fatalf("redelivery = %q, %v; want %q", k2, err, k1)
	}
	// A new Store (a restart) finds it too.
	s2 := openTest(t, root)
	k3, err := s2.Deliver(ctx, Inbox, "5:12", bytes.NewReader(msg), 0)
	if err != nil || k3 != k1 {
		t.Fatalf("redelivery after restart = %q, %v; want %q", k3, err, k1)
	}
	list, err := s2.List(ctx, Inbox)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	m := list[0]
	if m.Key != k1 || m.ID != "5:12" || m.Size != int64(len(msg)) || m.Flags != 0 {
		t.Errorf("message = %+v", m)
	}
	if !strings.Contains(m.Path, string(filepath.Separator)+"new"+string(filepath.Separator)) {
		t.Errorf("unflagged message not in new/: %s", m.Path)
	}
	if strings.Contains(filepath.Base(m.Path), "/") || strings.Count(filepath.Base(m.Path), ":") != 0 {
		t.Errorf("bad name %q", filepath.Base(m.Path))
	}
	got, _ := os.ReadFile(m.Path)
	if !bytes.Equal(got, msg) {
		t.Error("content differs")
	}
	if k, ok, _ := s2.Lookup(ctx, Inbox, "5:12"); !ok || k != k1 {
		t.Errorf("Lookup = %q %v", k, ok)
	}
	if _, ok, _ := s2.Lookup(ctx, Inbox, "5:13"); ok {
		t.Error("Lookup found a missing id")
	}
}

// A reader that fails half way leaves nothing behind.
func TestDeliverReadError(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openTest(t, root)
	r := io.MultiReader(strings.NewReader("From: x\n\n"), errReader{})
	if _, err := s.Deliver(ctx, Inbox, "a", r, 0); err == nil {
		t.Fatal("no error")
	}
	for _, d := range []string{"tmp", "new", "cur"} {
		if n, _ := readNames(filepath.Join(root, d)); len(n) != 0 {
			t.Errorf("%s holds %v", d, n)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Deliver(cctx, Inbox, "b", strings.NewReader("x"), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Deliver error = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// Streaming: a large message goes through in pieces with the right size.
func TestDeliverLarge(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	const size = 30 << 20
	r := io.MultiReader(strings.NewReader("Message-ID: <big@x>\r\n\r\n"), io.LimitReader(zeros{}, size))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	k, err := s.Deliver(ctx, Inbox, "big", r, Seen)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("delivering 30 MB allocated %d bytes: not streamed", alloc)
	}
	list, _ := s.List(ctx, Inbox)
	fi, err := os.Stat(list[0].Path)
	if err != nil || list[0].Key != k || fi.Size() != size+23 || list[0].Size != fi.Size() || list[0].Flags != Seen {
		t.Fatalf("large message %+v %v", list[0], err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestFlagsMoveRemove(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openTest(t, root)
	arch, _ := FolderOf("Archive")
	if err := s.CreateFolder(ctx, arch); err != nil {
		t.Fatal(err)
	}
	k, _ := s.Deliver(ctx, Inbox, "1", bytes.NewReader(fixture(t, "plain.eml")), 0)
	// A client adds keyword "a" behind our back.
	list, _ := s.List(ctx, Inbox)
	kw := filepath.Join(root, "cur", filepath.Base(list[0].Path)+":2,a")
	if err := os.Rename(list[0].Path, kw); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFlags(ctx, Inbox, k, Seen|Flagged); err != nil {
		t.Fatal(err)
	}
	names, _ := readNames(filepath.Join(root, "cur"))
	if len(names) != 1 || !strings.HasSuffix(names[0], ":2,FSa") || parseName(names[0]).key != k {
		t.Fatalf("after SetFlags: %v", names)
	}
	if err := s.Move(ctx, Inbox, k, arch); err != nil {
		t.Fatal(err)
	}
	names, _ = readNames(filepath.Join(root, ".Archive", "cur"))
	if len(names) != 1 || parseName(names[0]).key != k {
		t.Fatalf("after Move: %v", names)
	}
	if _, ok, _ := s.Lookup(ctx, arch, "1"); !ok {
		t.Error("id not found in the destination")
	}
	rc, err := s.OpenMessage(ctx, arch, k)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := s.Remove(ctx, arch, k); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, arch, k); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove = %v", err)
	}
	if err := s.SetFlags(ctx, Folder(".Nope"), k, Seen); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetFlags in a missing folder = %v", err)
	}
}

func TestFolderOps(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openTest(t, root)
	a, _ := FolderOf("A.1")
	ab, _ := FolderOf("A.1", "B/2")
	c, _ := FolderOf("C")
	for _, f := range []Folder{a, ab} {
		if err := s.CreateFolder(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateFolder(ctx, a); !errors.Is(err, ErrExists) {
		t.Errorf("second create = %v", err)
	}
	k, _ := s.Deliver(ctx, ab, "x", strings.NewReader("Subject: x\n\nx\n"), Seen)
	if err := s.RenameFolder(ctx, a, c); err != nil {
		t.Fatal(err)
	}
	cb, _ := FolderOf("C", "B/2")
	fs, _ := s.Folders(ctx)
	if got := folderStrings(fs); got != "INBOX,C,C/B/2,Outbox" {
		t.Errorf("folders after rename = %s", got)
	}
	if k2, ok, _ := s.Lookup(ctx, cb, "x"); !ok || k2 != k {
		t.Error("message lost in rename")
	}
	if err := s.DeleteFolder(ctx, c); err != nil {
		t.Fatal(err)
	}
	fs, _ = s.Folders(ctx)
	if got := folderStrings(fs); got != "INBOX,Outbox" {
		t.Errorf("folders after delete = %s", got)
	}
	if err := s.DeleteFolder(ctx, Inbox); err == nil {
		t.Error("deleted INBOX")
	}
}

func folderStrings(fs []Folder) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return strings.Join(out, ",")
}

// Open removes our own crashed deliveries from tmp/ and nothing else.
func TestCleanTmp(t *testing.T) {
	root := t.TempDir()
	openTest(t, root)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1)")
	}
	dead := cmd.Process.Pid
	files := map[string]bool{ // name -> should survive
		tmpPrefix + strconv.Itoa(dead) + ".1.M1P1.h":         false,
		tmpPrefix + strconv.Itoa(os.Getppid()) + ".1.M1P1.h": true, // alive
		"1700.M1P1.other-mda":                                true,
		tmpPrefix + "notapid.x":                              true,
	}
	for n := range files {
		os.WriteFile(filepath.Join(root, "tmp", n), []byte("x"), 0o600)
	}
	openTest(t, root)
	for n, keep := range files {
		_, err := os.Stat(filepath.Join(root, "tmp", n))
		if (err == nil) != keep {
			t.Errorf("%s: exists=%v, want %v", n, err == nil, keep)
		}
	}
}

// Concurrent deliveries of one id make one file.
func TestDeliverConcurrentSameID(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openTest(t, root)
	keys := make(chan Key, 8)
	for range 8 {
		go func() {
			k, err := s.Deliver(ctx, Inbox, "same", bytes.NewReader(fixture(t, "plain.eml")), 0)
			if err != nil {
				t.Error(err)
			}
			keys <- k
		}()
	}
	first := <-keys
	for range 7 {
		if k := <-keys; k != first {
			t.Errorf("keys differ: %q %q", k, first)
		}
	}
	names, _ := readNames(filepath.Join(root, "new"))
	tmp, _ := readNames(filepath.Join(root, "tmp"))
	if len(names) != 1 || len(tmp) != 0 {
		t.Errorf("new/ %v, tmp/ %v", names, tmp)
	}
}

func TestHeaderHelpers(t *testing.T) {
	if messageIDHash(bufio.NewReader(bytes.NewReader(fixture(t, "folded.eml")))) !=
		messageIDHash(bufio.NewReader(strings.NewReader("Message-Id: <folded-2@example.org>\n\n"))) {
		t.Error("folded Message-ID hashes differently")
	}
	if messageIDHash(bufio.NewReader(strings.NewReader("Subject: x\n\nMessage-ID: <body@x>\n"))) != 0 {
		t.Error("Message-ID found in the body")
	}
	for name, want := range map[string]bool{"plain.eml": true, "folded.eml": true, "garbage.txt": false} {
		if err := checkHeader(bytes.NewReader(fixture(t, name))); (err == nil) != want {
			t.Errorf("checkHeader(%s) = %v", name, err)
		}
	}
	if checkHeader(strings.NewReader("")) == nil {
		t.Error("empty message accepted")
	}
}
