package dav

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testUser = "easbridge"
	testPass = "s3cret"
)

// env is a handler over a fake backend with an events calendar
// "personal", a task list "tasks" and an address book "people".
type env struct {
	t  testing.TB
	b  *fakeBackend
	h  *Handler
	ok bool
}

func newEnv(t testing.TB) *env {
	t.Helper()
	b := newFakeBackend(
		Collection{ID: "personal", Kind: KindEvents, DisplayName: "Personal", Color: "#112233FF"},
		Collection{ID: "tasks", Kind: KindTasks, DisplayName: "Tasks"},
		Collection{ID: "people", Kind: KindContacts, DisplayName: "People"},
	)
	h, err := NewHandler(Config{Backend: b, User: testUser, Password: testPass, MaxObjectSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, b: b, h: h}
}

// do sends one request through the real handler.
func (e *env) do(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, "http://localhost:5233/", strings.NewReader(body))
	req.URL.Path = path // may be "*"
	req.SetBasicAuth(testUser, testPass)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// put stores a fixture and fails the test unless it is created.
func (e *env) put(path, fixture string) string {
	e.t.Helper()
	rec := e.do("PUT", path, readFixture(e.t, fixture))
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("PUT %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Header().Get("ETag")
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// msResponse and friends decode a multistatus for assertions.
type msDoc struct {
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

type msResponse struct {
	Href      string       `xml:"DAV: href"`
	Status    string       `xml:"DAV: status"`
	Propstats []msPropstat `xml:"DAV: propstat"`
}

type msPropstat struct {
	Status string `xml:"DAV: status"`
	Prop   struct {
		Props []msProp `xml:",any"`
	} `xml:"DAV: prop"`
}

type msProp struct {
	XMLName xml.Name
	Inner   string `xml:",innerxml"`
	Text    string `xml:",chardata"`
}

func parseMS(t testing.TB, rec *httptest.ResponseRecorder) msDoc {
	t.Helper()
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("status %d, want 207: %s", rec.Code, rec.Body)
	}
	var doc msDoc
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("decoding multistatus: %v\n%s", err, rec.Body)
	}
	return doc
}

// find returns the response for href, or fails.
func (d msDoc) find(t testing.TB, href string) msResponse {
	t.Helper()
	for _, r := range d.Responses {
		if r.Href == href {
			return r
		}
	}
	t.Fatalf("no response for %s in %+v", href, d.hrefs())
	return msResponse{}
}

func (d msDoc) hrefs() []string {
	var out []string
	for _, r := range d.Responses {
		out = append(out, r.Href)
	}
	return out
}

// prop returns a property and the status of its propstat.
func (r msResponse) prop(space, local string) (msProp, string, bool) {
	for _, ps := range r.Propstats {
		for _, p := range ps.Prop.Props {
			if p.XMLName.Space == space && p.XMLName.Local == local {
				return p, ps.Status, true
			}
		}
	}
	return msProp{}, "", false
}

// ok200 returns a property that must be answered with 200.
func (r msResponse) ok200(t testing.TB, space, local string) msProp {
	t.Helper()
	p, st, found := r.prop(space, local)
	if !found || !strings.Contains(st, " 200 ") {
		t.Fatalf("%s: property {%s}%s: found=%v status=%q", r.Href, space, local, found, st)
	}
	return p
}

func TestNewHandlerRejectsIncompleteConfig(t *testing.T) {
	b := newFakeBackend()
	for _, cfg := range []Config{
		{User: "u", Password: "p"},
		{Backend: b, Password: "p"},
		{Backend: b, User: "u"},
		{Backend: b, User: "a/b", Password: "p"},
	} {
		if _, err := NewHandler(cfg); err == nil {
			t.Errorf("NewHandler(%+v) succeeded", cfg)
		}
	}
}

func TestAuthAndHost(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		host       string
		user, pass string
		want       int
	}{
		{"good", "localhost:5233", testUser, testPass, http.StatusOK},
		{"ipv4", "127.0.0.1", testUser, testPass, http.StatusOK},
		{"ipv6", "[::1]:8080", testUser, testPass, http.StatusOK},
		{"localhost upper", "LOCALHOST", testUser, testPass, http.StatusOK},
		{"no auth", "localhost", "", "", http.StatusUnauthorized},
		{"bad password", "localhost", testUser, "wrong", http.StatusUnauthorized},
		{"bad user", "localhost", "other", testPass, http.StatusUnauthorized},
		{"rebinding", "evil.example:5233", testUser, testPass, http.StatusForbidden},
		{"lookalike", "localhost.evil.example", testUser, testPass, http.StatusForbidden},
		{"lan address", "192.168.1.2:5233", testUser, testPass, http.StatusForbidden},
		{"empty host", "", testUser, testPass, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodOptions, "/", nil)
			req.Host = tt.host
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("no Basic challenge: %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestOptions(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "*", "/calendars/easbridge/", "/calendars/easbridge/personal/", "/contacts/easbridge/people/", "/elsewhere"} {
		rec := e.do(http.MethodOptions, p, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("OPTIONS %s: %d", p, rec.Code)
		}
		dav := rec.Header().Get("DAV")
		for _, class := range []string{"1", "3", "calendar-access", "addressbook", "extended-mkcol"} {
			if !containsToken(dav, class) {
				t.Errorf("OPTIONS %s: DAV %q lacks %s", p, dav, class)
			}
		}
		allow := rec.Header().Get("Allow")
		for _, m := range []string{"PROPFIND", "REPORT", "PUT", "DELETE", "MKCALENDAR", "PROPPATCH"} {
			if !containsToken(allow, m) {
				t.Errorf("OPTIONS %s: Allow %q lacks %s", p, allow, m)
			}
		}
	}
}

func containsToken(list, tok string) bool {
	for _, f := range strings.Split(list, ",") {
		if strings.TrimSpace(f) == tok {
			return true
		}
	}
	return false
}

func TestWellKnownRedirects(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
		for _, m := range []string{"GET", "PROPFIND"} {
			rec := e.do(m, p, "")
			if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/principals/easbridge/" {
				t.Errorf("%s %s: %d Location %q", m, p, rec.Code, rec.Header().Get("Location"))
			}
		}
	}
}

