package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/maildir"
)

// newSendEnv is a mail env whose server keeps no ClientIds (it sends a
// second submission of the same message again), with the Sent folder
// mirrored, and a message in the outbox; it returns the message's key.
func newSendEnv(t *testing.T, msg string) (*env, *maildir.Store, maildir.Key) {
	t.Helper()
	md, err := maildir.Open(context.Background(), t.TempDir(), maildir.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	v := newEnv(t, eastest.Config{ForgetClientIDs: true}, Config{Maildir: md})
	v.e.hooks.sendSettle = 0
	v.syncOnce()
	ctx := context.Background()
	if err := md.CreateFolder(ctx, md.Outbox()); err != nil && !errors.Is(err, maildir.ErrExists) {
		t.Fatal(err)
	}
	k, err := md.AsUser().Deliver(ctx, md.Outbox(), "", strings.NewReader(msg), 0)
	if err != nil {
		t.Fatal(err)
	}
	return v, md, k
}

const sendMsg = "From: Alice <alice@example.test>\r\nTo: bob@example.net\r\nSubject: once\r\n" +
	"Message-ID: <once-1@example.test>\r\n\r\nonly once\r\n"

// sendEvent hands the outbox message to the engine as the watcher does.
func (v *env) sendEvent(md *maildir.Store, k maildir.Key) error {
	return v.e.handleMailEvent(context.Background(), maildir.Event{Kind: maildir.OutboxMessage, Folder: md.Outbox(), Key: k})
}

// outboxLeft counts the files in the outbox on disk (the Store's own view
// of a folder changed through its user view lags until a rescan).
func outboxLeft(t *testing.T, md *maildir.Store) int {
	t.Helper()
	n := 0
	for _, d := range []string{"new", "cur"} {
		list, err := os.ReadDir(filepath.Join(md.Root(), string(md.Outbox()), d))
		if err != nil {
			t.Fatal(err)
		}
		n += len(list)
	}
	return n
}

// The server sent the message but its answer was lost: the retry finds
// the message in Sent and does not send it again, though the server
// would (it keeps no ClientIds).
func TestSendLostAnswerNotSentTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, msg string }{
		{"with Message-ID", sendMsg},
		{"without Message-ID", strings.Replace(sendMsg, "Message-ID: <once-1@example.test>\r\n", "", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, md, k := newSendEnv(t, tc.msg)
			v.srv.Inject(eastest.Fault{Kind: eastest.FaultDropAfter, Command: "SendMail"})
			if err := v.sendEvent(md, k); err == nil {
				t.Fatal("a send whose answer was lost succeeded")
			}
			if n := len(v.srv.SentMessages()); n != 1 {
				t.Fatalf("the server sent %d messages, want 1", n)
			}
			if outboxLeft(t, md) != 1 || !v.e.outboxRetry[k] {
				t.Fatalf("the message is not kept for a retry (outbox %d, retry %v)", outboxLeft(t, md), v.e.outboxRetry)
			}
			if err := v.e.retryOutbox(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(v.srv.SentMessages()); n != 1 {
				t.Errorf("the server sent %d messages after the retry, want 1", n)
			}
			if outboxLeft(t, md) != 0 || len(v.e.outboxRetry) != 0 {
				t.Errorf("outbox %d, retry %v after the retry; want both empty", outboxLeft(t, md), v.e.outboxRetry)
			}
			// Every try carried the same Message-ID, made from the content
			// when the message had none.
			sent := v.srv.SentMessages()[0].MIME
			if !bytes.Contains(sent, []byte("Message-ID: <")) {
				t.Errorf("sent without a Message-ID:\n%s", sent)
			}
			if tc.msg != sendMsg && !bytes.Contains(sent, []byte("@example.test>\r\n")) {
				t.Errorf("the Message-ID made up is not in the sender's domain:\n%s", sent)
			}
		})
	}
}

