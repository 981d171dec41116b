package imapd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/easbridge/easbridge/maildir"
)

func mustFolder(t *testing.T, path ...string) maildir.Folder {
	f, err := maildir.FolderOf(path...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestThunderbirdSequence replays what Thunderbird 128 sends on account
// set-up and first sync, and checks the answers.
func TestThunderbirdSequence(t *testing.T) {
	fx := newFixture(t, "")
	ctx := context.Background()
	for _, name := range []string{"Sent", "Drafts", "Trash", "Junk", "Projects"} {
		if err := fx.store.CreateFolder(ctx, mustFolder(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	fx.store.CreateFolder(ctx, mustFolder(t, "Projects", "Café"))
	fx.deliver(maildir.Inbox, "s1", testMessage(1), 0)
	fx.deliver(maildir.Inbox, "s2", testMessage(2), maildir.Seen)
	fx.deliver(maildir.Inbox, "s3", readFixture(t, "multipart.eml"), 0)

	c := fx.dial()
	caps := strings.Join(c.ok("CAPABILITY"), "")
	for _, want := range []string{"IMAP4rev1", "AUTH=PLAIN"} {
		if !strings.Contains(caps, want) {
			t.Errorf("pre-auth CAPABILITY lacks %s: %s", want, caps)
		}
	}
	c.ok("AUTHENTICATE PLAIN %s", "AGFsaWNlAHMzY3JldA==") // \0alice\0s3cret
	// Thunderbird sends ID only when advertised; the library has no ID.
	if _, st := c.cmd(`ID ("name" "Thunderbird" "version" "128.0")`); !strings.HasPrefix(st, "BAD") {
		t.Errorf("ID (not advertised) = %q, want BAD", st)
	}
	caps = strings.Join(c.ok("CAPABILITY"), "")
	for _, want := range []string{"IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE", "NAMESPACE", "APPENDLIMIT="} {
		if !strings.Contains(caps, want) {
			t.Errorf("CAPABILITY lacks %s: %s", want, caps)
		}
	}
	if strings.Contains(caps, "CONDSTORE") {
		t.Errorf("CONDSTORE advertised but not implemented: %s", caps)
	}
	c.ok("NAMESPACE")
	list := c.ok(`LIST (SPECIAL-USE) "" "*"`)
	for _, want := range []string{`(\Sent \HasNoChildren) "/" "Sent"`, `(\Drafts \HasNoChildren) "/" "Drafts"`,
		`(\Trash \HasNoChildren) "/" "Trash"`, `(\Junk \HasNoChildren) "/" "Junk"`} {
		if len(grep(list, want)) != 1 {
			t.Errorf("LIST (SPECIAL-USE) lacks %s: %q", want, list)
		}
	}
	if len(grep(list, "INBOX")) != 0 {
		t.Errorf("LIST (SPECIAL-USE) lists INBOX: %q", list)
	}
	list = c.ok(`LIST "" "*" RETURN (SPECIAL-USE)`)
	for _, want := range []string{`"/" INBOX`, `(\HasChildren) "/" "Projects"`, `"/" "Projects/Caf&AOk-"`, `\Sent`} {
		if len(grep(list, want)) != 1 {
			t.Errorf("LIST lacks %s: %q", want, list)
		}
	}
	if got := c.ok(`LSUB "" "*"`); len(got) != 8 {
		t.Errorf("LSUB lists %d folders, want 8: %q", len(got), got)
	}
	st := c.ok(`STATUS "Sent" (UIDNEXT MESSAGES UNSEEN RECENT)`)
	if len(st) != 1 || !strings.Contains(st[0], "MESSAGES 0") || !strings.Contains(st[0], "UIDNEXT 1") {
		t.Errorf("STATUS = %q", st)
	}
	sel := strings.Join(c.ok("SELECT INBOX"), "")
	for _, want := range []string{"* 3 EXISTS", "[UIDNEXT 4]", "[UIDVALIDITY ", "[PERMANENTFLAGS (", `\*`, "[UNSEEN 1]"} {
		if !strings.Contains(sel, want) {
			t.Errorf("SELECT lacks %q: %s", want, sel)
		}
	}
	flags := c.ok("UID FETCH 1:* (FLAGS)")
	if len(flags) != 3 || !strings.Contains(flags[1], `UID 2 FLAGS (\Seen)`) {
		t.Errorf("UID FETCH 1:* (FLAGS) = %q", flags)
	}
	hdrs := c.ok("UID FETCH 1:50 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])")
	if len(hdrs) != 3 || !strings.Contains(hdrs[0], "Subject: message 1\r\n") || strings.Contains(hdrs[0], "Hello") ||
		!strings.Contains(hdrs[0], "RFC822.SIZE "+fmt.Sprint(len(testMessage(1)))) {
		t.Errorf("header fetch = %q", hdrs)
	}
	if strings.Contains(hdrs[2], "MIME-Version") || !strings.Contains(hdrs[2], "multipart/mixed") {
		t.Errorf("HEADER.FIELDS kept the wrong fields: %q", hdrs[2])
	}
	if got := c.ok("UID FETCH 1 (FLAGS)"); strings.Contains(got[0], `\Seen`) {
		t.Errorf("BODY.PEEK set \\Seen: %q", got)
	}
	bs := c.ok("UID FETCH 3 (BODYSTRUCTURE ENVELOPE INTERNALDATE)")
	for _, want := range []string{`"text" "plain"`, `"application" "pdf"`, `"mixed"`, `"Carol"`, "<multi1@example.org>", "INTERNALDATE"} {
		if !strings.Contains(bs[0], want) {
			t.Errorf("BODYSTRUCTURE/ENVELOPE lacks %s: %q", want, bs)
		}
	}
	part := c.ok("UID FETCH 3 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[]<0.6> BODY.PEEK[TEXT]<0.7>)")
	for _, want := range []string{"BODY[1] {13}\r\nSee attached. ", "BODY[]<0> {6}\r\nFrom: ", "BODY[TEXT]<0> {7}\r\n--XYZ\r\n", `filename="a.pdf"`} {
		if !strings.Contains(part[0], want) {
			t.Errorf("partial/part fetch lacks %q: %q", want, part)
		}
	}
	full := c.ok("FETCH 1 (BODY[])")
	if !strings.Contains(full[0], testMessage(1)) || !strings.Contains(full[0], `\Seen`) {
		t.Errorf("FETCH BODY[] = %q", full)
	}
	if m := listOf(t, fx, maildir.Inbox); m[0].Flags != maildir.Seen {
		t.Errorf("after BODY[], flags on disk = %v, want S", m[0].Flags)
	}

	// IDLE: a message delivered through the Store, nobody calling Notify,
	// reaches the idling client by the poll.
	fmt.Fprintf(c.conn, "i1 IDLE\r\n")
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	fx.deliver(maildir.Inbox, "s4", testMessage(4), 0)
	if l := c.line(); !strings.Contains(l, "* 4 EXISTS") {
		t.Errorf("IDLE pushed %q, want * 4 EXISTS", l)
	}
	// And with Notify (what the engine does after a delivery).
	fx.deliver(maildir.Inbox, "s5", testMessage(5), 0)
	fx.srv.Notify(maildir.Inbox)
	if l := c.line(); !strings.Contains(l, "* 5 EXISTS") {
		t.Errorf("IDLE pushed %q, want * 5 EXISTS", l)
	}
	fmt.Fprintf(c.conn, "DONE\r\n")
	if _, st := c.until("i1"); !strings.HasPrefix(st, "OK") {
		t.Errorf("DONE: %s", st)
	}
	c.ok("LOGOUT")
}

func listOf(t *testing.T, fx *fixture, f maildir.Folder) []maildir.Message {
	t.Helper()
	m, err := fx.store.List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFlagsCopyMoveExpunge(t *testing.T) {
	fx := newFixture(t, "")
	ctx := context.Background()
	trash := mustFolder(t, "Trash")
	fx.store.CreateFolder(ctx, trash)
	k1 := fx.deliver(maildir.Inbox, "s1", testMessage(1), 0)
	k2 := fx.deliver(maildir.Inbox, "s2", testMessage(2), 0)
	fx.deliver(maildir.Inbox, "s3", testMessage(3), 0)

	c := fx.login()
	other := fx.login()
	c.ok("SELECT INBOX")
	other.ok("SELECT INBOX")
	got := c.ok(`UID STORE 1 +FLAGS (\Seen \Flagged $label1)`)
	if len(got) != 1 || !strings.Contains(got[0], `UID 1 FLAGS (\Seen \Flagged $label1)`) {
		t.Errorf("STORE = %q", got)
	}
	if m := listOf(t, fx, maildir.Inbox); m[0].Key != k1 || m[0].Flags != maildir.Seen|maildir.Flagged {
		t.Errorf("flags on disk = %v", m[0].Flags)
	}
	if up := other.ok("NOOP"); len(grep(up, `FLAGS (\Seen \Flagged $label1)`)) != 1 {
		t.Errorf("other session saw %q", up)
	}
	c.ok(`STORE 1 -FLAGS.SILENT ($label1)`)
	if got := c.ok("FETCH 1 FLAGS"); !strings.Contains(got[0], `FLAGS (\Seen \Flagged)`) {
		t.Errorf("after -FLAGS: %q", got)
	}

	cp := c.ok("UID COPY 3 Trash")
	_ = cp
	if _, st := c.cmd("UID COPY 3 Nowhere"); !strings.Contains(st, "TRYCREATE") {
		t.Errorf("COPY to a missing folder: %s", st)
	}
	mv := strings.Join(c.ok("UID MOVE 2 Trash"), "")
	if !strings.Contains(mv, "[COPYUID ") || !strings.Contains(mv, "* 2 EXPUNGE") {
		t.Errorf("MOVE = %q", mv)
	}
	tm := listOf(t, fx, trash)
	if len(tm) != 2 || (tm[0].Key != k2 && tm[1].Key != k2) {
		t.Errorf("Trash holds %v", tm)
	}
	c.ok(`STORE 1 +FLAGS (\Deleted)`)
	ex := c.ok("EXPUNGE")
	if len(grep(ex, "* 1 EXPUNGE")) != 1 {
		t.Errorf("EXPUNGE = %q", ex)
	}
	if m := listOf(t, fx, maildir.Inbox); len(m) != 1 {
		t.Errorf("INBOX after expunge: %v", m)
	}
	if up := strings.Join(other.ok("NOOP"), ""); !strings.Contains(up, "EXPUNGE") {
		t.Errorf("other session saw %q", up)
	}
	kinds := map[maildir.EventKind]int{}
	for _, ev := range fx.changes() {
		kinds[ev.Kind]++
	}
	if kinds[maildir.FlagsChanged] < 2 || kinds[maildir.Added] != 1 || kinds[maildir.Moved] != 1 || kinds[maildir.Removed] != 1 {
		t.Errorf("reported changes %v", kinds)
	}
}

func TestAppend(t *testing.T) {
	fx := newFixture(t, "")
	ctx := context.Background()
	drafts := mustFolder(t, "Drafts")
	fx.store.CreateFolder(ctx, drafts)
	c := fx.login()
	msg := testMessage(7)
	lines, st := c.cmd("APPEND Drafts (\\Draft \\Seen) {%d+}\r\n%s", len(msg), msg)
	if !strings.Contains(st, "[APPENDUID ") || len(lines) != 0 {
		t.Fatalf("APPEND = %q %s", lines, st)
	}
	m := listOf(t, fx, drafts)
	if len(m) != 1 || m[0].Flags != maildir.Draft|maildir.Seen {
		t.Fatalf("Drafts = %v", m)
	}
	b, _ := os.ReadFile(m[0].Path)
	if string(b) != msg {
		t.Errorf("stored %q", b)
	}
	_, st = c.cmd("APPEND Outbox {%d+}\r\n%s", len(msg), msg)
	if !strings.HasPrefix(st, "OK") {
		t.Fatal(st)
	}
	var out []maildir.Event
	for _, ev := range fx.changes() {
		if ev.Kind == maildir.OutboxMessage {
			out = append(out, ev)
		}
	}
	if len(out) != 1 || out[0].Path == "" {
		t.Errorf("outbox events %v", out)
	}

	for _, bad := range []string{"no header here\r\n\r\nbody", "\r\nbody only", " folded: x\r\n\r\n", "\x00\x01: x\r\n\r\n"} {
		if _, st := c.cmd("APPEND Drafts {%d+}\r\n%s", len(bad), bad); !strings.HasPrefix(st, "NO") {
			t.Errorf("APPEND %q = %s, want NO", bad, st)
		}
	}
	// Oversized literal: refused before the client sends it.
	fmt.Fprintf(c.conn, "big APPEND Drafts {%d}\r\n", 2<<20)
	if l := c.line(); !strings.Contains(l, "TOOBIG") {
		t.Errorf("oversized APPEND: %q", l)
	}
	c.ok("NOOP")
	if m := listOf(t, fx, drafts); len(m) != 1 {
		t.Errorf("Drafts after bad appends: %v", m)
	}
	if _, st := c.cmd("APPEND Nowhere {%d+}\r\n%s", len(msg), msg); !strings.Contains(st, "TRYCREATE") {
		t.Errorf("APPEND to missing folder: %s", st)
	}
}

func TestUIDsStableAcrossRestart(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Mail")
	fx := newFixture(t, root)
	for i := 1; i <= 5; i++ {
		fx.deliver(maildir.Inbox, fmt.Sprint("s", i), testMessage(i), 0)
	}
	c := fx.login()
	sel1 := strings.Join(c.ok("SELECT INBOX"), "")
	c.ok(`UID STORE 2 +FLAGS (\Deleted $work)`)
	c.ok("EXPUNGE")
	before := c.ok("UID FETCH 1:* (FLAGS)")
	fx.srv.Close()

	fx2 := newFixture(t, root)
	fx2.deliver(maildir.Inbox, "s6", testMessage(6), 0)
	c2 := fx2.login()
	sel2 := strings.Join(c2.ok("SELECT INBOX"), "")
	validity := func(s string) string {
		i := strings.Index(s, "[UIDVALIDITY ")
		return s[i : i+strings.Index(s[i:], "]")]
	}
	if validity(sel1) != validity(sel2) {
		t.Errorf("UIDVALIDITY changed: %s -> %s", validity(sel1), validity(sel2))
	}
	after := c2.ok("UID FETCH 1:* (FLAGS)")
	if len(after) != 5 {
		t.Fatalf("after restart %q", after)
	}
	for i := range before {
		uidPart := before[i][strings.Index(before[i], "UID"):]
		if !strings.Contains(after[i], uidPart) {
			t.Errorf("message %d: before %q after %q", i+1, before[i], after[i])
		}
	}
	if !strings.Contains(after[4], "UID 6 ") {
		t.Errorf("new message after restart: %q (UID 2 was expunged, so 6 is next)", after[4])
	}
}

func TestFolders(t *testing.T) {
	fx := newFixture(t, "")
	c := fx.login()
	c.ok("CREATE Work")
	c.ok("CREATE Work/2026/")
	if _, st := c.cmd("CREATE Work"); !strings.Contains(st, "ALREADYEXISTS") {
		t.Errorf("CREATE twice: %s", st)
	}
	msg := testMessage(1)
	c.cmd("APPEND Work/2026 {%d+}\r\n%s", len(msg), msg)
	uid := c.ok("STATUS Work/2026 (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
	c.ok("RENAME Work Archive")
	if got := c.ok(`LIST "" "Archive*"`); len(got) != 2 {
		t.Errorf("after RENAME: %q", got)
	}
	uid2 := c.ok("STATUS Archive/2026 (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
	strip := func(s []string) string { return s[0][strings.Index(s[0], "("):] }
	if strip(uid) != strip(uid2) {
		t.Errorf("UIDs not kept across RENAME: %q vs %q", uid, uid2)
	}
	c.ok("DELETE Archive")
	if got := c.ok(`LIST "" "*"`); len(got) != 2 { // INBOX, Outbox
		t.Errorf("after DELETE: %q", got)
	}
	for _, bad := range []string{"DELETE INBOX", "DELETE Outbox", "RENAME Nowhere X", "SELECT Nowhere", "CREATE a//b"} {
		if _, st := c.cmd("%s", bad); !strings.HasPrefix(st, "NO") {
			t.Errorf("%s = %s, want NO", bad, st)
		}
	}
}

func TestSearch(t *testing.T) {
	fx := newFixture(t, "")
	fx.deliver(maildir.Inbox, "s1", testMessage(1), maildir.Seen)
	fx.deliver(maildir.Inbox, "s2", testMessage(2), 0)
	fx.deliver(maildir.Inbox, "s3", readFixture(t, "multipart.eml"), maildir.Flagged)
	c := fx.login()
	c.ok("SELECT INBOX")
	for _, tc := range []struct{ q, want string }{
		{"SEARCH UNSEEN", "* SEARCH 2 3"},
		{"SEARCH SEEN", "* SEARCH 1"},
		{"SEARCH FLAGGED", "* SEARCH 3"},
		{"UID SEARCH FROM carol", "* SEARCH 3"},
		{`SEARCH SUBJECT "message 2"`, "* SEARCH 2"},
		{"SEARCH BODY attached", "* SEARCH 3"},
		{"SEARCH TEXT number", "* SEARCH 1 2"},
		{"SEARCH NOT SEEN NOT FLAGGED", "* SEARCH 2"},
		{"SEARCH OR SEEN FLAGGED", "* SEARCH 1 3"},
		{"SEARCH SENTSINCE 3-Nov-2026", "* SEARCH 3"},
		{"SEARCH 2:*", "* SEARCH 2 3"},
		{"UID SEARCH UID 1:2 SMALLER 100000", "* SEARCH 1 2"},
		{"SEARCH HEADER Message-ID <m1@example.org>", "* SEARCH 1"},
	} {
		got := c.ok("%s", tc.q)
		if len(got) != 1 || strings.TrimRight(got[0], "\r\n") != tc.want {
			t.Errorf("%s = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// TestBadInput: protocol errors are answered cleanly and the server and
// the Maildir survive them.
func TestBadInput(t *testing.T) {
	fx := newFixture(t, "")
	fx.deliver(maildir.Inbox, "s1", testMessage(1), 0)
	c := fx.dial()
	if _, st := c.cmd("LOGIN alice wrong"); !strings.HasPrefix(st, "NO") {
		t.Errorf("wrong password: %s", st)
	}
	if _, st := c.cmd("LOGIN mallory s3cret"); !strings.HasPrefix(st, "NO") {
		t.Errorf("wrong user: %s", st)
	}
	if _, st := c.cmd("SELECT INBOX"); !strings.HasPrefix(st, "BAD") && !strings.HasPrefix(st, "NO") {
		t.Errorf("SELECT before login: %s", st)
	}
	c.ok("LOGIN alice s3cret")
	for _, bad := range []string{"FROBNICATE", "FETCH 1 (BODY[)", "SELECT", "UID FETCH x:y FLAGS", "STORE 1 +FLAGS (\\Seen"} {
		if _, st := c.cmd("%s", bad); !strings.HasPrefix(st, "BAD") && !strings.HasPrefix(st, "NO") {
			t.Errorf("%q = %s, want BAD", bad, st)
		}
	}
	// An oversized command literal: no continuation is sent, the command
	// is refused (the library answers once the next line arrives) and the
	// connection goes on.
	fmt.Fprintf(c.conn, "x1 SELECT {10000000}\r\nx2 NOOP\r\n")
	if l := c.line(); !strings.HasPrefix(l, "x1 BAD") {
		t.Errorf("oversized literal: %q", l)
	}
	c.ok("NOOP")
	// The server must still take new connections and serve the message.
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := fx.dialQuiet()
			if cl == nil {
				errs <- "dial failed"
				return
			}
			defer cl.conn.Close()
			for _, cmd := range []string{"LOGIN alice s3cret", "SELECT INBOX", "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])", "LOGOUT"} {
				if st := cl.run(cmd); !strings.HasPrefix(st, "OK") {
					errs <- cmd + ": " + st
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if m := listOf(t, fx, maildir.Inbox); len(m) != 1 {
		t.Errorf("maildir after abuse: %v", m)
	}
}
