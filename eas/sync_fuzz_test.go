package eas

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// FuzzSyncResponse feeds arbitrary documents to the Sync response
// decoder: errors are fine, panics and hangs are not.
func FuzzSyncResponse(f *testing.F) {
	f.Add(encodeNode(el(wbxml.AirSyncSync, el(wbxml.AirSyncCollections, el(wbxml.AirSyncCollection,
		el(wbxml.AirSyncSyncKey, "k"), el(wbxml.AirSyncCollectionId, "inbox"), el(wbxml.AirSyncStatus, "1"),
		el(wbxml.AirSyncCommands, mailAdd("1", "a"), el(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, "2"))),
		el(wbxml.AirSyncResponses, el(wbxml.AirSyncAdd, el(wbxml.AirSyncClientId, "c"), el(wbxml.AirSyncServerId, "s"), el(wbxml.AirSyncStatus, "1"))),
		el(wbxml.AirSyncMoreAvailable))))))
	f.Add(encodeNode(el(wbxml.AirSyncSync, el(wbxml.AirSyncStatus, "12"))))
	f.Add([]byte{3, 1, 0x6a, 0})
	req := &SyncRequest{Collections: []SyncCollection{{CollectionID: "inbox", Class: ClassEmail}, {CollectionID: "c", Class: ClassContacts}}}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := wbxml.NewDecoder(bytes.NewReader(b))
		root, err := d.Root()
		if err != nil || root != wbxml.AirSyncSync {
			return
		}
		res := &SyncResult{}
		_ = decodeSync(d, req, V141, res, func(ch ServerChange) error { return nil })
	})
}

// FuzzMultipart feeds arbitrary bytes to the multipart reader.
func FuzzMultipart(f *testing.F) {
	f.Add(multipartBody([]byte("wbxml"), []byte("data")))
	f.Add([]byte{1, 0, 0, 0, 12, 0, 0, 0, 200, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readMultipart(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		for i := range len(m.parts) {
			if i == 0 {
				if _, err := m.part(0); err != nil {
					return
				}
				continue
			}
			if err := m.copyPart(i, &out); err != nil {
				return
			}
		}
	})
}

// FuzzAutodiscoverResponse feeds arbitrary XML to the Autodiscover parser.
func FuzzAutodiscoverResponse(f *testing.F) {
	f.Add(strings.ReplaceAll(adSettings, "%s", "a@b"))
	f.Add(strings.ReplaceAll(adRedirect, "%s", "a@b"))
	f.Add(adErrorDoc)
	f.Fuzz(func(t *testing.T, s string) {
		res, next, err := parseAutodiscover(strings.NewReader(s), "a@b")
		if err == nil && res == nil && next == "" {
			t.Fatal("no result, no redirect and no error")
		}
	})
}

// FuzzBase64Query checks that the base64 query form decodes back to what
// was encoded.
func FuzzBase64Query(f *testing.F) {
	f.Add("user", "device01", "easbridge", "123", "7")
	f.Fuzz(func(t *testing.T, user, dev, typ, pk, item string) {
		s, err := base64Query(V141, "SmartReply", user, dev, typ, pk, []param{{"ItemId", item}})
		if err != nil {
			return
		}
		q, err := decodeBase64Query(url.QueryEscape(s))
		if err != nil || q.deviceID != dev || q.deviceType != typ || q.params[3] != item || (user != "" && q.params[8] != user) {
			t.Fatalf("round trip: %+v %v", q, err)
		}
	})
}
