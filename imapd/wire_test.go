package imapd

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/easbridge/easbridge/maildir"
)

func TestToCRLF(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"\n\n", "\r\n\r\n"},
		{"a\r\nb\nc\r\r\n", "a\r\nb\r\nc\r\r\n"},
		{"lone\rcr\n", "lone\rcr\r\n"},
	} {
		got := toCRLF([]byte(tc.in))
		if string(got) != tc.want {
			t.Errorf("toCRLF(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if hasBareLF([]byte(tc.in)) != (tc.in != tc.want) {
			t.Errorf("hasBareLF(%q) = %v", tc.in, !(tc.in != tc.want))
		}
		r, _ := io.ReadAll(newCRLFReader(iotest.OneByteReader(strings.NewReader(tc.in))))
		if string(r) != tc.want {
			t.Errorf("crlfReader(%q) = %q, want %q", tc.in, r, tc.want)
		}
		n, _ := countBareLF(iotest.HalfReader(strings.NewReader(tc.in)))
		if int(n) != len(tc.want)-len(tc.in) {
			t.Errorf("countBareLF(%q) = %d, want %d", tc.in, n, len(tc.want)-len(tc.in))
		}
	}
}

// FuzzCRLF: the streaming conversion, the in-memory one and the size
// computed by counting agree, and the result has no bare LF.
func FuzzCRLF(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\r\n\n\r", "x\r", testMessage(1)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := toCRLF(b)
		got, err := io.ReadAll(newCRLFReader(iotest.HalfReader(bytes.NewReader(b))))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("reader %q, toCRLF %q (%v)", got, want, err)
		}
		n, _ := countBareLF(bytes.NewReader(b))
		if int64(len(b))+n != int64(len(want)) || hasBareLF(want) {
			t.Fatalf("size %d+%d, converted %d %q", len(b), n, len(want), want)
		}
	})
}

// literal returns the literal following item in a FETCH response line.
func literal(t *testing.T, line, item string) string {
	t.Helper()
	i := strings.Index(line, item+" {")
	if i < 0 {
		t.Fatalf("no %s in %q", item, line)
	}
	rest := line[i+len(item)+2:]
	j := strings.Index(rest, "}\r\n")
	n, err := strconv.Atoi(rest[:j])
	if err != nil {
		t.Fatal(err)
	}
	return rest[j+3 : j+3+n]
}

// TestBareLFServedAsCRLF: a message written with bare LF is served with
// CRLF, and every size agrees with the bytes sent.
func TestBareLFServedAsCRLF(t *testing.T) {
	fx := newFixture(t, "")
	raw := "From: bob@example.org\nSubject: mutt wrote this\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nline one\nline two\r\n\nend\n"
	fx.deliver(maildir.Inbox, "", raw, 0)
	fx.deliver(maildir.Inbox, "", testMessage(2), 0)
	want := strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	c := fx.login()
	c.ok("SELECT INBOX")
	line := strings.Join(c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[]<10.20> BODY.PEEK[TEXT]<3.7>)"), "")
	size := regexp.MustCompile(`RFC822\.SIZE (\d+)`).FindStringSubmatch(line)
	if size == nil || size[1] != strconv.Itoa(len(want)) {
		t.Errorf("RFC822.SIZE %v, want %d", size, len(want))
	}
	body, hdr, text := literal(t, line, "BODY[]"), literal(t, line, "BODY[HEADER]"), literal(t, line, "BODY[TEXT]")
	if body != want || hdr+text != want {
		t.Errorf("BODY[] %q\nHEADER+TEXT %q\nwant %q", body, hdr+text, want)
	}
	if got := literal(t, line, "BODY[]<10>"); got != want[10:30] {
		t.Errorf("BODY[]<10.20> = %q, want %q", got, want[10:30])
	}
	if got := literal(t, line, "BODY[TEXT]<3>"); got != text[3:10] {
		t.Errorf("BODY[TEXT]<3.7> = %q, want %q", got, text[3:10])
	}
	// a CRLF message is served as stored
	line = strings.Join(c.ok("FETCH 2 (RFC822.SIZE BODY.PEEK[])"), "")
	if b := literal(t, line, "BODY[]"); b != testMessage(2) || !strings.Contains(line, "RFC822.SIZE "+strconv.Itoa(len(b))) {
		t.Errorf("CRLF message changed: %q", line)
	}
	if lines := c.ok("SEARCH LARGER %d", len(want)-1); !strings.Contains(strings.Join(lines, ""), "SEARCH 1") {
		t.Errorf("SEARCH LARGER by the served size: %q", lines)
	}
}

// TestInternalDate: the topmost Received field's date, else Date, else
// the file's time.
func TestInternalDate(t *testing.T) {
	fx := newFixture(t, "")
	fx.deliver(maildir.Inbox, "", "Received: from a by b; Tue, 3 Nov 2026 08:00:00 +0100 (CET)\r\n"+
		"Received: from c by a; Tue, 3 Nov 2026 07:59:00 +0100\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nx\r\n", 0)
	fx.deliver(maildir.Inbox, "", "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nx\r\n", 0)
	fx.deliver(maildir.Inbox, "", "Subject: no date\r\n\r\nx\r\n", 0)
	c := fx.login()
	c.ok("SELECT INBOX")
	lines := c.ok("FETCH 1:3 INTERNALDATE")
	re := regexp.MustCompile(`INTERNALDATE "([^"]+)"`)
	var got []time.Time
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("no INTERNALDATE in %q", l)
		}
		d, err := time.Parse("_2-Jan-2006 15:04:05 -0700", m[1])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	for i, want := range []time.Time{time.Date(2026, 11, 3, 7, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)} {
		if !got[i].Equal(want) {
			t.Errorf("message %d: INTERNALDATE %v, want %v", i+1, got[i], want)
		}
	}
	if time.Since(got[2]) > time.Hour {
		t.Errorf("message without dates: INTERNALDATE %v, want the file's time", got[2])
	}
	if lines := c.ok("SEARCH BEFORE 3-Nov-2026"); !strings.Contains(strings.Join(lines, ""), "SEARCH 2") {
		t.Errorf("SEARCH BEFORE by the header dates: %q", lines)
	}
}

// TestIDNotAdvertised: ID (RFC 2971) is neither advertised nor fatal.
func TestIDNotAdvertised(t *testing.T) {
	fx := newFixture(t, "")
	c := fx.login()
	if caps := strings.Join(c.ok("CAPABILITY"), ""); regexp.MustCompile(`\bID\b|CONDSTORE`).MatchString(caps) {
		t.Errorf("CAPABILITY advertises what is not implemented: %q", caps)
	}
	if _, st := c.cmd(`ID ("name" "Thunderbird")`); !strings.HasPrefix(st, "BAD") {
		t.Errorf("ID: %s, want BAD", st)
	}
	c.ok("NOOP")
}
