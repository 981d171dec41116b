package eastest

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestSendMail(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	msg := testMail("alice@example.test", "Bob <bob@example.test>, dave@elsewhere.example", "lunch", "at noon?")
	req := box(wbxml.ComposeMailSendMail, el(wbxml.ComposeMailClientId, "m-1"),
		el(wbxml.ComposeMailSaveInSentItems, ""), opaque(wbxml.ComposeMailMime, msg))
	if r := c.do("SendMail", req); r != nil {
		t.Fatalf("SendMail success must be empty, got %s", r.XML())
	}
	bobInbox := srv.FolderID("bob", TypeInbox)
	if ids := srv.ItemIDs("bob", bobInbox); len(ids) != 1 || !bytes.Equal(srv.MIME("bob", bobInbox, ids[0]), msg) {
		t.Fatalf("bob's inbox %v", ids)
	}
	sent := srv.FolderID("alice", TypeSentItems)
	ids := srv.ItemIDs("alice", sent)
	if len(ids) != 1 {
		t.Fatalf("alice's Sent Items %v", ids)
	}
	if it, _ := srv.Item("alice", sent, ids[0]); !it.(*eas.Email).Read {
		t.Error("the Sent copy is unread")
	}
	sm := srv.SentMessages()
	if len(sm) != 1 || len(sm[0].Recipients) != 2 || sm[0].ClientID != "m-1" {
		t.Fatalf("SentMessages %+v", sm)
	}
	// the same ClientId again: status 118, nothing sent twice
	r := c.do("SendMail", req)
	if got := mustText(t, r, wbxml.ComposeMailStatus); got != "118" {
		t.Errorf("duplicate ClientId: status %s", got)
	}
	if len(srv.ItemIDs("bob", bobInbox)) != 1 {
		t.Error("duplicate delivered")
	}
	// 12.1 style: raw message/rfc822 and SaveInSent=T
	c.version = "12.1"
	resp, _ := c.raw(http.MethodPost, "SendMail", "message/rfc822",
		testMail("alice@example.test", "bob@example.test", "raw", "body"),
		"Cmd=SendMail&User=alice&DeviceId=dev1&DeviceType=T&SaveInSent=T")
	if resp.StatusCode != 200 || len(srv.ItemIDs("bob", bobInbox)) != 2 || len(srv.ItemIDs("alice", sent)) != 2 {
		t.Fatalf("raw SendMail: HTTP %d", resp.StatusCode)
	}
	// 16.1: ComposeMail WBXML; an invalid message gets 107
	c.version = "16.1"
	r = c.do("SendMail", box(wbxml.ComposeMailSendMail, el(wbxml.ComposeMailClientId, "m-2"), opaque(wbxml.ComposeMailMime, []byte("\x00not a message"))))
	if got := mustText(t, r, wbxml.ComposeMailStatus); got != "107" {
		t.Errorf("invalid MIME: status %s, want 107", got)
	}
}

func TestSmartForwardAndReply(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	src, _ := srv.DeliverMail("alice", testMail("carol@example.net", "alice@example.test", "report", "the numbers"))
	fwd := testMail("alice@example.test", "bob@example.test", "Fwd: report", "see below")
	r := c.do("SmartForward", box(wbxml.ComposeMailSmartForward, el(wbxml.ComposeMailClientId, "f-1"),
		box(wbxml.ComposeMailSource, el(wbxml.ComposeMailFolderId, inbox), el(wbxml.ComposeMailItemId, src)),
		opaque(wbxml.ComposeMailMime, fwd)))
	if r != nil {
		t.Fatalf("SmartForward: %s", r.XML())
	}
	sent := srv.SentMessages()
	if len(sent) != 1 || !bytes.Contains(sent[0].MIME, []byte("message/rfc822")) || !bytes.Contains(sent[0].MIME, []byte("the numbers")) {
		t.Fatalf("forward without the source: %+v", sent)
	}
	r = c.do("SmartReply", box(wbxml.ComposeMailSmartReply, el(wbxml.ComposeMailClientId, "r-1"),
		box(wbxml.ComposeMailSource, el(wbxml.ComposeMailFolderId, inbox), el(wbxml.ComposeMailItemId, src)),
		opaque(wbxml.ComposeMailMime, testMail("alice@example.test", "carol@example.net", "Re: report", "thanks"))))
	if r != nil {
		t.Fatalf("SmartReply: %s", r.XML())
	}
	if got := srv.SentMessages()[1].MIME; !bytes.Contains(got, []byte("> the numbers")) {
		t.Errorf("reply without the quoted source: %q", got)
	}
	r = c.do("SmartReply", box(wbxml.ComposeMailSmartReply, el(wbxml.ComposeMailClientId, "r-2"),
		box(wbxml.ComposeMailSource, el(wbxml.ComposeMailFolderId, inbox), el(wbxml.ComposeMailItemId, "1:999")),
		opaque(wbxml.ComposeMailMime, testMail("alice@example.test", "carol@example.net", "Re", "x"))))
	if got := mustText(t, r, wbxml.ComposeMailStatus); got != "150" {
		t.Errorf("missing source: status %s, want 150", got)
	}
}

const attachmentMail = "From: carol@example.net\r\nTo: alice@example.test\r\nSubject: with file\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n" +
	"--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
	"--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgdGVzdA==\r\n--b1--\r\n"

