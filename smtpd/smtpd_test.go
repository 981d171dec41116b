package smtpd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a fake Sender and Spool: it keeps what it was given and
// answers with the configured errors.
type recorder struct {
	mu       sync.Mutex
	sendErr  error
	spoolErr error
	sent     []string
	spooled  []string
	to       [][]string
}

func (r *recorder) Send(_ context.Context, from string, to []string, msg io.Reader) error {
	b, _ := io.ReadAll(msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sendErr != nil {
		return r.sendErr
	}
	r.sent = append(r.sent, string(b))
	r.to = append(r.to, to)
	return nil
}

func (r *recorder) Spool(_ context.Context, from string, to []string, msg io.Reader) error {
	b, _ := io.ReadAll(msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spoolErr != nil {
		return r.spoolErr
	}
	r.spooled = append(r.spooled, string(b))
	return nil
}

func start(t *testing.T, rec *recorder) string {
	t.Helper()
	srv, err := New(Config{Listen: "127.0.0.1:0", User: "alice", Password: "s3cret", MaxMessageBytes: 1 << 16,
		TempDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, rec, rec)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

const testMsg = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello.\r\n"

// submit runs one submission and returns the error of the step that failed.
func submit(t *testing.T, addr, pass, msg string, to ...string) error {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	c, err := smtp.NewClient(conn, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if pass != "" {
		if err := c.Auth(smtp.PlainAuth("", "alice", pass, "localhost")); err != nil {
			return err
		}
	}
	if err := c.Mail("alice@example.org"); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func TestSubmission(t *testing.T) {
	tests := []struct {
		name              string
		pass, msg         string
		sendErr, spoolErr error
		wantErr           string // substring of the SMTP error, "" for success
		sent, spooled     int
	}{
		{name: "sent", pass: "s3cret", msg: testMsg, sent: 1},
		{name: "refused permanently", pass: "s3cret", msg: testMsg, sendErr: Permanent(errors.New("recipient unknown")), wantErr: "554 5.7.0 Refused by the mail server: recipient unknown"},
		{name: "queued", pass: "s3cret", msg: testMsg, sendErr: errors.New("server unreachable"), spooled: 1},
		{name: "cannot queue", pass: "s3cret", msg: testMsg, sendErr: errors.New("down"), spoolErr: errors.New("disk full"), wantErr: "451 4.3.0"},
		{name: "wrong password", pass: "nope", msg: testMsg, wantErr: "535"},
		{name: "no auth", pass: "", msg: testMsg, wantErr: "authenticate"},
		{name: "no header", pass: "s3cret", msg: "just text\r\n", wantErr: "554 5.6.0"},
		{name: "blank first", pass: "s3cret", msg: "\r\nbody\r\n", wantErr: "554 5.6.0"},
		{name: "binary header", pass: "s3cret", msg: "\x01\x02: x\r\n\r\nbody\r\n", wantErr: "554 5.6.0"},
		{name: "too large", pass: "s3cret", msg: testMsg + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 1000), wantErr: "552"},
		{name: "line too long", pass: "s3cret", msg: testMsg + strings.Repeat("x", 5000) + "\r\n", wantErr: "500 5.5.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{sendErr: tc.sendErr, spoolErr: tc.spoolErr}
			addr := start(t, rec)
			err := submit(t, addr, tc.pass, tc.msg, "bob@example.org", "hidden@example.org")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(errText(err), tc.wantErr)) {
				t.Fatalf("submit: %v, want %q", err, tc.wantErr)
			}
			if len(rec.sent) != tc.sent || len(rec.spooled) != tc.spooled {
				t.Errorf("sent %d spooled %d, want %d %d", len(rec.sent), len(rec.spooled), tc.sent, tc.spooled)
			}
			if tc.sent == 1 && (rec.sent[0] != tc.msg || len(rec.to[0]) != 2) {
				t.Errorf("sender got %q to %v", rec.sent[0], rec.to[0])
			}
			// The server is still up.
			if err := submit(t, addr, "s3cret", testMsg, "x@example.org"); err != nil && tc.sendErr == nil {
				t.Errorf("after: %v", err)
			}
		})
	}
}

func TestNotLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:1587", ":1587", "192.0.2.1:25"} {
		if _, err := New(Config{Listen: addr, User: "a", Password: "b"}, &recorder{}, nil); err == nil {
			t.Errorf("New accepted %s", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0"} {
		if _, err := New(Config{Listen: addr, User: "a", Password: "b"}, &recorder{}, nil); err != nil {
			t.Errorf("New refused %s: %v", addr, err)
		}
	}
}

func TestAddBcc(t *testing.T) {
	tests := []struct {
		msg  string
		to   []string
		want string
	}{
		{testMsg, []string{"bob@example.org"}, testMsg},
		{testMsg, []string{"BOB@example.org", "hidden@example.org", "h2@example.org"}, "Bcc: hidden@example.org,\r\n h2@example.org\r\n" + testMsg},
		{"To: \"Bob\" <bob@example.org>, carol@example.org\nCc: dave@example.org\n\nbody\n", []string{"carol@example.org", "dave@example.org", "eve@example.org"},
			"Bcc: eve@example.org\r\nTo: \"Bob\" <bob@example.org>, carol@example.org\nCc: dave@example.org\n\nbody\n"},
	}
	for _, tc := range tests {
		r, err := AddBcc(strings.NewReader(tc.msg), tc.to)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if string(got) != tc.want {
			t.Errorf("AddBcc(%q, %v) = %q, want %q", tc.msg, tc.to, got, tc.want)
		}
	}
}

func FuzzValidHeader(f *testing.F) {
	for _, s := range []string{testMsg, "", "\r\n", " x\r\n", "A: b\r\n c\r\n\r\n", "A:b"} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, whole bool) {
		validHeader(b, whole) // must not panic
		if _, err := AddBcc(strings.NewReader(string(b)), []string{"a@b.c"}); err != nil {
			return
		}
	})
}

// errText flattens a textproto.Error to "code text".
func errText(err error) string {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("%d %s", te.Code, te.Msg)
	}
	return err.Error()
}
