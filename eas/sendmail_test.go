package eas

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

const testMIME = "From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nhello\r\n"

func TestSendMailRawMIME(t *testing.T) {
	f := newFake(t)
	f.on("SendMail", func(w http.ResponseWriter, r *fakeReq) {}) // success: empty 200
	f.on("SmartReply", func(w http.ResponseWriter, r *fakeReq) {})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	// 12.1: the raw message, the options and the source in the query.
	c121 := newTestClient(t, f, func(c *Config) { c.Version = V121 })
	if err := c121.SendMail(ctx, &Message{MIME: []byte(testMIME), SaveInSentItems: true}); err != nil {
		t.Fatal(err)
	}
	r := f.requests("SendMail")[0]
	if r.Header.Get("Content-Type") != contentTypeRFC822 || string(r.Raw) != testMIME || !strings.Contains(r.Query, "SaveInSent=T") {
		t.Errorf("request %v %q %q", r.Header, r.Raw, r.Query)
	}
	// 14.1: ComposeMail WBXML, with a ClientId even when none was given.
	if err := c.SendMail(ctx, &Message{MIME: []byte(testMIME), SaveInSentItems: true}); err != nil {
		t.Fatal(err)
	}
	r = f.requests("SendMail")[1]
	if r.Body == nil || r.Body.Tag != wbxml.ComposeMailSendMail || text(r.Body, wbxml.ComposeMailClientId) == "" ||
		child(r.Body, wbxml.ComposeMailSaveInSentItems) == nil || string(child(r.Body, wbxml.ComposeMailMime).Text) != testMIME {
		t.Errorf("14.1 SendMail %q %v", r.Query, r.Body)
	}
	if err := c121.SmartReply(ctx, &Message{MIME: []byte(testMIME), Source: &MessageSource{FolderID: "inbox", ItemID: "7"}}); err != nil {
		t.Fatal(err)
	}
	r = f.requests("SmartReply")[0]
	if !strings.Contains(r.Query, "ItemId=7") || !strings.Contains(r.Query, "CollectionId=inbox") || strings.Contains(r.Query, "SaveInSent") {
		t.Errorf("query %q", r.Query)
	}
	if err := c.SmartForward(ctx, &Message{MIME: []byte(testMIME)}); err == nil {
		t.Error("SmartForward without source accepted")
	}
	// 14.1: SmartReply as ComposeMail WBXML, the source in the body.
	if err := c.SmartReply(ctx, &Message{MIME: []byte(testMIME), ClientID: "r1", Source: &MessageSource{FolderID: "mail%2Finbox", ItemID: "7"}}); err != nil {
		t.Fatal(err)
	}
	r = f.requests("SmartReply")[1]
	if r.Body == nil || text(r.Body, wbxml.ComposeMailFolderId) != "mail%2Finbox" || strings.Contains(r.Query, "ItemId") {
		t.Errorf("14.1 SmartReply %q %v", r.Query, r.Body)
	}
}

func TestSendMailComposeMail16(t *testing.T) {
	f := newFake(t)
	f.versions = "14.1,16.0,16.1"
	f.on("SmartForward", func(w http.ResponseWriter, r *fakeReq) {})
	f.on("SendMail", reply(el(wbxml.ComposeMailSendMail, el(wbxml.ComposeMailStatus, "120"))))
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	err := c.SmartForward(ctx, &Message{MIME: []byte(testMIME), ClientID: "cid-1", SaveInSentItems: true,
		Source: &MessageSource{FolderID: "inbox", ItemID: "7", InstanceID: "2026-11-22T10:00:00.000Z"}})
	if err != nil {
		t.Fatal(err)
	}
	r := f.requests("SmartForward")[0]
	if r.Version != "16.1" || r.Body == nil || r.Body.Tag != wbxml.ComposeMailSmartForward {
		t.Fatalf("request %v", r.Header)
	}
	b := r.Body
	mime := child(b, wbxml.ComposeMailMime)
	if text(b, wbxml.ComposeMailClientId) != "cid-1" || child(b, wbxml.ComposeMailSaveInSentItems) == nil ||
		text(b, wbxml.ComposeMailItemId) != "7" || text(b, wbxml.ComposeMailInstanceId) == "" ||
		mime == nil || !mime.Opaque || string(mime.Text) != testMIME {
		t.Errorf("body %s", b.XML())
	}
	err = c.SendMail(ctx, &Message{MIME: []byte(testMIME), ClientID: "cid-2"})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 120 {
		t.Errorf("err = %v", err)
	}
}
