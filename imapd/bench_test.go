package imapd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fillFast writes n messages straight into dir/cur with Maildir names
// (faster than Deliver's fsyncs, for benchmarks).
func fillFast(b *testing.B, dir string, n int) {
	b.Helper()
	for _, d := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	for i := 0; i < n; i++ {
		msg := testMessage(i)
		name := fmt.Sprintf("%d.M%dP1Q%d.bench,S=%d:2,S", 1700000000+i, i, i, len(msg))
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(msg), 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelect50k: SELECT of a 50,000-message folder, warm (the uid
// list exists), over loopback.
func BenchmarkSelect50k(b *testing.B) {
	root := filepath.Join(b.TempDir(), "Mail")
	fillFast(b, filepath.Join(root, ".Big"), 50000)
	os.WriteFile(filepath.Join(root, ".Big", "maildirfolder"), nil, 0o600)
	fx := newFixture(b, root)
	c := fx.login()
	c.ok("SELECT Big") // cold: builds the uid list
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := strings.Join(c.ok("EXAMINE Big"), ""); !strings.Contains(got, "* 50000 EXISTS") {
			b.Fatal(got)
		}
	}
}

// BenchmarkFetchHeaders1000: Thunderbird's header FETCH of 1,000 messages.
func BenchmarkFetchHeaders1000(b *testing.B) {
	root := filepath.Join(b.TempDir(), "Mail")
	fillFast(b, root, 1000)
	fx := newFixture(b, root)
	c := fx.login()
	c.ok("SELECT INBOX")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := c.ok("UID FETCH 1:1000 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])"); len(got) != 1000 {
			b.Fatal(len(got))
		}
	}
}

// BenchmarkAppend50k: APPEND into a 50,000-message folder, which rewrites
// its uid list (temp file, fsync, rename) to record the new UID.
func BenchmarkAppend50k(b *testing.B) {
	root := filepath.Join(b.TempDir(), "Mail")
	fillFast(b, filepath.Join(root, ".Big"), 50000)
	os.WriteFile(filepath.Join(root, ".Big", "maildirfolder"), nil, 0o600)
	fx := newFixture(b, root)
	c := fx.login()
	c.ok("STATUS Big (MESSAGES)")
	msg := testMessage(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, st := c.cmd("APPEND Big {%d+}\r\n%s", len(msg), msg); !strings.HasPrefix(st, "OK") {
			b.Fatal(st)
		}
	}
}