func TestItemOperations(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	id, _ := srv.DeliverMail("alice", []byte(attachmentMail))
	key := c.initSync(inbox)
	coll := collection(t, c.do("Sync", syncReq(inbox, key)))
	ref := mustText(t, coll, wbxml.AirSyncCommands, wbxml.AirSyncAdd, wbxml.AirSyncApplicationData,
		wbxml.AirSyncBaseAttachments, wbxml.AirSyncBaseAttachment, wbxml.AirSyncBaseFileReference)
	r := c.do("ItemOperations", box(wbxml.ItemOperationsItemOperations,
		box(wbxml.ItemOperationsFetch, el(wbxml.ItemOperationsStore, "Mailbox"), el(wbxml.AirSyncBaseFileReference, ref)),
		box(wbxml.ItemOperationsFetch, el(wbxml.ItemOperationsStore, "Mailbox"), el(wbxml.AirSyncCollectionId, inbox),
			el(wbxml.AirSyncServerId, id), box(wbxml.ItemOperationsOptions, num(wbxml.AirSyncMIMESupport, 2),
				box(wbxml.AirSyncBaseBodyPreference, num(wbxml.AirSyncBaseType, 4)))),
		box(wbxml.ItemOperationsFetch, el(wbxml.ItemOperationsStore, "Mailbox"), el(wbxml.AirSyncBaseFileReference, "nope"))))
	fetches := all(child(r, wbxml.ItemOperationsResponse), wbxml.ItemOperationsFetch)
	if len(fetches) != 3 {
		t.Fatalf("ItemOperations: %s", r.XML())
	}
	data, _ := base64.StdEncoding.DecodeString(mustText(t, fetches[0], wbxml.ItemOperationsProperties, wbxml.ItemOperationsData))
	if string(data) != "%PDF-1.4 test" {
		t.Errorf("attachment data %q", data)
	}
	if got := mustText(t, fetches[1], wbxml.ItemOperationsProperties, wbxml.AirSyncBaseBody, wbxml.AirSyncBaseData); got != attachmentMail {
		t.Errorf("MIME fetch %q", got)
	}
	if got := mustText(t, fetches[2], wbxml.ItemOperationsStatus); got != "15" {
		t.Errorf("bad reference: status %s, want 15", got)
	}
}

func TestMoveItemsMeetingResponseSearch(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	inbox := srv.FolderID("alice", TypeInbox)
	junk := srv.FolderID("alice", TypeUserMail)
	ids := deliverN(t, srv, "alice", 2)
	r := c.do("MoveItems", box(wbxml.MoveMoveItems,
		box(wbxml.MoveMove, el(wbxml.MoveSrcMsgId, ids[0]), el(wbxml.MoveSrcFldId, inbox), el(wbxml.MoveDstFldId, junk)),
		box(wbxml.MoveMove, el(wbxml.MoveSrcMsgId, "1:404"), el(wbxml.MoveSrcFldId, inbox), el(wbxml.MoveDstFldId, junk))))
	resps := all(r, wbxml.MoveResponse)
	if len(resps) != 2 || text(resps[0], wbxml.MoveStatus) != "3" || text(resps[1], wbxml.MoveStatus) != "1" {
		t.Fatalf("MoveItems: %s", r.XML())
	}
	if dst := text(resps[0], wbxml.MoveDstMsgId); len(srv.ItemIDs("alice", junk)) != 1 || srv.ItemIDs("alice", junk)[0] != dst {
		t.Errorf("moved item %q not in Junk: %v", dst, srv.ItemIDs("alice", junk))
	}
	r = c.do("MeetingResponse", box(wbxml.MeetingResponseMeetingResponse, box(wbxml.MeetingResponseRequest,
		num(wbxml.MeetingResponseUserResponse, 1), el(wbxml.MeetingResponseCollectionId, inbox), el(wbxml.MeetingResponseRequestId, ids[1]))))
	if got := mustText(t, r, wbxml.MeetingResponseResult, wbxml.MeetingResponseStatus); got != "1" {
		t.Errorf("MeetingResponse status %s", got)
	}
	if mr := srv.MeetingReplies(); len(mr) != 1 || mr[0].Response != 1 || mr[0].RequestID != ids[1] {
		t.Errorf("MeetingReplies %+v", mr)
	}
	search := func(q string) *wbxml.Node {
		return c.do("Search", box(wbxml.SearchSearch, box(wbxml.SearchStore, el(wbxml.SearchName, "GAL"),
			el(wbxml.SearchQuery, q), box(wbxml.SearchOptions, el(wbxml.SearchRange, "0-9")))))
	}
	store := path(search("BOB"), wbxml.SearchResponse, wbxml.SearchStore)
	if got := mustText(t, store, wbxml.SearchResult, wbxml.SearchProperties, wbxml.GALEmailAddress); got != "bob@example.test" {
		t.Errorf("GAL hit %q", got)
	}
	if got := mustText(t, store, wbxml.SearchTotal); got != "1" {
		t.Errorf("Total %s", got)
	}
	if got := mustText(t, path(search("example.test"), wbxml.SearchResponse, wbxml.SearchStore), wbxml.SearchTotal); got != "2" {
		t.Errorf("Total for the domain %s", got)
	}
	if got := mustText(t, path(search("nobody"), wbxml.SearchResponse, wbxml.SearchStore), wbxml.SearchTotal); got != "0" {
		t.Errorf("Total for no match %s", got)
	}
}