const propfindDiscovery = `<?xml version="1.0"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav">
<d:prop><d:current-user-principal/><c:calendar-home-set/><card:addressbook-home-set/><d:resourcetype/><d:displayname/></d:prop>
</d:propfind>`

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/principals/easbridge/", "/calendars/easbridge/personal/"} {
		doc := parseMS(t, e.do("PROPFIND", p, propfindDiscovery, "Depth", "0"))
		r := doc.find(t, p)
		if got := r.ok200(t, nsDAV, "current-user-principal").Inner; !strings.Contains(got, "/principals/easbridge/") {
			t.Errorf("%s: current-user-principal %q", p, got)
		}
		if got := r.ok200(t, nsCalDAV, "calendar-home-set").Inner; !strings.Contains(got, "/calendars/easbridge/") {
			t.Errorf("%s: calendar-home-set %q", p, got)
		}
		if got := r.ok200(t, nsCardDAV, "addressbook-home-set").Inner; !strings.Contains(got, "/contacts/easbridge/") {
			t.Errorf("%s: addressbook-home-set %q", p, got)
		}
	}

	// The calendar home lists calendars only, with their kinds.
	doc := parseMS(t, e.do("PROPFIND", "/calendars/easbridge/", propfindDiscovery, "Depth", "1"))
	if got := strings.Join(doc.hrefs(), " "); got != "/calendars/easbridge/ /calendars/easbridge/personal/ /calendars/easbridge/tasks/" {
		t.Errorf("calendar home members: %s", got)
	}
	rt := doc.find(t, "/calendars/easbridge/personal/").ok200(t, nsDAV, "resourcetype").Inner
	if !strings.Contains(rt, "calendar") || !strings.Contains(rt, "collection") {
		t.Errorf("calendar resourcetype %q", rt)
	}
	doc = parseMS(t, e.do("PROPFIND", "/contacts/easbridge/", propfindDiscovery, "Depth", "1"))
	if got := strings.Join(doc.hrefs(), " "); got != "/contacts/easbridge/ /contacts/easbridge/people/" {
		t.Errorf("contacts home members: %s", got)
	}

	// Nothing of other users, and the principal collection lists only ours.
	for _, p := range []string{"/principals/root/", "/calendars/root/", "/contacts/other/people/", "/calendars/easbridge/people/", "/contacts/easbridge/personal/"} {
		if rec := e.do("PROPFIND", p, propfindDiscovery, "Depth", "1"); rec.Code != http.StatusNotFound {
			t.Errorf("PROPFIND %s: %d, want 404", p, rec.Code)
		}
	}
	doc = parseMS(t, e.do("PROPFIND", "/principals/", propfindDiscovery, "Depth", "1"))
	if got := strings.Join(doc.hrefs(), " "); got != "/principals/ /principals/easbridge/" {
		t.Errorf("principals: %s", got)
	}
}

