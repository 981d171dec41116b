package imapd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easbridge/easbridge/maildir"
)

// fixture is a Store in a temp dir with a Server on a loopback port.
type fixture struct {
	t      testing.TB
	root   string
	store  *maildir.Store
	srv    *Server
	addr   string
	mu     sync.Mutex
	events []maildir.Event
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t testing.TB, root string) *fixture {
	t.Helper()
	if root == "" {
		root = filepath.Join(t.TempDir(), "Mail")
	}
	st, err := maildir.Open(context.Background(), root, maildir.Options{NoSync: true, Logger: quiet(), Host: "test"})
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{t: t, root: root, store: st}
	srv, err := New(st, Config{Listen: "127.0.0.1:0", User: "alice", Password: "s3cret", Logger: quiet(),
		Poll: 50 * time.Millisecond, MaxAppend: 1 << 20,
		Changed: func(ev maildir.Event) { fx.mu.Lock(); fx.events = append(fx.events, ev); fx.mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	fx.srv, fx.addr = srv, ln.Addr().String()
	t.Cleanup(func() { srv.Close() })
	return fx
}

func (fx *fixture) changes() []maildir.Event {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return append([]maildir.Event(nil), fx.events...)
}

// deliver puts a fixture message into folder f through the Store.
func (fx *fixture) deliver(f maildir.Folder, id, msg string, flags maildir.Flags) maildir.Key {
	fx.t.Helper()
	k, err := fx.store.Deliver(context.Background(), f, id, strings.NewReader(msg), flags)
	if err != nil {
		fx.t.Fatal(err)
	}
	return k
}

func testMessage(i int) string {
	return fmt.Sprintf("From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: message %d\r\n"+
		"Date: Mon, 2 Nov 2026 10:%02d:00 +0000\r\nMessage-ID: <m%d@example.org>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHello number %d.\r\n", i, i%60, i, i)
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// client is a raw IMAP client: it sends a tagged command and returns the
// lines up to the tagged reply, literals inlined.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	n    int
}

func (fx *fixture) dial() *client {
	fx.t.Helper()
	c, err := net.Dial("tcp", fx.addr)
	if err != nil {
		fx.t.Fatal(err)
	}
	fx.t.Cleanup(func() { c.Close() })
	cl := &client{t: fx.t, conn: c, r: bufio.NewReader(c)}
	cl.line() // greeting
	return cl
}

func (fx *fixture) login() *client {
	c := fx.dial()
	c.ok("LOGIN alice s3cret")
	return c
}

// line reads one response line, with any literals it announces.
func (c *client) line() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading: %v (so far %q)", err, b.String())
		}
		b.WriteString(l)
		t := strings.TrimRight(l, "\r\n")
		if i := strings.LastIndexByte(t, '{'); i >= 0 && strings.HasSuffix(t, "}") {
			n, err := strconv.Atoi(t[i+1 : len(t)-1])
			if err == nil {
				buf := make([]byte, n)
				if _, err := io.ReadFull(c.r, buf); err != nil {
					c.t.Fatal(err)
				}
				b.Write(buf)
				continue
			}
		}
		return b.String()
	}
}

// cmd sends a command and returns the untagged lines and the tagged one.
func (c *client) cmd(format string, args ...any) ([]string, string) {
	c.t.Helper()
	c.n++
	tag := fmt.Sprintf("a%d", c.n)
	fmt.Fprintf(c.conn, "%s %s\r\n", tag, fmt.Sprintf(format, args...))
	return c.until(tag)
}

func (c *client) until(tag string) ([]string, string) {
	c.t.Helper()
	var lines []string
	for {
		l := c.line()
		if strings.HasPrefix(l, tag+" ") {
			return lines, strings.TrimRight(l[len(tag)+1:], "\r\n")
		}
		lines = append(lines, l)
	}
}

// ok runs a command that must succeed and returns its untagged lines.
func (c *client) ok(format string, args ...any) []string {
	c.t.Helper()
	lines, st := c.cmd(format, args...)
	if !strings.HasPrefix(st, "OK") {
		c.t.Fatalf("%s: %s (%q)", fmt.Sprintf(format, args...), st, lines)
	}
	return lines
}

// grep returns the lines that contain sub.
func grep(lines []string, sub string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// quietClient is a client for goroutines: errors are returned, not fatal.
type quietClient struct {
	conn net.Conn
	r    *bufio.Reader
	n    int
}

func (fx *fixture) dialQuiet() *quietClient {
	c, err := net.Dial("tcp", fx.addr)
	if err != nil {
		return nil
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	qc := &quietClient{conn: c, r: bufio.NewReader(c)}
	if _, err := qc.r.ReadString('\n'); err != nil {
		return nil
	}
	return qc
}

// run sends a command and returns the tagged status, skipping untagged
// lines and literals.
func (qc *quietClient) run(cmd string) string {
	qc.n++
	tag := fmt.Sprintf("q%d", qc.n)
	fmt.Fprintf(qc.conn, "%s %s\r\n", tag, cmd)
	for {
		l, err := qc.r.ReadString('\n')
		if err != nil {
			return "read error: " + err.Error()
		}
		t := strings.TrimRight(l, "\r\n")
		if i := strings.LastIndexByte(t, '{'); i >= 0 && strings.HasSuffix(t, "}") {
			if n, err := strconv.Atoi(t[i+1 : len(t)-1]); err == nil {
				io.CopyN(io.Discard, qc.r, int64(n))
				continue
			}
		}
		if strings.HasPrefix(t, tag+" ") {
			return t[len(tag)+1:]
		}
	}
}
