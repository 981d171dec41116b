package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/easbridge/easbridge/bridge"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/maildir"
	"github.com/easbridge/easbridge/smtpd"
)

func TestMailConfig(t *testing.T) {
	const acct = "[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\n"
	for _, tc := range []struct {
		name, text, imap, smtp, wantErr string
	}{
		{"defaults", acct, "127.0.0.1:1143", "127.0.0.1:1587", ""},
		{"set", "[imap]\nlisten=\"127.0.0.1:2143\"\n[smtp]\nlisten=\"off\"\n" + acct, "127.0.0.1:2143", "off", ""},
		{"unknown imap key", "[imap]\nport=1\n" + acct, "", "", "unknown key imap.port"},
		{"unknown smtp key", "[smtp]\ntls=true\n" + acct, "", "", "unknown key smtp.tls"},
		{"not loopback", "[imap]\nlisten=\"0.0.0.0:1143\"\n" + acct, "", "", "[imap] listen \"0.0.0.0:1143\" is not a loopback address"},
		{"no port", "[smtp]\nlisten=\"127.0.0.1\"\n" + acct, "", "", "[smtp] listen \"127.0.0.1\": want host:port"},
		{"ipv6 loopback", "[imap]\nlisten=\"[::1]:1143\"\n" + acct, "[::1]:1143", "127.0.0.1:1587", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(writeConfig(t, tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.IMAP.Listen != tc.imap || cfg.SMTP.Listen != tc.smtp {
				t.Errorf("imap %q smtp %q, want %q %q", cfg.IMAP.Listen, cfg.SMTP.Listen, tc.imap, tc.smtp)
			}
		})
	}
}

func TestClientsMail(t *testing.T) {
	path := writeConfig(t, "[dav]\npassword_command=\"echo p\"\n[smtp]\nlisten=\"off\"\n[[account]]\nname=\"work\"\nurl=\"u\"\nusername=\"x\"\n")
	var out, errOut bytes.Buffer
	if code := printClients(context.Background(), []string{"--config", path}, &out, &errOut); code != 0 {
		t.Fatalf("clients = %d: %s", code, errOut.String())
	}
	s := out.String()
	for _, want := range []string{"IMAP (mail):                127.0.0.1 port 1143, no TLS, user work",
		"Incoming IMAP, Hostname 127.0.0.1", "Normal password, Username work"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "SMTP (sending)") || strings.Contains(s, "Outgoing SMTP") {
		t.Errorf("SMTP is off but the guide shows it:\n%s", s)
	}
}

func TestSendError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
	}{
		{"sent", nil, false},
		{"invalid content", &eas.StatusError{Command: "SendMail", Status: 101}, true},
		{"submission failed", fmt.Errorf("wrapped: %w", &eas.StatusError{Command: "SendMail", Status: 120}), true},
		{"server error", &eas.StatusError{Command: "SendMail", Status: 110}, false},
		{"mailbox server offline", &eas.StatusError{Command: "SendMail", Status: 114}, false},
		{"provision", &eas.StatusError{Command: "SendMail", Status: 142, Err: eas.ErrProvisionNeeded}, false},
		{"throttled", &eas.ThrottledError{Command: "SendMail", Err: eas.ErrThrottled}, false},
		{"http 400", &eas.HTTPError{Command: "SendMail", StatusCode: 400}, true},
		{"http 401", &eas.HTTPError{Command: "SendMail", StatusCode: 401, Err: eas.ErrUnauthorized}, false},
		{"http 503", &eas.HTTPError{Command: "SendMail", StatusCode: 503}, false},
		{"network", errors.New("eas: cannot connect to mail.example.com"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sendError(tc.err)
			if (err == nil) != (tc.err == nil) || smtpd.IsPermanent(err) != tc.permanent {
				t.Errorf("sendError(%v) = %v, permanent %v; want permanent %v", tc.err, err, smtpd.IsPermanent(err), tc.permanent)
			}
		})
	}
}

// mailFixture is startMail over one account whose EAS server is eastest.
type mailFixture struct {
	t    *testing.T
	srv  *eastest.Server
	mail *maildir.Store
	ms   *mailServers
	user string
}

func newMailFixture(t *testing.T) *mailFixture {
	t.Helper()
	return newMailFixtures(t, "work")[0]
}