func TestPropfindAllpropAndEmptyBody(t *testing.T) {
	e := newEnv(t)
	e.put("/calendars/easbridge/personal/simple.ics", "ics/simple.ics")
	doc := parseMS(t, e.do("PROPFIND", "/calendars/easbridge/personal/", "", "Depth", "1"))
	r := doc.find(t, "/calendars/easbridge/personal/simple.ics")
	r.ok200(t, nsDAV, "getetag")
	r.ok200(t, nsDAV, "getlastmodified")
	if _, _, found := r.prop(nsDAV, "displayname"); found {
		t.Error("allprop listed a property the object does not have")
	}
	c := doc.find(t, "/calendars/easbridge/personal/")
	c.ok200(t, nsCS, "getctag")
	c.ok200(t, nsDAV, "sync-token")

	withData := `<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop></d:propfind>`
	doc = parseMS(t, e.do("PROPFIND", "/calendars/easbridge/personal/", withData, "Depth", "1"))
	if got := doc.find(t, "/calendars/easbridge/personal/simple.ics").ok200(t, nsCalDAV, "calendar-data").Text; !strings.Contains(got, "Dentist") {
		t.Errorf("calendar-data in PROPFIND: %q", got)
	}

	rec := e.do("PROPFIND", "/", `<d:propfind xmlns:d="DAV:"><d:propname/></d:propfind>`, "Depth", "0")
	parseMS(t, rec).find(t, "/").ok200(t, nsDAV, "resourcetype")

	if rec := e.do("PROPFIND", "/", "<d:propfind", "Depth", "0"); rec.Code != http.StatusBadRequest {
		t.Errorf("malformed body: %d", rec.Code)
	}
	// litmus props propfind_invalid2: a prefix bound to "" is not XML.
	invalidNS := `<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>`
	for _, body := range []string{invalidNS, strings.Replace(invalidNS, `xmlns:bar=""`, "xmlns:bar =\n''", 1)} {
		if rec := e.do("PROPFIND", "/", body, "Depth", "0"); rec.Code != http.StatusBadRequest {
			t.Errorf("empty namespace binding %q: %d", body, rec.Code)
		}
	}
	if rec := e.do("PROPFIND", "/", "", "Depth", "2"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad depth: %d", rec.Code)
	}
}

