package eas

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// multipartBody builds the multipart answer of MS-ASCMD 2.2.2.9.1.1.
func multipartBody(parts ...[]byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, int32(len(parts)))
	off := 4 + 8*len(parts)
	for _, p := range parts {
		binary.Write(&b, binary.LittleEndian, [2]int32{int32(off), int32(len(p))})
		off += len(p)
	}
	for _, p := range parts {
		b.Write(p)
	}
	return b.Bytes()
}

func encodeNode(n *wbxml.Node) []byte {
	var b bytes.Buffer
	if err := n.Encode(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestFetchAttachment(t *testing.T) {
	payload := strings.Repeat("attachment payload ", 5000)
	tests := []struct {
		name      string
		multipart bool
	}{{"inline WBXML", false}, {"multipart", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.on("ItemOperations", func(w http.ResponseWriter, r *fakeReq) {
				if r.Header.Get("MS-ASAcceptMultiPart") != "T" || text(r.Body, wbxml.AirSyncBaseFileReference) != "mail/INBOX/1/2" || text(r.Body, wbxml.ItemOperationsStore) != "Mailbox" {
					t.Errorf("request %v %s", r.Header, r.Body.XML())
				}
				props := el(wbxml.ItemOperationsProperties, el(wbxml.AirSyncBaseContentType, "text/plain"))
				if !tt.multipart {
					props.Children = append(props.Children, el(wbxml.ItemOperationsData, payload))
					writeNode(w, itemOpsResponse(props))
					return
				}
				props.Children = append(props.Children, el(wbxml.ItemOperationsPart, "1"))
				w.Header().Set("Content-Type", contentTypeMultipart)
				w.Write(multipartBody(encodeNode(itemOpsResponse(props)), []byte(payload)))
			})
			c := newTestClient(t, f, nil)
			var out bytes.Buffer
			res, err := c.FetchAttachment(context.Background(), "mail/INBOX/1/2", &out)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != payload || res.Size != int64(len(payload)) || res.ContentType != "text/plain" {
				t.Errorf("got %d bytes, result %+v", out.Len(), res)
			}
		})
	}
}

func itemOpsResponse(props *wbxml.Node) *wbxml.Node {
	return el(wbxml.ItemOperationsItemOperations, el(wbxml.ItemOperationsStatus, "1"), el(wbxml.ItemOperationsResponse,
		el(wbxml.ItemOperationsFetch, el(wbxml.ItemOperationsStatus, "1"), el(wbxml.AirSyncBaseFileReference, "x"), props)))
}

func TestFetchMIMEAndItem(t *testing.T) {
	f := newFake(t)
	f.on("ItemOperations", func(w http.ResponseWriter, r *fakeReq) {
		if text(r.Body, wbxml.AirSyncServerId) == "404" {
			writeNode(w, el(wbxml.ItemOperationsItemOperations, el(wbxml.ItemOperationsStatus, "1"), el(wbxml.ItemOperationsResponse,
				el(wbxml.ItemOperationsFetch, el(wbxml.ItemOperationsStatus, "6")))))
			return
		}
		writeNode(w, itemOpsResponse(el(wbxml.ItemOperationsProperties,
			el(wbxml.EmailSubject, "hi"),
			el(wbxml.AirSyncBaseBody, el(wbxml.AirSyncBaseType, "4"), el(wbxml.AirSyncBaseEstimatedDataSize, "88"), el(wbxml.AirSyncBaseData, testMIME)))))
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	var out bytes.Buffer
	if _, err := c.FetchMIME(ctx, "inbox", "1", &out); err != nil || out.String() != testMIME {
		t.Fatalf("%q %v", out.String(), err)
	}
	req := f.requests("ItemOperations")[0].Body
	if text(req, wbxml.AirSyncMIMESupport) != "2" || text(req, wbxml.AirSyncBaseType) != "4" || text(req, wbxml.AirSyncCollectionId) != "inbox" {
		t.Errorf("request %s", req.XML())
	}
	it, err := c.FetchItem(ctx, "inbox", "1", ClassEmail, []BodyPreference{{Type: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := it.(*Email); !ok || m.Subject != "hi" || m.Body == nil || m.Body.String() != testMIME {
		t.Errorf("item %+v", it)
	}
	ReleaseItem(it)
	if _, err := c.FetchMIME(ctx, "inbox", "404", &out); !errors.Is(err, ErrItemNotFound) {
		t.Errorf("missing item: %v", err)
	}
}

func TestMultipartHostile(t *testing.T) {
	for _, b := range [][]byte{
		{},
		{0, 0, 0, 0},
		{0xff, 0xff, 0xff, 0x7f},
		multipartBody([]byte("x"))[:8],
	} {
		if _, err := readMultipart(bytes.NewReader(b)); err == nil {
			t.Errorf("readMultipart(%x) accepted", b)
		}
	}
	m, err := readMultipart(bytes.NewReader(multipartBody([]byte("ab"), []byte("cdef"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.part(0); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := m.copyPart(1, &out); err != nil || out.String() != "cdef" {
		t.Errorf("part 1 %q %v", out.String(), err)
	}
	if err := m.copyPart(5, &out); err == nil {
		t.Error("part 5 accepted")
	}
}
