package smtpd

import (
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"testing"
)

// TestGroup: the user name at AUTH picks the account whose Sender takes
// the message; another account's password is refused.
func TestGroup(t *testing.T) {
	recs := []*recorder{{}, {}}
	var servers []*Server
	for i, u := range []struct{ user, pass string }{{"work", "pw1"}, {"home", "pw2"}} {
		s, err := New(Config{Listen: "127.0.0.1:0", User: u.user, Password: u.pass, TempDir: t.TempDir(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, recs[i], recs[i])
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	if _, err := NewGroup(servers[1], servers[1]); err == nil {
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
	send := func(user, pass string) error {
		return smtp.SendMail(ln.Addr().String(), smtp.PlainAuth("", user, pass, "127.0.0.1"),
			"a@example.org", []string{"bob@example.org"}, []byte(testMsg))
	}
	if err := send("home", "pw2"); err != nil {
		t.Fatal(err)
	}
	if len(recs[1].sent) != 1 || len(recs[0].sent) != 0 {
		t.Errorf("home's message went to work %d, home %d; want 0, 1", len(recs[0].sent), len(recs[1].sent))
	}
	if err := send("work", "pw2"); err == nil {
		t.Error("work with home's password was accepted")
	}
}
