package eas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// el builds a WBXML tree for the fake server: string children are text,
// []byte opaque data, *wbxml.Node child elements.
func el(t wbxml.Tag, kids ...any) *wbxml.Node {
	n := &wbxml.Node{Tag: t}
	for _, k := range kids {
		switch k := k.(type) {
		case string:
			n.Text = append(n.Text, k...)
		case []byte:
			n.Text = append(n.Text, k...)
			n.Opaque = true
		case *wbxml.Node:
			n.Children = append(n.Children, k)
		case []*wbxml.Node:
			n.Children = append(n.Children, k...)
		default:
			panic("el: bad child")
		}
	}
	return n
}

// child returns the first descendant of n with tag t (depth first).
func child(n *wbxml.Node, t wbxml.Tag) *wbxml.Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Tag == t {
			return c
		}
		if f := child(c, t); f != nil {
			return f
		}
	}
	return nil
}

func text(n *wbxml.Node, t wbxml.Tag) string {
	if c := child(n, t); c != nil {
		return string(c.Text)
	}
	return ""
}

// fakeReq is one request the fake server received.
type fakeReq struct {
	Cmd     string
	Header  http.Header
	Query   string
	Body    *wbxml.Node // nil when not WBXML
	Raw     []byte
	Version string
}

// handler answers one command; it writes the response itself.
type handler func(w http.ResponseWriter, r *fakeReq)

// fakeServer is a hand-written ActiveSync server speaking WBXML over
// httptest: it records requests and dispatches by Cmd.
type fakeServer struct {
	t        testing.TB
	srv      *httptest.Server
	versions string
	// policyKey, when set, is demanded in X-MS-PolicyKey: requests without
	// it get HTTP 449 (except Provision).
	policyKey string

	mu       sync.Mutex
	handlers map[string]handler
	reqs     []*fakeReq
}