// TestThunderbirdSequence replays the requests Thunderbird sends when a
// network calendar is added and then synchronised, and checks that every
// property it asks for is answered: with a value, or a 404 propstat for
// the scheduling properties we do not offer.
func TestThunderbirdSequence(t *testing.T) {
	e := newEnv(t)
	e.put("/calendars/easbridge/personal/simple.ics", "ics/simple.ics")
	steps := []struct {
		method, path, depth, file string
		must200                   []string // "{ns}local"
	}{
		{"PROPFIND", "/calendars/easbridge/personal/", "0", "01-detect.xml",
			[]string{"{DAV:}resourcetype", "{DAV:}owner", "{DAV:}displayname", "{DAV:}current-user-principal",
				"{DAV:}current-user-privilege-set", "{http://apple.com/ns/ical/}calendar-color", "{urn:ietf:params:xml:ns:caldav}calendar-home-set"}},
		{"PROPFIND", "/calendars/easbridge/", "1", "02-home.xml",
			[]string{"{DAV:}resourcetype", "{DAV:}displayname", "{DAV:}current-user-privilege-set"}},
		{"PROPFIND", "/calendars/easbridge/personal/", "0", "03-resourcetype.xml",
			[]string{"{DAV:}resourcetype", "{DAV:}owner", "{DAV:}current-user-principal", "{DAV:}current-user-privilege-set",
				"{DAV:}supported-report-set", "{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set", "{http://calendarserver.org/ns/}getctag"}},
		{"OPTIONS", "/calendars/easbridge/", "", "", nil},
		{"PROPFIND", "/principals/easbridge/", "0", "05-principal.xml",
			[]string{"{urn:ietf:params:xml:ns:caldav}calendar-home-set", "{DAV:}principal-URL", "{DAV:}displayname"}},
		{"PROPFIND", "/calendars/easbridge/personal/", "0", "06-ctag.xml",
			[]string{"{http://calendarserver.org/ns/}getctag", "{DAV:}sync-token"}},
		{"REPORT", "/calendars/easbridge/personal/", "1", "07-sync.xml",
			[]string{"{DAV:}getetag", "{DAV:}getcontenttype"}},
		{"PROPFIND", "/calendars/easbridge/personal/", "1", "08-etags.xml",
			[]string{"{DAV:}resourcetype"}},
		{"REPORT", "/calendars/easbridge/personal/", "1", "09-multiget.xml",
			[]string{"{DAV:}getetag", "{urn:ietf:params:xml:ns:caldav}calendar-data"}},
		{"PROPFIND", "/calendars/easbridge/personal/", "0", "10-evolution.xml",
			[]string{"{DAV:}displayname", "{DAV:}sync-token", "{http://calendarserver.org/ns/}getctag",
				"{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set", "{DAV:}supported-report-set"}},
	}
	for _, st := range steps {
		t.Run(st.method+" "+st.file, func(t *testing.T) {
			body := ""
			if st.file != "" {
				body = readFixture(t, filepath.Join("thunderbird", st.file))
			}
			var hdr []string
			if st.depth != "" {
				hdr = []string{"Depth", st.depth}
			}
			rec := e.do(st.method, st.path, body, hdr...)
			if st.method == "OPTIONS" {
				if rec.Code != http.StatusOK || !containsToken(rec.Header().Get("DAV"), "calendar-access") {
					t.Fatalf("OPTIONS: %d DAV %q", rec.Code, rec.Header().Get("DAV"))
				}
				return
			}
			asked := requestedProps(t, body)
			doc := parseMS(t, rec)
			if len(doc.Responses) == 0 {
				t.Fatal("no responses")
			}
			for _, r := range doc.Responses {
				for _, n := range asked {
					if _, _, found := r.prop(n.Space, n.Local); !found {
						t.Errorf("%s: property {%s}%s not answered", r.Href, n.Space, n.Local)
					}
				}
			}
			for _, want := range st.must200 {
				i := strings.Index(want, "}")
				doc.Responses[0].ok200(t, want[1:i], want[i+1:])
			}
		})
	}
}

// requestedProps lists the children of the first DAV:prop in an XML body.
func requestedProps(t *testing.T, body string) []xml.Name {
	dec := xml.NewDecoder(strings.NewReader(body))
	inProp := false
	var out []xml.Name
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if inProp {
				depth++
				if depth == 1 {
					out = append(out, el.Name)
				}
			} else if el.Name == (xml.Name{Space: nsDAV, Local: "prop"}) {
				inProp = true
			}
		case xml.EndElement:
			if inProp {
				if depth == 0 {
					return out
				}
				depth--
			}
		}
	}
}

func TestGetServesStoredBytes(t *testing.T) {
	e := newEnv(t)
	// LF line endings: a re-encoding server would change the bytes.
	body := strings.ReplaceAll(readFixture(t, "ics/simple.ics"), "\r\n", "\n")
	rec := e.do("PUT", "/calendars/easbridge/personal/x.ics", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	etag := rec.Header().Get("ETag")
	get := e.do("GET", "/calendars/easbridge/personal/x.ics", "")
	if get.Code != http.StatusOK || get.Body.String() != body || get.Header().Get("ETag") != etag {
		t.Fatalf("GET: %d ETag %q (PUT gave %q), body equal=%v", get.Code, get.Header().Get("ETag"), etag, get.Body.String() == body)
	}
	if ct := get.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("Content-Type %q", ct)
	}
	if rec := e.do("GET", "/calendars/easbridge/personal/x.ics", "", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d", rec.Code)
	}
	head := e.do("HEAD", "/calendars/easbridge/personal/x.ics", "")
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag {
		t.Errorf("HEAD: %d len %d", head.Code, head.Body.Len())
	}
	if rec := e.do("GET", "/calendars/easbridge/personal/none.ics", ""); rec.Code != http.StatusNotFound {
		t.Errorf("missing object: %d", rec.Code)
	}
}

