package dav

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestPut(t *testing.T) {
	const cal = "/calendars/easbridge/personal/"
	tests := []struct {
		name    string
		path    string
		fixture string // under testdata, or literal body when it has no '/'
		headers []string
		// existing stores ics/simple.ics at cal+"simple.ics" first.
		existing bool
		want     int
		wantBody string // substring of the error body
	}{
		{name: "new", path: cal + "simple.ics", fixture: "ics/simple.ics", want: http.StatusCreated},
		{name: "overwrite", path: cal + "simple.ics", fixture: "ics/simple.ics", existing: true, want: http.StatusNoContent},
		{name: "if-none-match star on existing", path: cal + "simple.ics", fixture: "ics/simple.ics", existing: true,
			headers: []string{"If-None-Match", "*"}, want: http.StatusPreconditionFailed},
		{name: "if-none-match star on new", path: cal + "simple.ics", fixture: "ics/simple.ics",
			headers: []string{"If-None-Match", "*"}, want: http.StatusCreated},
		{name: "if-match wrong", path: cal + "simple.ics", fixture: "ics/simple.ics", existing: true,
			headers: []string{"If-Match", `"nope"`}, want: http.StatusPreconditionFailed},
		{name: "if-match on missing", path: cal + "simple.ics", fixture: "ics/simple.ics",
			headers: []string{"If-Match", `"e1"`}, want: http.StatusPreconditionFailed},
		{name: "malformed if-match", path: cal + "simple.ics", fixture: "ics/simple.ics",
			headers: []string{"If-Match", `e1`}, want: http.StatusBadRequest},
		{name: "garbage", path: cal + "g.ics", fixture: "ics/garbage.ics", want: http.StatusForbidden, wantBody: "valid-calendar-data"},
		{name: "empty body", path: cal + "g.ics", fixture: "", want: http.StatusForbidden, wantBody: "valid-calendar-data"},
		{name: "bad date", path: cal + "g.ics", fixture: "ics/baddate.ics", want: http.StatusForbidden, wantBody: "valid-calendar-data"},
		{name: "no uid", path: cal + "g.ics", fixture: "ics/nouid.ics", want: http.StatusForbidden, wantBody: "valid-calendar-object-resource"},
		{name: "two component types", path: cal + "g.ics", fixture: "ics/mixed.ics", want: http.StatusForbidden, wantBody: "valid-calendar-object-resource"},
		{name: "todo into events", path: cal + "t.ics", fixture: "ics/todo.ics", want: http.StatusForbidden, wantBody: "supported-calendar-component"},
		{name: "event into tasks", path: "/calendars/easbridge/tasks/e.ics", fixture: "ics/simple.ics", want: http.StatusForbidden, wantBody: "supported-calendar-component"},
		{name: "todo into tasks", path: "/calendars/easbridge/tasks/t.ics", fixture: "ics/todo.ics", want: http.StatusCreated},
		{name: "uid conflict", path: cal + "other.ics", fixture: "ics/simple.ics", existing: true,
			want: http.StatusConflict, wantBody: "<c:no-uid-conflict><d:href>/calendars/easbridge/personal/simple.ics</d:href>"},
		{name: "vcard", path: "/contacts/easbridge/people/a.vcf", fixture: "vcf/alice.vcf", want: http.StatusCreated},
		{name: "vcard without uid", path: "/contacts/easbridge/people/n.vcf", fixture: "vcf/nouid.vcf", want: http.StatusForbidden, wantBody: "valid-address-data"},
		{name: "ical into address book", path: "/contacts/easbridge/people/s.vcf", fixture: "ics/simple.ics", want: http.StatusForbidden, wantBody: "valid-address-data"},
		{name: "vcard into calendar", path: cal + "a.vcf", fixture: "vcf/alice.vcf", want: http.StatusForbidden, wantBody: "valid-calendar-data"},
		{name: "missing collection", path: "/calendars/easbridge/nope/x.ics", fixture: "ics/simple.ics", want: http.StatusNotFound},
		{name: "on collection", path: cal, fixture: "ics/simple.ics", want: http.StatusMethodNotAllowed},
		{name: "too large", path: cal + "big.ics", fixture: "big", want: http.StatusRequestEntityTooLarge},
		{name: "control character in name", path: cal + "a\x01b.ics", fixture: "ics/simple.ics", want: http.StatusForbidden},
		{name: "name too long", path: cal + strings.Repeat("n", 300) + ".ics", fixture: "ics/simple.ics", want: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.existing {
				e.put(cal+"simple.ics", "ics/simple.ics")
			}
			before := e.b.puts
			body := ""
			switch {
			case tt.fixture == "big":
				body = strings.Repeat("x", 65<<10)
			case tt.fixture != "":
				body = readFixture(t, tt.fixture)
			}
			rec := e.do("PUT", tt.path, body, tt.headers...)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body %q lacks %q", rec.Body, tt.wantBody)
			}
			if tt.want >= 400 {
				if e.b.puts != before {
					t.Errorf("a refused PUT reached the backend")
				}
				if rec.Body.Len() == 0 {
					t.Errorf("refusal without a reason")
				}
				return
			}
			if etag := rec.Header().Get("ETag"); len(etag) < 3 || etag[0] != '"' {
				t.Errorf("ETag header %q", etag)
			}
		})
	}
}

