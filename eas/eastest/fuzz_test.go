package eastest

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// FuzzBase64Query feeds arbitrary bytes as a base64-encoded query value
// (MS-ASHTTP 2.2.1.1.1.1): never a panic.
func FuzzBase64Query(f *testing.F) {
	f.Add([]byte{141, 9, 0x09, 0x04, 4, 'd', 'e', 'v', '9', 0, 4, 't', 'e', 's', 't'})
	f.Add([]byte{141, 1, 0, 0, 1, 'd', 4, 1, 2, 3, 4, 1, 't', 7, 1, 1, 8, 1, 'u'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := httptest.NewRequest(http.MethodPost, "/x?"+base64.StdEncoding.EncodeToString(b), nil)
		_, _ = parseQuery(r)
	})
}

// FuzzServe posts arbitrary bodies to every command: the server answers,
// never panics.
func FuzzServe(f *testing.F) {
	for _, n := range []*wbxml.Node{
		syncReq("1", "0"),
		box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0")),
		pingReq(1, "1"),
		provisionReq("", ""),
	} {
		b, _ := encode(n)
		f.Add(uint8(0), b)
	}
	srv := New(Config{MinHeartbeat: 1, MaxHeartbeat: 1, HeartbeatUnit: 1})
	if err := srv.AddUser(User{Name: "u", Password: "p"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cmd uint8, body []byte) {
		name := DefaultCommands[int(cmd)%len(DefaultCommands)]
		r := httptest.NewRequest(http.MethodPost, "/x?Cmd="+name+"&User=u&DeviceId=d&DeviceType=t", bytes.NewReader(body))
		r.SetBasicAuth("u", "p")
		r.Header.Set("MS-ASProtocolVersion", "16.1")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code == 0 {
			t.Fatal("no status")
		}
	})
}