func TestObjectsRoundTripThroughBackend(t *testing.T) {
	e := newEnv(t)
	e.put("/contacts/easbridge/people/alice.vcf", "vcf/alice.vcf")
	objs, err := e.b.GetObjects(context.Background(), "people", []string{"alice.vcf"})
	if err != nil || len(objs) != 1 || objs[0].UID != "alice-1" {
		t.Fatalf("stored: %+v %v", objs, err)
	}
}

func TestEscapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a&b<c>d", "a&amp;b&lt;c&gt;d"},
		{"line\r\nnext\tx", "line&#13;\nnext\tx"},
		{"Müller €", "Müller €"},
		{"bad\x01ctl", "bad\uFFFDctl"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{`"quoted"`, `"quoted"`},
	}
	for _, tt := range tests {
		if got := escaped(tt.in); got != tt.want {
			t.Errorf("escaped(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRequestBodies sends arbitrary XML bodies through the real handler
// as PROPFIND, PROPPATCH, REPORT and MKCALENDAR: never a panic, never a
// 5xx, and the store keeps its objects.
func FuzzRequestBodies(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "thunderbird", "*.xml"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Add(calQuery("VEVENT", "20260101T000000Z", "20260201T000000Z"))
	f.Add(syncReq(""))
	f.Add(`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`)
	e := newEnv(f)
	e.put("/calendars/easbridge/personal/simple.ics", "ics/simple.ics")
	e.put("/contacts/easbridge/people/alice.vcf", "vcf/alice.vcf")
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t
		for _, m := range []struct{ method, path string }{
			{"PROPFIND", "/calendars/easbridge/personal/"},
			{"REPORT", "/calendars/easbridge/personal/"},
			{"REPORT", "/contacts/easbridge/people/"},
			{"PROPPATCH", "/calendars/easbridge/tasks/"},
			{"MKCALENDAR", "/calendars/easbridge/fuzz/"},
		} {
			rec := e.do(m.method, m.path, body, "Depth", "1")
			if rec.Code >= 500 {
				t.Fatalf("%s %s: %d %s", m.method, m.path, rec.Code, rec.Body)
			}
		}
		e.do("DELETE", "/calendars/easbridge/fuzz/", "")
		if objs, _ := e.b.Objects(context.Background(), "personal"); len(objs) != 1 {
			t.Fatalf("objects changed: %v", objs)
		}
	})
}

func TestPreferMinimal(t *testing.T) {
	e := newEnv(t)
	e.put("/calendars/easbridge/personal/simple.ics", "ics/simple.ics")
	body := `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:displayname/></d:prop></d:propfind>`
	for _, hdr := range [][]string{{"Prefer", "return=minimal"}, {"Brief", "t"}} {
		rec := e.do("PROPFIND", "/calendars/easbridge/personal/", body, "Depth", "1", hdr[0], hdr[1])
		if rec.Header().Get("Preference-Applied") != "return=minimal" {
			t.Errorf("%s: no Preference-Applied", hdr[0])
		}
		r := parseMS(t, rec).find(t, "/calendars/easbridge/personal/simple.ics")
		r.ok200(t, nsDAV, "getetag")
		if _, _, found := r.prop(nsDAV, "displayname"); found {
			t.Errorf("%s: 404 propstat kept", hdr[0])
		}
	}
	r := parseMS(t, e.do("PROPFIND", "/calendars/easbridge/personal/", body, "Depth", "1")).find(t, "/calendars/easbridge/personal/simple.ics")
	if _, st, _ := r.prop(nsDAV, "displayname"); !strings.Contains(st, "404") {
		t.Errorf("without a preference: displayname status %q", st)
	}
}