// newMailFixtures starts one IMAP and one SMTP server for an account per
// name, each with its own eastest user and Maildir.
func newMailFixtures(t *testing.T, names ...string) []*mailFixture {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var fxs []*mailFixture
	var accounts []*account
	for _, name := range names {
		srv := eastest.New(eastest.Config{})
		if err := srv.AddUser(eastest.User{Name: "alice", Password: "xpw"}); err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		client, err := eas.New(eas.Config{URL: ts.URL + "/Microsoft-Server-ActiveSync", User: "alice",
			Credentials: eas.Basic{User: "alice", Password: "xpw"}, DeviceID: "test1", DeviceType: "easbridge", Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		st, err := maildir.Open(ctx, filepath.Join(t.TempDir(), name), maildir.Options{NoSync: true, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		state, err := store.Open(ctx, filepath.Join(t.TempDir(), name+".db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { state.Close() })
		engine, err := bridge.New(bridge.Config{Name: name, Client: client, Store: state, Maildir: st, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, &account{cfg: accountConfig{Name: name}, mail: st, client: client, store: state, engine: engine})
		fxs = append(fxs, &mailFixture{t: t, srv: srv, mail: st, user: name})
	}
	cfg := &config{IMAP: listenConfig{"127.0.0.1:0"}, SMTP: listenConfig{"127.0.0.1:0"}}
	ms, err := startMail(ctx, cfg, accounts, "localpw", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ms.close)
	if ms.imapAddr == "" || ms.smtpAddr == "" {
		t.Fatal("a mail server did not start")
	}
	for _, fx := range fxs {
		fx.ms = ms
	}
	return fxs
}

func (fx *mailFixture) submit(msg string, to ...string) error {
	return smtp.SendMail(fx.ms.smtpAddr, smtp.PlainAuth("", fx.user, "localpw", "127.0.0.1"), "alice@example.org", to, []byte(msg))
}

// TestSubmissionByEAS: a submitted message goes out by SendMail with its
// envelope-only recipient as Bcc and a Sent copy; a refusal is a 5xx; an
// unreachable server queues the message in the Outbox, Bcc included.
func TestSubmissionByEAS(t *testing.T) {
	fx := newMailFixture(t)
	const msg = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\nHello.\r\n"
	if err := fx.submit(msg, "bob@example.org", "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	sent := fx.srv.SentMessages()
	if len(sent) != 1 || !sent[0].SavedInSent || !slices.Contains(sent[0].Recipients, "carol@example.org") {
		t.Fatalf("sent %+v, want one message saved in Sent with carol as Bcc", sent)
	}
	fx.srv.Inject(eastest.Fault{Kind: eastest.FaultStatus, Command: "SendMail", Status: 120})
	err := fx.submit(msg, "bob@example.org")
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 554 || !strings.Contains(te.Msg, "could not submit") {
		t.Errorf("refused by the server: %v, want 554", err)
	}
	fx.srv.Inject(eastest.Fault{Kind: eastest.FaultHTTP, Command: "SendMail", Status: 503})
	if err := fx.submit(msg, "bob@example.org", "dave@example.org"); err != nil {
		t.Fatalf("server unavailable: %v, want the message queued", err)
	}
	// The spool writes through the user view, which leaves the file for
	// the watcher to report: read the directory itself.
	files, _ := filepath.Glob(filepath.Join(fx.mail.Root(), ".Outbox", "new", "*"))
	if len(files) != 1 {
		t.Fatalf("outbox holds %q, want one message", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.HasPrefix(string(b), "Bcc: dave@example.org\r\n") {
		t.Errorf("queued message lacks the envelope's Bcc: %q", b)
	}
	if n := len(fx.srv.SentMessages()); n != 1 {
		t.Errorf("%d messages sent, want 1", n)
	}
}

// TestIMAPChangesReachTheWatcher: a flag set over IMAP is reported by the
// watcher as a user change (what the engine acts on), and a delivery by
// the engine's view of the Maildir is pushed to an idling client.
func TestIMAPChangesReachTheWatcher(t *testing.T) {
	fx := newMailFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k, err := fx.mail.Deliver(ctx, maildir.Inbox, "srv-1", strings.NewReader("Subject: one\r\n\r\nx\r\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan maildir.Event, 64)
	go fx.mail.Watch(ctx, events)
	waitEvent(t, events, maildir.Ready, "")
	c, err := imapclient.DialInsecure(fx.ms.imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("work", "localpw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, events, maildir.FlagsChanged, k)
	if ev.Flags&maildir.Flagged == 0 {
		t.Errorf("event %+v lacks the flag", ev)
	}
	// an engine delivery reaches a second client's IDLE
	exists := make(chan uint32, 4)
	c2, err := imapclient.DialInsecure(fx.ms.imapAddr, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				exists <- *d.NumMessages
			}
		}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login("work", "localpw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c2.Idle()
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := fx.mail.Deliver(ctx, maildir.Inbox, "srv-2", strings.NewReader("Subject: two\r\n\r\nx\r\n"), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-exists:
		if n != 2 {
			t.Errorf("EXISTS %d, want 2", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no EXISTS during IDLE after an engine delivery")
	}
}

// waitEvent returns the first watcher event of kind (for key k, if set).
func waitEvent(t *testing.T, events <-chan maildir.Event, kind maildir.EventKind, k maildir.Key) maildir.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind && (k == "" || ev.Key == k) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event", kind)
		}
	}
}

// TestMailTwoAccounts: on one IMAP and one SMTP port, each account's name
// reaches its own Maildir and its own server.
func TestMailTwoAccounts(t *testing.T) {
	fxs := newMailFixtures(t, "work", "home")
	for i, fx := range fxs {
		subject := "only " + fx.user
		if _, err := fx.mail.Deliver(context.Background(), maildir.Inbox, "", strings.NewReader("Subject: "+subject+"\r\n\r\nx\r\n"), 0); err != nil {
			t.Fatal(err)
		}
		c, err := imapclient.DialInsecure(fx.ms.imapAddr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(fx.user, "localpw").Wait(); err != nil {
			t.Fatal(err)
		}
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil || sel.NumMessages != 1 {
			t.Fatalf("%s: SELECT %v %v, want its one message", fx.user, sel, err)
		}
		msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
		if err != nil || len(msgs) != 1 || msgs[0].Envelope.Subject != subject {
			t.Errorf("%s: fetched %v %v, want %q", fx.user, msgs, err, subject)
		}
		if err := fx.submit("From: a@example.org\r\nTo: b@example.org\r\nSubject: s\r\n\r\nx\r\n", "b@example.org"); err != nil {
			t.Fatal(err)
		}
		if n, other := len(fx.srv.SentMessages()), len(fxs[1-i].srv.SentMessages()); n != 1 || other != i {
			t.Errorf("after %s's submission: its server sent %d, the other %d", fx.user, n, other)
		}
	}
}