func TestPutIfMatchCurrent(t *testing.T) {
	e := newEnv(t)
	path := "/calendars/easbridge/personal/simple.ics"
	etag := e.put(path, "ics/simple.ics")
	body := strings.Replace(readFixture(t, "ics/simple.ics"), "Dentist", "Dentist (moved)", 1)
	rec := e.do("PUT", path, body, "If-Match", etag)
	if rec.Code != http.StatusNoContent || rec.Header().Get("ETag") == etag {
		t.Fatalf("status %d, ETag %q (was %q)", rec.Code, rec.Header().Get("ETag"), etag)
	}
	// The old ETag no longer matches: a second writer with it loses.
	if rec := e.do("PUT", path, body, "If-Match", etag); rec.Code != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d", rec.Code)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	path := "/calendars/easbridge/personal/simple.ics"
	etag := e.put(path, "ics/simple.ics")
	if rec := e.do("DELETE", path, "", "If-Match", `"stale"`); rec.Code != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d", rec.Code)
	}
	if rec := e.do("DELETE", path, "", "If-Match", etag); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("DELETE", path, ""); rec.Code != http.StatusNotFound {
		t.Fatalf("second delete: %d", rec.Code)
	}
	if rec := e.do("DELETE", "/calendars/easbridge/", ""); rec.Code != http.StatusForbidden {
		t.Fatalf("delete home: %d", rec.Code)
	}
	if rec := e.do("DELETE", "/calendars/easbridge/tasks/", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete collection: %d", rec.Code)
	}
	if _, err := e.b.Collection(context.Background(), "tasks"); err == nil {
		t.Fatal("collection still there")
	}
}

