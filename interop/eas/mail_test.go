//go:build interop

package eas_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// TestPingWakesOnDelivery holds a Ping on the Inbox, delivers a mail over
// SMTP and expects the Ping to report the Inbox, after which a Sync
// brings the mail.
func TestPingWakesOnDelivery(t *testing.T) {
	forVersions(t, func(t *testing.T, e *env, v eas.Version) {
		a := newAccount(t, e, 1, v)
		inbox := a.folder(eas.FolderInbox)
		col := a.open(inbox)
		col.settle()
		subject := fmt.Sprintf("ping %s %d", runID, v)
		found := false
		for round := 0; round < 4 && !found; round++ {
			type result struct {
				r   *eas.PingResult
				err error
			}
			done := make(chan result, 1)
			ctx := ctxFor(t, 3*time.Minute)
			go func() {
				r, err := a.c.Ping(ctx, 90*time.Second, []eas.PingFolder{{ID: inbox.ServerID, Class: eas.ClassEmail}})
				done <- result{r, err}
			}()
			if round == 0 {
				time.Sleep(time.Second)
				e.deliver(t, "sender@example.net", a.email, mailMessage("sender@example.net", a.email, subject, "wake up"))
			}
			res := <-done
			if res.err != nil {
				t.Fatalf("Ping: %v", res.err)
			}
			if res.r.Status != eas.PingChanges {
				t.Fatalf("Ping ended with status %d, not with the new mail", res.r.Status)
			}
			if !slices.Contains(res.r.Folders, inbox.ServerID) {
				t.Fatalf("Ping reported %v, not the Inbox", res.r.Folders)
			}
			// A Ping may also return for a change the server had not
			// settled yet; the Sync it triggers must bring the mail.
			col.pull()
			_, found = col.find(subjectIs(subject))
		}
		if !found {
			t.Fatalf("the delivered mail %q never came", subject)
		}
	})
}

// TestSendMail sends a message from user 1 to user 2, which then appears
// in user 2's Inbox; SmartReply and SmartForward answer and pass it on.
func TestSendMail(t *testing.T) {
	forVersions(t, func(t *testing.T, e *env, v eas.Version) {
		a := newAccount(t, e, 1, v)
		b := newAccount(t, e, 2, v)
		binbox := b.open(b.folder(eas.FolderInbox))
		ctx := ctxFor(t, time.Minute)
		subject := fmt.Sprintf("sendmail %s %d", runID, v)
		msg := mailMessage(a.email, b.email, subject, "sent through ActiveSync")
		if err := a.c.SendMail(ctx, &eas.Message{MIME: []byte(strings.ReplaceAll(msg, "\n", "\r\n")), ClientID: "send-" + subject, SaveInSentItems: true}); err != nil {
			t.Fatalf("SendMail: %v", err)
		}
		id, ok := binbox.waitFor(60*time.Second, subjectIs(subject))
		if !ok {
			t.Fatalf("the sent mail %q did not reach %s", subject, b.email)
		}
		// b answers with SmartReply and passes it on with SmartForward.
		t.Run("SmartReplyForward", func(t *testing.T) {
			if v < eas.V140 && strings.Contains(binbox.id, "%") {
				// 12.1 names the source in the query string, properly
				// percent-encoded; SOGo 5.8 then fails (HTTP 500) on
				// ServerIds that contain escapes themselves, as its
				// "mail%2F..." ids do. 14.x sends them in the body.
				t.Skip("server cannot resolve percent-escaped ServerIds in the query (SOGo), and 12.1 has no WBXML form")
			}
			a.t, b.t = t, t
			for _, kind := range []string{"Re", "Fwd"} {
				s := kind + ": " + subject
				m := mailMessage(b.email, a.email, s, kind+" body")
				src := &eas.MessageSource{FolderID: binbox.id, ItemID: id}
				var err error
				if kind == "Re" {
					err = b.c.SmartReply(ctx, &eas.Message{MIME: []byte(m), Source: src, ClientID: "r-" + subject})
				} else {
					err = b.c.SmartForward(ctx, &eas.Message{MIME: []byte(m), Source: src, ClientID: "f-" + subject})
				}
				if err != nil {
					t.Fatalf("%s: %v", kind, err)
				}
			}
			ainbox := a.open(a.folder(eas.FolderInbox))
			for _, kind := range []string{"Re", "Fwd"} {
				if _, ok := ainbox.waitFor(60*time.Second, subjectIs(kind+": "+subject)); !ok {
					t.Errorf("the %s of %q did not reach %s", kind, subject, a.email)
				}
			}
		})
	})
}

const attachmentMail = `From: sender@example.net
To: %s
Subject: %s
Date: %s
Message-ID: <%s@easbridge.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

see attachment
--b1
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

%s
--b1--
`

