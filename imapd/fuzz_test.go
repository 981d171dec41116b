package imapd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// FuzzHeader feeds the APPEND header check and the HEADER.FIELDS filter:
// neither may panic, and a filtered header always ends in a blank line.
func FuzzHeader(f *testing.F) {
	for _, s := range []string{testMessage(1), "", "\r\n", " x\r\n", "A: b\r\n c\r\n\r\nbody", "A:b", "a\nb:\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		validHeader(b, true)
		validHeader(b, false)
		out := filterHeader(b, &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject", "From"}})
		if len(out) < 2 || string(out[len(out)-2:]) != "\r\n" {
			t.Fatalf("filtered header %q lacks the closing CRLF", out)
		}
	})
}

// FuzzUIDList: a damaged uid list is an error or a consistent list,
// never a panic, and what it yields is written back identically.
func FuzzUIDList(f *testing.F) {
	f.Add([]byte("easbridge-uidlist 1 1700000000 4\n1 a\n3 b $x\n"))
	f.Add([]byte("easbridge-uidlist 1 0 0\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, uidListName)
		os.WriteFile(p, b, 0o600)
		l, ok, err := readUIDList(p)
		if err != nil || !ok {
			return
		}
		for k, u := range l.uids {
			if u == 0 || u >= l.next || k == "" {
				t.Fatalf("bad entry %q=%d next %d", k, u, l.next)
			}
		}
	})
}
