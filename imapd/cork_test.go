package imapd

import (
	"net"
	"strings"
	"testing"
)

// writeCounter is a net.Conn that records its writes.
type writeCounter struct {
	net.Conn
	writes []string
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestCorkConn(t *testing.T) {
	wc := &writeCounter{}
	c := &corkConn{Conn: wc}
	c.Write([]byte("a"))
	c.cork()
	c.Write([]byte("b"))
	c.Write([]byte("c"))
	if len(wc.writes) != 1 {
		t.Fatalf("corked writes went out: %q", wc.writes)
	}
	big := strings.Repeat("x", corkBlock)
	c.Write([]byte(big))
	if len(wc.writes) != 2 || wc.writes[1] != "bc"+big {
		t.Fatalf("a full block was not written at once: %d writes", len(wc.writes))
	}
	c.Write([]byte("d"))
	if err := c.uncork(); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("e"))
	if got := strings.Join(wc.writes[2:], "|"); got != "d|e" {
		t.Errorf("after uncork: %q, want d|e", got)
	}
}