func TestMkcol(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		want                     int
		wantKind                 Kind
		wantName, wantColor      string
	}{
		{"mkcalendar plain", "MKCALENDAR", "/calendars/easbridge/work/", "", http.StatusCreated, KindEvents, "", ""},
		{"mkcalendar with props", "MKCALENDAR", "/calendars/easbridge/work/", `<?xml version="1.0"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">
<D:set><D:prop><D:displayname>Work</D:displayname><A:calendar-color>#FF0000</A:calendar-color>
<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
<C:calendar-timezone>BEGIN:VCALENDAR...</C:calendar-timezone></D:prop></D:set></C:mkcalendar>`,
			http.StatusCreated, KindTasks, "Work", "#FF0000"},
		{"extended mkcol calendar", "MKCOL", "/calendars/easbridge/x/", `<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>X</D:displayname></D:prop></D:set></D:mkcol>`,
			http.StatusCreated, KindEvents, "X", ""},
		{"extended mkcol address book", "MKCOL", "/contacts/easbridge/friends/", `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
<D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>Friends</D:displayname></D:prop></D:set></D:mkcol>`,
			http.StatusCreated, KindContacts, "Friends", ""},
		{"plain mkcol in contacts", "MKCOL", "/contacts/easbridge/more/", "", http.StatusCreated, KindContacts, "", ""},
		{"address book among calendars", "MKCOL", "/calendars/easbridge/ab/", `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
<D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`,
			http.StatusForbidden, 0, "", ""},
		{"calendar among contacts", "MKCALENDAR", "/contacts/easbridge/cal/", "", http.StatusForbidden, 0, "", ""},
		{"existing", "MKCALENDAR", "/calendars/easbridge/personal/", "", http.StatusMethodNotAllowed, 0, "", ""},
		{"on home", "MKCOL", "/calendars/easbridge/", "", http.StatusForbidden, 0, "", ""},
		{"bad xml", "MKCALENDAR", "/calendars/easbridge/bad/", "<C:mkcalendar", http.StatusBadRequest, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			rec := e.do(tt.method, tt.path, tt.body)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want != http.StatusCreated {
				return
			}
			id := strings.Split(strings.Trim(tt.path, "/"), "/")[2]
			c, err := e.b.Collection(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != tt.wantKind || c.DisplayName != tt.wantName || c.Color != tt.wantColor {
				t.Fatalf("created %+v", c)
			}
		})
	}
}

func TestProppatch(t *testing.T) {
	e := newEnv(t)
	path := "/calendars/easbridge/personal/"
	ctag := func() string {
		c, _ := e.b.Collection(context.Background(), "personal")
		return c.CTag
	}
	before := ctag()
	doc := parseMS(t, e.do("PROPPATCH", path, `<?xml version="1.0"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/">
<D:set><D:prop><D:displayname>Renamed</D:displayname><A:calendar-color>#00FF00FF</A:calendar-color></D:prop></D:set>
</D:propertyupdate>`))
	r := doc.find(t, path)
	r.ok200(t, nsDAV, "displayname")
	r.ok200(t, nsApple, "calendar-color")
	c, _ := e.b.Collection(context.Background(), "personal")
	if c.DisplayName != "Renamed" || c.Color != "#00FF00FF" || c.CTag == before {
		t.Fatalf("stored %+v", c)
	}
	got := parseMS(t, e.do("PROPFIND", path, readFixture(t, "thunderbird/01-detect.xml"), "Depth", "0")).find(t, path)
	if v := got.ok200(t, nsApple, "calendar-color").Text; v != "#00FF00FF" {
		t.Errorf("PROPFIND calendar-color %q", v)
	}

	// One unsupported property fails the whole update (RFC 4918 9.2).
	doc = parseMS(t, e.do("PROPPATCH", path, `<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x">
<D:set><D:prop><D:displayname>Again</D:displayname><X:dead>v</X:dead></D:prop></D:set></D:propertyupdate>`))
	r = doc.find(t, path)
	if _, st, _ := r.prop(nsDAV, "displayname"); !strings.Contains(st, "424") {
		t.Errorf("displayname status %q, want 424", st)
	}
	if _, st, _ := r.prop("urn:x", "dead"); !strings.Contains(st, "403") {
		t.Errorf("dead property status %q, want 403", st)
	}
	if c, _ := e.b.Collection(context.Background(), "personal"); c.DisplayName != "Renamed" {
		t.Errorf("failed PROPPATCH changed displayname to %q", c.DisplayName)
	}

	// remove clears.
	parseMS(t, e.do("PROPPATCH", path, `<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/">
<D:remove><D:prop><A:calendar-color/></D:prop></D:remove></D:propertyupdate>`))
	if c, _ := e.b.Collection(context.Background(), "personal"); c.Color != "" {
		t.Errorf("color after remove %q", c.Color)
	}
	if rec := e.do("PROPPATCH", path, ""); rec.Code != http.StatusBadRequest {
		t.Errorf("empty PROPPATCH: %d", rec.Code)
	}
}