func newFake(t testing.TB) *fakeServer {
	f := &fakeServer{t: t, versions: "2.5,12.0,12.1,14.0,14.1", handlers: map[string]handler{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) url() string { return f.srv.URL + "/Microsoft-Server-ActiveSync" }

func (f *fakeServer) on(cmd string, h handler) {
	f.mu.Lock()
	f.handlers[cmd] = h
	f.mu.Unlock()
}

func (f *fakeServer) requests(cmd string) []*fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeReq
	for _, r := range f.reqs {
		if cmd == "" || r.Cmd == cmd {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "secret" {
		w.Header().Set("WWW-Authenticate", `Basic realm="eas"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("MS-ASProtocolVersions", f.versions)
		w.Header().Set("MS-ASProtocolCommands", "Sync,SendMail,FolderSync,Ping,Provision,Settings")
		w.Header().Set("MS-Server-ActiveSync", "14.1")
		return
	}
	raw, _ := io.ReadAll(r.Body)
	fr := &fakeReq{Header: r.Header.Clone(), Query: r.URL.RawQuery, Raw: raw, Version: r.Header.Get("MS-ASProtocolVersion")}
	fr.Cmd = r.URL.Query().Get("Cmd")
	if fr.Cmd == "" { // base64 form
		if q, err := decodeBase64Query(r.URL.RawQuery); err == nil {
			fr.Cmd, fr.Version = q.cmd, q.version
		}
	}
	if r.Header.Get("Content-Type") == contentTypeWBXML && len(raw) > 0 {
		n, err := wbxml.Parse(bytes.NewReader(raw))
		if err != nil {
			f.t.Errorf("fake: request is not WBXML: %v", err)
		}
		fr.Body = n
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, fr)
	h := f.handlers[fr.Cmd]
	pk := f.policyKey
	f.mu.Unlock()
	if pk != "" && fr.Cmd != "Provision" && r.Header.Get("X-MS-PolicyKey") != pk {
		w.WriteHeader(449)
		return
	}
	if h == nil {
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	h(w, fr)
}

// writeNode sends a WBXML document.
func writeNode(w http.ResponseWriter, n *wbxml.Node) {
	w.Header().Set("Content-Type", contentTypeWBXML)
	var b bytes.Buffer
	if err := n.Encode(&b); err != nil {
		panic(err)
	}
	w.Write(b.Bytes())
}

// reply is a handler that always sends n.
func reply(n *wbxml.Node) handler {
	return func(w http.ResponseWriter, _ *fakeReq) { writeNode(w, n) }
}

func newTestClient(t testing.TB, f *fakeServer, mod func(*Config)) *Client {
	cfg := Config{
		URL:         f.url(),
		User:        "user",
		Credentials: Basic{User: "user", Password: "secret"},
		DeviceID:    "testdevice0001",
		DeviceType:  "easbridge",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// decodedQuery is the base64 query form, decoded by the fake.
type decodedQuery struct {
	version, cmd, deviceID, deviceType, policyKey string
	params                                        map[byte]string
	options                                       byte
}

var cmdNames = func() map[byte]string {
	m := map[byte]string{}
	for k, v := range commandCodes {
		m[v] = k
	}
	return m
}()

func TestNewRejectsBadConfig(t *testing.T) {
	base := Config{URL: "https://x/Microsoft-Server-ActiveSync", Credentials: Basic{}, DeviceID: "d", DeviceType: "t"}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no url", func(c *Config) { c.URL = "" }, "eas: no server URL configured"},
		{"ftp url", func(c *Config) { c.URL = "ftp://x" }, `eas: the server URL "ftp://x" is not an http(s) URL`},
		{"no device", func(c *Config) { c.DeviceID = "" }, "eas: DeviceID and DeviceType are required"},
		{"no creds", func(c *Config) { c.Credentials = nil }, "eas: no credentials configured"},
		{"bad version", func(c *Config) { c.Version = 25 }, "eas: protocol version 2.5 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			_, err := New(cfg)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("New: got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		server string
		want   Version
		err    bool
	}{
		{"2.5,12.0,12.1,14.0,14.1", V141, false},
		{"12.1,14.0,14.1,16.0,16.1", V161, false},
		{"12.1, 14.0, 16.0", V160, false},
		{"12.1", V121, false},
		{"2.5,12.0", 0, true},
	}
	for _, tt := range tests {
		o := parseOptions(http.Header{"Ms-Asprotocolversions": {tt.server}})
		v, err := Negotiate(o.Versions)
		if (err != nil) != tt.err || v != tt.want {
			t.Errorf("Negotiate(%s) = %v, %v; want %v (err %v)", tt.server, v, err, tt.want, tt.err)
		}
	}
}

func TestOptionsAndHeaders(t *testing.T) {
	f := newFake(t)
	f.on("FolderSync", reply(el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, "1"), el(wbxml.FolderHierarchySyncKey, "k1"))))
	c := newTestClient(t, f, func(c *Config) { c.UserAgent = "easbridge-test/1" })
	ctx := context.Background()
	opts, err := c.Options(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.HasCommand("ping") || opts.Server != "14.1" || len(opts.Versions) != 5 {
		t.Fatalf("options = %+v", opts)
	}
	if _, err := c.FolderSync(ctx, "0"); err != nil {
		t.Fatal(err)
	}
	r := f.requests("FolderSync")[0]
	if r.Version != "14.1" || r.Header.Get("User-Agent") != "easbridge-test/1" || r.Header.Get("Content-Type") != contentTypeWBXML {
		t.Errorf("headers = %v", r.Header)
	}
	for _, want := range []string{"Cmd=FolderSync", "User=user", "DeviceId=testdevice0001", "DeviceType=easbridge"} {
		if !strings.Contains(r.Query, want) {
			t.Errorf("query %q lacks %q", r.Query, want)
		}
	}
	if r.Header.Get("X-MS-PolicyKey") != "" {
		t.Errorf("policy key sent before provisioning")
	}
}

func TestBase64Query(t *testing.T) {
	f := newFake(t)
	f.on("FolderSync", reply(el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, "1"), el(wbxml.FolderHierarchySyncKey, "k1"))))
	c := newTestClient(t, f, func(c *Config) { c.Base64Query = true; c.PolicyKey = "3942919513" })
	if _, err := c.FolderSync(context.Background(), "0"); err != nil {
		t.Fatal(err)
	}
	r := f.requests("FolderSync")[0]
	q, err := decodeBase64Query(r.Query)
	if err != nil {
		t.Fatal(err)
	}
	want := decodedQuery{version: "14.1", cmd: "FolderSync", deviceID: "testdevice0001", deviceType: "easbridge", policyKey: "3942919513", params: map[byte]string{8: "user"}}
	if q.version != want.version || q.cmd != want.cmd || q.deviceID != want.deviceID || q.deviceType != want.deviceType || q.policyKey != want.policyKey || q.params[8] != "user" {
		t.Errorf("decoded query = %+v, want %+v", q, want)
	}
	if r.Header.Get("MS-ASProtocolVersion") != "" || r.Header.Get("X-MS-PolicyKey") != "" {
		t.Errorf("base64 form must not send version and policy headers: %v", r.Header)
	}
	// SendMail parameters: SaveInSent as option bit, ItemId as tag 3.
	s, err := base64Query(V141, "SmartReply", "u", "dev", "t", "", []param{{"SaveInSent", "T"}, {"ItemId", "7"}, {"CollectionId", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	q, err = decodeBase64Query(s)
	if err != nil || q.options != 1 || q.params[3] != "7" || q.params[1] != "c" || q.cmd != "SmartReply" {
		t.Errorf("SmartReply query = %+v, %v", q, err)
	}
}

func TestRedirect451(t *testing.T) {
	newSrv := newFake(t)
	newSrv.on("FolderSync", reply(el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, "1"), el(wbxml.FolderHierarchySyncKey, "k1"))))
	old := newFake(t)
	old.on("FolderSync", func(w http.ResponseWriter, _ *fakeReq) {
		w.Header().Set("X-MS-Location", newSrv.url())
		w.WriteHeader(451)
	})
	var reported []string
	c := newTestClient(t, old, func(c *Config) { c.OnRedirect = func(u string) { reported = append(reported, u) } })
	fc, err := c.FolderSync(context.Background(), "0")
	if err != nil {
		t.Fatal(err)
	}
	if fc.SyncKey != "k1" || c.URL() != newSrv.url() || len(reported) != 1 || reported[0] != newSrv.url() {
		t.Errorf("key %q url %q reported %v", fc.SyncKey, c.URL(), reported)
	}
	// A redirect loop ends.
	loop := newFake(t)
	loop.on("FolderSync", func(w http.ResponseWriter, _ *fakeReq) {
		w.Header().Set("X-MS-Location", loop.url())
		w.WriteHeader(451)
	})
	c = newTestClient(t, loop, nil)
	if _, err := c.FolderSync(context.Background(), "0"); err == nil || !strings.Contains(err.Error(), "redirected the account too often") {
		t.Errorf("loop: %v", err)
	}
}

// tokenSource hands out "tok1", then "tok2" after Refresh.
type tokenSource struct {
	mu        sync.Mutex
	n         int
	refreshes int
}

func (s *tokenSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("tok%d", s.n+1), nil
}

func (s *tokenSource) Refresh(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.refreshes++
	return nil
}

func TestBearerRefreshOnce(t *testing.T) {
	var auths []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok2" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeNode(w, el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, "1"), el(wbxml.FolderHierarchySyncKey, "k")))
	}))
	defer srv.Close()
	ts := &tokenSource{}
	c, err := New(Config{URL: srv.URL, Credentials: Bearer{Source: ts}, DeviceID: "d", DeviceType: "t", Version: V141})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FolderSync(context.Background(), "0"); err != nil {
		t.Fatal(err)
	}
	if ts.refreshes != 1 || len(auths) != 2 || auths[0] != "Bearer tok1" {
		t.Errorf("refreshes %d auths %v", ts.refreshes, auths)
	}
	// A token that stays rejected fails after one refresh.
	ts2 := &tokenSource{n: 5}
	c, _ = New(Config{URL: srv.URL, Credentials: Bearer{Source: ts2}, DeviceID: "d", DeviceType: "t", Version: V141})
	_, err = c.FolderSync(context.Background(), "0")
	if !errors.Is(err, ErrUnauthorized) || ts2.refreshes != 1 {
		t.Errorf("err %v refreshes %d", err, ts2.refreshes)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFake(t)
	f.on("FolderSync", reply(el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, "1"), el(wbxml.FolderHierarchySyncKey, "k1"))))
	c := newTestClient(t, f, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.FolderSync(context.Background(), "0")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(f.requests("FolderSync")); n != 8 {
		t.Errorf("%d requests", n)
	}
}
