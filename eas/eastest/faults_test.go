package eastest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestFaults(t *testing.T) {
	fs := box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0"))
	body, _ := encode(fs)
	post := func(ts string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest(http.MethodPost, ts+"/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alice&DeviceId=d&DeviceType=T", bytes.NewReader(body))
		req.SetBasicAuth("alice", "secret")
		req.Header.Set("MS-ASProtocolVersion", "14.1")
		req.Header.Set("Content-Type", "application/vnd.ms-sync.wbxml")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	t.Run("drop", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		srv.Inject(Fault{Kind: FaultDrop})
		if _, _, err := post(ts.URL); err == nil {
			t.Fatal("a dropped connection gave no error")
		}
		if _, _, err := post(ts.URL); err != nil {
			t.Fatalf("the fault outlived its count: %v", err)
		}
	})
	t.Run("503 with Retry-After, twice", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		srv.Inject(Fault{Kind: FaultHTTP, Count: 2, RetryAfter: 30 * time.Second})
		for i := 0; i < 2; i++ {
			resp, _, err := post(ts.URL)
			if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "30" {
				t.Fatalf("request %d: %v %v", i, resp, err)
			}
		}
		if resp, _, _ := post(ts.URL); resp.StatusCode != 200 {
			t.Fatalf("third request: HTTP %d", resp.StatusCode)
		}
	})
	t.Run("449", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		srv.Inject(Fault{Kind: FaultProvision})
		if resp, _, _ := post(ts.URL); resp.StatusCode != 449 {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	})
	t.Run("only for its command", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		srv.Inject(Fault{Kind: FaultHTTP, Status: 500, Command: "Sync"})
		if resp, _, _ := post(ts.URL); resp.StatusCode != 200 {
			t.Fatalf("FolderSync hit by a Sync fault: HTTP %d", resp.StatusCode)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		srv.Inject(Fault{Kind: FaultTruncate, Keep: 20})
		resp, b, err := post(ts.URL)
		if err != nil || resp.StatusCode != 200 || len(b) != 20 {
			t.Fatalf("truncated: %v, %d bytes", err, len(b))
		}
		if _, err := wbxml.Parse(bytes.NewReader(b)); err == nil {
			t.Fatal("a truncated body parsed")
		}
	})
	t.Run("delay", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		srv.Inject(Fault{Kind: FaultDelay, Delay: 50 * time.Millisecond})
		client := &http.Client{Timeout: 5 * time.Millisecond}
		req, _ := http.NewRequest(http.MethodOptions, ts.URL, nil)
		req.SetBasicAuth("alice", "secret")
		_, err := client.Do(req)
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("a delayed request did not time out: %v", err)
		}
	})
	t.Run("command status", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		srv.Inject(Fault{Kind: FaultStatus, Status: 111, Command: "FolderSync"})
		_, b, err := post(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		n, err := wbxml.Parse(bytes.NewReader(b))
		if err != nil || text(n, wbxml.FolderHierarchyStatus) != "111" {
			t.Fatalf("status fault: %v %v", n, err)
		}
	})
	t.Run("sync status 3", func(t *testing.T) {
		srv, ts := newTestServer(t, Config{})
		c := newClient(t, ts)
		inbox := srv.FolderID("alice", TypeInbox)
		key := c.initSync(inbox)
		srv.Inject(Fault{Kind: FaultSyncStatus3, Command: "Sync"})
		coll := collection(t, c.do("Sync", syncReq(inbox, key)))
		if text(coll, wbxml.AirSyncStatus) != "3" || text(coll, wbxml.AirSyncSyncKey) != "0" {
			t.Fatalf("fault: %s", coll.XML())
		}
		// the key is still valid afterwards: the fault applied nothing
		coll = collection(t, c.do("Sync", syncReq(inbox, key)))
		if text(coll, wbxml.AirSyncStatus) != "1" {
			t.Fatalf("after the fault: %s", coll.XML())
		}
	})
}

func TestMalformedRequests(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	for _, tc := range []struct {
		name  string
		body  []byte
		query string
		want  int
	}{
		{"not WBXML", []byte("<html>hello</html>"), "", 400},
		{"truncated WBXML", []byte{0x03, 0x01, 0x6a, 0x00, 0x47}, "", 400},
		{"no DeviceId", nil, "Cmd=FolderSync&User=alice", 400},
		{"unknown command", nil, "Cmd=Frobnicate&User=alice&DeviceId=d", 501},
		{"bad base64 query", nil, "!!!!", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := c.raw(http.MethodPost, "FolderSync", "application/vnd.ms-sync.wbxml", tc.body, tc.query)
			if resp.StatusCode != tc.want {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	// commands given a body of the wrong kind
	for _, cmd := range []string{"Sync", "FolderSync", "Provision", "Settings", "Ping", "ItemOperations",
		"MoveItems", "Search", "GetItemEstimate", "MeetingResponse", "SendMail", "FolderCreate"} {
		if _, st := c.try(cmd, box(wbxml.NotesSubject)); st != 400 {
			t.Errorf("%s with a Notes:Subject body: HTTP %d, want 400", cmd, st)
		}
	}
}