// TestFetchAndMove fetches a delivered mail's MIME and its attachment with
// ItemOperations, moves it to Trash (MoveItems), and creates, renames and
// deletes a folder (FolderCreate, FolderUpdate, FolderDelete).
func TestFetchAndMove(t *testing.T) {
	forVersions(t, func(t *testing.T, e *env, v eas.Version) {
		a := newAccount(t, e, 1, v)
		inbox := a.open(a.folder(eas.FolderInbox))
		subject := fmt.Sprintf("fetch %s %d", runID, v)
		payload := strings.Repeat("attachment line "+runID+"\n", 200)
		e.deliver(t, "sender@example.net", a.email, fmt.Sprintf(attachmentMail, a.email, subject, time.Now().Format(time.RFC1123Z), strings.ReplaceAll(subject, " ", "."), payload))
		id, ok := inbox.waitFor(60*time.Second, subjectIs(subject))
		if !ok {
			t.Fatalf("mail %q not delivered", subject)
		}
		m := inbox.items[id].(*eas.Email)
		ctx := ctxFor(t, 2*time.Minute)

		var mime bytes.Buffer
		if _, err := a.c.FetchMIME(ctx, inbox.id, id, &mime); err != nil {
			t.Fatalf("ItemOperations MIME: %v", err)
		}
		if !strings.Contains(mime.String(), "Subject: "+subject) || !strings.Contains(mime.String(), "notes.txt") {
			t.Errorf("MIME of %d bytes lacks the subject or attachment", mime.Len())
		}
		if len(m.Attachments) != 1 || m.Attachments[0].FileReference == "" {
			t.Fatalf("attachments %+v", m.Attachments)
		}
		var att bytes.Buffer
		if _, err := a.c.FetchAttachment(ctx, m.Attachments[0].FileReference, &att); err != nil {
			t.Fatalf("ItemOperations attachment: %v", err)
		}
		if strings.TrimSpace(att.String()) != strings.TrimSpace(payload) {
			t.Errorf("attachment: %d bytes, want %d", att.Len(), len(payload))
		}
		it, err := a.c.FetchItem(ctx, inbox.id, id, eas.ClassEmail, []eas.BodyPreference{{Type: 1}})
		if err != nil || it.(*eas.Email).Subject != subject {
			t.Errorf("ItemOperations item: %v", err)
		}
		eas.ReleaseItem(it)

		// A folder of our own to move the mail into.
		name := fmt.Sprintf("ebit %s %d", runID, v)
		fid, fkey, err := a.c.FolderCreate(ctx, a.fkey, "0", name, eas.FolderUserMail)
		if err != nil {
			t.Fatalf("FolderCreate: %v", err)
		}
		fkey, err = a.c.FolderUpdate(ctx, fkey, fid, "0", name+" renamed")
		if err != nil {
			t.Fatalf("FolderUpdate: %v", err)
		}
		fc, err := a.c.FolderSync(ctx, fkey)
		if err != nil {
			t.Fatalf("FolderSync after update: %v", err)
		}
		fkey = fc.SyncKey
		// Move into Trash: a folder created through ActiveSync is not yet
		// CONDSTORE-primed in Dovecot, and SOGo then reports no changes
		// for it (quirk 1 of the server notes), so the move is checked
		// where SOGo can see it.
		trash := a.open(a.folder(eas.FolderDeleted))
		res, err := a.c.MoveItems(ctx, []eas.Move{{SrcMsgID: id, SrcFldID: inbox.id, DstFldID: trash.id}})
		if err != nil || len(res) != 1 || !res[0].OK() || res[0].DstMsgID == "" {
			t.Fatalf("MoveItems: %+v %v", res, err)
		}
		if _, ok := trash.waitFor(30*time.Second, subjectIs(subject)); !ok {
			t.Errorf("moved mail not in Trash")
		}
		if !inbox.pullUntil(10*time.Second, func() bool { _, ok := inbox.items[id]; return !ok }) {
			t.Errorf("moved mail still in the Inbox")
		}
		if fkey2, err := a.c.FolderDelete(ctx, fkey, fid); err != nil {
			t.Fatalf("FolderDelete: %v", err)
		} else if fc, err := a.c.FolderSync(ctx, fkey2); err != nil {
			t.Errorf("FolderSync after delete: %v", err)
		} else {
			for _, f := range fc.Added {
				if f.ServerID == fid {
					t.Errorf("deleted folder came back")
				}
			}
		}
	})
}

// TestCommands covers Settings, GetItemEstimate and Search (GAL).
func TestCommands(t *testing.T) {
	forVersions(t, func(t *testing.T, e *env, v eas.Version) {
		a := newAccount(t, e, 1, v)
		ctx := ctxFor(t, time.Minute)
		ui, err := a.c.UserInformation(ctx)
		if err != nil || !strings.EqualFold(ui.PrimaryAddress, a.email) {
			t.Errorf("Settings UserInformation: %+v %v", ui, err)
		}
		if err := a.c.SetDeviceInformation(ctx, &eas.DeviceInformation{Model: "easbridge", FriendlyName: "interop", OS: "Linux", UserAgent: "easbridge"}); err != nil {
			t.Errorf("Settings DeviceInformation: %v", err)
		}
		contacts := a.open(a.folder(eas.FolderContacts))
		est, err := a.c.GetItemEstimate(ctx, []eas.EstimateRequest{{CollectionID: contacts.id, SyncKey: contacts.key, Class: eas.ClassContacts}})
		// SOGo counts the folder's items rather than the pending changes.
		if err != nil || len(est) != 1 || est[0].Status != 1 || (est[0].Count != 0 && est[0].Count != len(contacts.items)) {
			t.Errorf("GetItemEstimate after a full sync: %+v %v", est, err)
		}
		gal, err := a.c.SearchGAL(ctx, e.user2, 10)
		if err != nil {
			t.Fatalf("Search GAL: %v", err)
		}
		found := false
		for _, g := range gal.Entries {
			found = found || strings.EqualFold(g.EmailAddress, e.address(e.user2))
		}
		if !found {
			t.Errorf("GAL search for %s found %+v", e.user2, gal.Entries)
		}
	})
}
