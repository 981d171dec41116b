package eastest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// The tests drive the server with raw WBXML built from wbxml.Node trees,
// not with the eas client, so that they test the server alone.

func newTestServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.HeartbeatUnit == 0 {
		cfg.HeartbeatUnit = 10 * time.Millisecond
	}
	srv := New(cfg)
	for _, u := range []User{
		{Name: "alice", Password: "secret", Email: "alice@example.test", DisplayName: "Alice Adams", FirstName: "Alice", LastName: "Adams", Phone: "+1 555 0101"},
		{Name: "bob", Password: "hunter2", Email: "bob@example.test", DisplayName: "Bob Brown"},
	} {
		if err := srv.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

// tclient sends EAS requests as one device.
type tclient struct {
	t          testing.TB
	url        string
	user, pass string
	device     string
	version    string
	policyKey  string
	header     http.Header
}

func newClient(t testing.TB, ts *httptest.Server) *tclient {
	return &tclient{t: t, url: ts.URL + "/Microsoft-Server-ActiveSync", user: "alice", pass: "secret",
		device: "dev1", version: "14.1"}
}

// raw sends a request and returns the HTTP response with its body read.
func (c *tclient) raw(method, cmd, ctype string, body []byte, query string) (*http.Response, []byte) {
	c.t.Helper()
	u := c.url
	if query != "" {
		u += "?" + query
	} else if cmd != "" {
		u += "?Cmd=" + cmd + "&User=" + c.user + "&DeviceId=" + c.device + "&DeviceType=TestDevice"
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("MS-ASProtocolVersion", c.version)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.policyKey != "" {
		req.Header.Set("X-MS-PolicyKey", c.policyKey)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, cmd, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("reading %s response: %v", cmd, err)
	}
	return resp, b
}

// do posts a WBXML command and returns the parsed answer (nil for an
// empty body); it fails the test on any HTTP status but 200.
func (c *tclient) do(cmd string, body *wbxml.Node) *wbxml.Node {
	c.t.Helper()
	n, status := c.try(cmd, body)
	if status != http.StatusOK {
		c.t.Fatalf("%s: HTTP %d", cmd, status)
	}
	return n
}

// try is do returning the HTTP status instead of failing on it.
func (c *tclient) try(cmd string, body *wbxml.Node) (*wbxml.Node, int) {
	c.t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = encode(body); err != nil {
			c.t.Fatalf("encoding %s: %v", cmd, err)
		}
	}
	resp, rb := c.raw(http.MethodPost, cmd, "application/vnd.ms-sync.wbxml", b, "")
	if resp.StatusCode != http.StatusOK || len(rb) == 0 {
		return nil, resp.StatusCode
	}
	n, err := wbxml.Parse(bytes.NewReader(rb))
	if err != nil {
		c.t.Fatalf("%s: parsing response: %v", cmd, err)
	}
	return n, resp.StatusCode
}

// path follows a chain of child tags from n; nil when one is missing.
func path(n *wbxml.Node, tags ...wbxml.Tag) *wbxml.Node {
	for _, t := range tags {
		n = child(n, t)
	}
	return n
}

func mustText(t testing.TB, n *wbxml.Node, tags ...wbxml.Tag) string {
	t.Helper()
	p := path(n, tags...)
	if p == nil {
		var x string
		if n != nil {
			x = n.XML()
		}
		t.Fatalf("missing %v in %s", tags, x)
	}
	return string(p.Text)
}

// folderSync runs FolderSync with key and returns the answer.
func (c *tclient) folderSync(key string) *wbxml.Node {
	return c.do("FolderSync", box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, key)))
}

// syncReq builds a Sync of one collection.
func syncReq(id, key string, extra ...*wbxml.Node) *wbxml.Node {
	coll := box(wbxml.AirSyncCollection, el(wbxml.AirSyncSyncKey, key), el(wbxml.AirSyncCollectionId, id))
	add(coll, extra...)
	return box(wbxml.AirSyncSync, box(wbxml.AirSyncCollections, coll))
}

// collection returns the first Collection of a Sync response.
func collection(t testing.TB, n *wbxml.Node) *wbxml.Node {
	t.Helper()
	c := path(n, wbxml.AirSyncCollections, wbxml.AirSyncCollection)
	if c == nil {
		t.Fatalf("no Collection in %v", n)
	}
	return c
}

// initSync runs Sync with key 0 and returns the new key.
func (c *tclient) initSync(id string) string {
	c.t.Helper()
	resp := collection(c.t, c.do("Sync", syncReq(id, "0")))
	if st := mustText(c.t, resp, wbxml.AirSyncStatus); st != "1" {
		c.t.Fatalf("Sync 0 status %s", st)
	}
	return mustText(c.t, resp, wbxml.AirSyncSyncKey)
}

func serverIDs(cmds *wbxml.Node, t wbxml.Tag) []string {
	var out []string
	for _, c := range all(cmds, t) {
		out = append(out, text(c, wbxml.AirSyncServerId))
	}
	return out
}

func testMail(from, to, subject, body string) []byte {
	return []byte(strings.Join([]string{
		"From: " + from, "To: " + to, "Subject: " + subject,
		"Date: Mon, 02 Mar 2026 10:00:00 +0000", "Message-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.test>",
		"MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, "",
	}, "\r\n"))
}

// waitForWaiter blocks until n requests wait inside the server.
func waitForWaiter(t testing.TB, srv *Server, n int) {
	t.Helper()
	for i := 0; i < 5000; i++ {
		srv.mu.Lock()
		w := srv.waiting
		srv.mu.Unlock()
		if w >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no request started waiting")
}