// The request never reached the server: the retry sends it, once.
func TestSendLostRequestSentOnRetry(t *testing.T) {
	t.Parallel()
	v, md, k := newSendEnv(t, sendMsg)
	v.srv.Inject(eastest.Fault{Kind: eastest.FaultDrop, Command: "SendMail"})
	if err := v.sendEvent(md, k); err == nil {
		t.Fatal("a send whose request was dropped succeeded")
	}
	if n := len(v.srv.SentMessages()); n != 0 {
		t.Fatalf("the server sent %d messages, want 0", n)
	}
	if err := v.e.retryOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(v.srv.SentMessages()); n != 1 || outboxLeft(t, md) != 0 {
		t.Errorf("after the retry: sent %d (want 1), outbox %d (want 0)", n, outboxLeft(t, md))
	}
}

// A server answer (503 here) says the message was not taken: nothing is
// left to settle, and a refusal of the message itself is not retried.
func TestSendAnsweredFailures(t *testing.T) {
	t.Parallel()
	v, md, k := newSendEnv(t, sendMsg)
	v.srv.Inject(eastest.Fault{Kind: eastest.FaultHTTP, Command: "SendMail", Status: 503})
	if err := v.sendEvent(md, k); err == nil {
		t.Fatal("a send answered 503 succeeded")
	}
	if unsure := v.unsureSends(); len(unsure) != 0 {
		t.Errorf("a send the server answered is recorded as unsure: %v", unsure)
	}
	if !v.e.outboxRetry[k] {
		t.Error("a 503 is not retried")
	}
	v.srv.Inject(eastest.Fault{Kind: eastest.FaultStatus, Command: "SendMail", Status: 120})
	if err := v.e.retryOutbox(context.Background()); err != nil {
		t.Fatalf("a refused message failed the retry: %v", err)
	}
	if v.e.outboxRetry[k] || outboxLeft(t, md) != 1 {
		t.Errorf("a refused message: retry %v, outbox %d; want it left in the outbox and not retried", v.e.outboxRetry, outboxLeft(t, md))
	}
}

func (v *env) unsureSends() []string {
	var out []string
	id := OutboxClientID(mustWithMessageID(sendMsg))
	if s, _ := v.st.Meta(context.Background(), metaSendUnsure+id); s != "" {
		out = append(out, s)
	}
	return out
}

func mustWithMessageID(msg string) []byte {
	b, _ := withMessageID([]byte(msg))
	return b
}

