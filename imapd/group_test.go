package imapd

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/maildir"
)

// TestGroup: each account's name logs into its own Maildir on one
// listener; a name with another account's password is refused.
func TestGroup(t *testing.T) {
	var servers []*Server
	for _, u := range []struct{ user, pass, subject string }{{"work", "pw1", "Work mail"}, {"home", "pw2", "Home mail"}} {
		st, err := maildir.Open(context.Background(), filepath.Join(t.TempDir(), u.user), maildir.Options{NoSync: true, Logger: quiet(), Host: "test"})
		if err != nil {
			t.Fatal(err)
		}
		msg := "From: a@example.org\r\nSubject: " + u.subject + "\r\n\r\nbody\r\n"
		if _, err := st.Deliver(context.Background(), maildir.Inbox, "", strings.NewReader(msg), 0); err != nil {
			t.Fatal(err)
		}
		s, err := New(st, Config{Listen: "127.0.0.1:0", User: u.user, Password: u.pass, Logger: quiet(), Poll: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	if _, err := NewGroup(servers[0], servers[0]); err == nil {
		t.Error("a group with the same user twice was accepted")
	}
	g, err := NewGroup(servers...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(ln)
	t.Cleanup(func() { g.Close() })
	fx := &fixture{t: t, addr: ln.Addr().String()}
	for _, tc := range []struct{ login, want string }{
		{"work pw1", "Work mail"}, {"home pw2", "Home mail"},
	} {
		c := fx.dial()
		c.ok("LOGIN %s", tc.login)
		c.ok("SELECT INBOX")
		lines := c.ok("FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
		if got := strings.Join(lines, ""); !strings.Contains(got, tc.want) {
			t.Errorf("LOGIN %s: FETCH gave %q, want %q", tc.login, got, tc.want)
		}
	}
	for _, bad := range []string{"work pw2", "home pw1", "nobody pw1"} {
		c := fx.dial()
		if _, st := c.cmd("LOGIN %s", bad); !strings.HasPrefix(st, "NO") {
			t.Errorf("LOGIN %s: %s, want NO", bad, st)
		}
	}
}