// A kill during the SendMail leaves the try recorded; a new engine (a new
// process) settles it from Sent, and another caller (SMTP) is told to
// leave the message to the engine meanwhile.
func TestSendUnsureAfterKill(t *testing.T) {
	t.Parallel()
	v, md, k := newSendEnv(t, sendMsg)
	ctx := context.Background()
	// What the killed process did: the try recorded, the server sent it.
	data := mustWithMessageID(sendMsg)
	if err := v.st.SetMeta(ctx, metaSendUnsure+OutboxClientID(data), time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	if err := v.e.c.SendMail(ctx, &eas.Message{MIME: data, SaveInSentItems: true, ClientID: OutboxClientID(data)}); err != nil {
		t.Fatal(err)
	}
	if err := v.e.Send(ctx, []byte(sendMsg)); !errors.Is(err, errSendUnsure) {
		t.Errorf("Send from outside the engine with a try unsettled = %v, want errSendUnsure", err)
	}
	if err := v.sendEvent(md, k); err != nil {
		t.Fatal(err)
	}
	if n := len(v.srv.SentMessages()); n != 1 || outboxLeft(t, md) != 0 || len(v.unsureSends()) != 0 {
		t.Errorf("sent %d (want 1), outbox %d (want 0), unsure %v (want none)", n, outboxLeft(t, md), v.unsureSends())
	}
}

// A server that keeps ClientIds answers a second submission with 118
// (MessagePreviouslySent): the message went, so the send succeeded.
func TestSendPreviouslySent(t *testing.T) {
	t.Parallel()
	v, _ := newMailEnv(t)
	ctx := context.Background()
	data := mustWithMessageID(sendMsg)
	if err := v.e.c.SendMail(ctx, &eas.Message{MIME: data, SaveInSentItems: true, ClientID: OutboxClientID(data)}); err != nil {
		t.Fatal(err)
	}
	if err := v.e.Send(ctx, []byte(sendMsg)); err != nil {
		t.Errorf("a send the server recognised as sent before = %v, want nil", err)
	}
	if n := len(v.srv.SentMessages()); n != 1 {
		t.Errorf("the server sent %d messages, want 1", n)
	}
}

// A failed send in Run is tried again without a restart.
func TestRunRetriesOutbox(t *testing.T) {
	t.Parallel()
	v, md, _ := newSendEnv(t, sendMsg)
	// The watcher reports the message when Run starts; the first try's
	// request is dropped.
	v.srv.Inject(eastest.Fault{Kind: eastest.FaultDrop, Command: "SendMail"})
	stop := v.runEngine()
	waitFor(t, "the outbox message sent by a retry and removed", func() bool {
		return len(v.srv.SentMessages()) == 1 && outboxLeft(t, md) == 0
	})
	stop()
	if n := len(v.srv.SentMessages()); n != 1 {
		t.Errorf("the server sent %d messages, want 1", n)
	}
}

func TestWithMessageID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, wantMID, wantPrefix string }{
		{"kept", "Message-ID: <a@b>\r\nSubject: x\r\n\r\nbody", "<a@b>", "Message-ID: <a@b>\r\n"},
		{"folded", "Subject: x\r\nMessage-Id:\r\n <c@d>\r\n\r\nbody", "<c@d>", "Subject"},
		{"made, CRLF", "From: z@example.org\r\nSubject: x\r\n\r\nbody", "@example.org>", "Message-ID: <"},
		{"made, LF", "From: z@example.org\nSubject: x\n\nMessage-ID: <in@body>\n", "@example.org>", "Message-ID: <"},
		{"made, no From", "Subject: x\r\n\r\nbody", "@easbridge.localhost>", "Message-ID: <"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, mid := withMessageID([]byte(tc.in))
			if !strings.HasSuffix(mid, tc.wantMID) || !strings.HasPrefix(string(out), tc.wantPrefix) {
				t.Errorf("withMessageID = %q, %q", out, mid)
			}
			again, mid2 := withMessageID([]byte(tc.in))
			if mid2 != mid || !bytes.Equal(again, out) {
				t.Errorf("not deterministic: %q then %q", mid, mid2)
			}
			if tc.name == "made, LF" && !strings.HasPrefix(string(out), "Message-ID: "+mid+"\n") {
				t.Errorf("the header added does not end like the others: %q", out)
			}
			if _, mid3 := withMessageID(out); mid3 != mid {
				t.Errorf("the Message-ID added is not read back: %q vs %q", mid3, mid)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&eas.StatusError{Command: "SendMail", Status: 120}, true},
		{fmt.Errorf("wrapped: %w", &eas.StatusError{Command: "SendMail", Status: 101}), true},
		{&eas.StatusError{Command: "SendMail", Status: 110}, false},
		{&eas.StatusError{Command: "SendMail", Status: 114}, false},
		{&eas.StatusError{Command: "SendMail", Status: 142, Err: eas.ErrProvisionNeeded}, false},
		{&eas.ThrottledError{Command: "SendMail", Err: eas.ErrThrottled}, false},
		{&eas.HTTPError{Command: "SendMail", StatusCode: 400}, true},
		{&eas.HTTPError{Command: "SendMail", StatusCode: 401, Err: eas.ErrUnauthorized}, false},
		{&eas.HTTPError{Command: "SendMail", StatusCode: 503}, false},
		{errSendUnsure, false},
		{errors.New("connection reset"), false},
	} {
		if got := Refused(tc.err); got != tc.want {
			t.Errorf("Refused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
