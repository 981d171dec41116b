package dav

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/emersion/go-ical"
)

const syncBody = `<?xml version="1.0"?>
<d:sync-collection xmlns:d="DAV:"><d:sync-token>%s</d:sync-token><d:sync-level>1</d:sync-level>
<d:prop><d:getetag/></d:prop></d:sync-collection>`

func syncReq(token string) string { return strings.Replace(syncBody, "%s", token, 1) }

func TestSyncCollection(t *testing.T) {
	e := newEnv(t)
	const cal = "/calendars/easbridge/personal/"
	e.put(cal+"simple.ics", "ics/simple.ics")
	e.put(cal+"allday.ics", "ics/allday.ics")
	e.put(cal+"weekly.ics", "ics/recurring.ics")

	first := parseMS(t, e.do("REPORT", cal, syncReq(""), "Depth", "0"))
	if got := strings.Join(sortedHrefs(first), " "); got != cal+"allday.ics "+cal+"simple.ics "+cal+"weekly.ics" {
		t.Fatalf("initial sync: %s", got)
	}
	if first.SyncToken == "" {
		t.Fatal("no sync-token")
	}
	etag := first.find(t, cal+"simple.ics").ok200(t, nsDAV, "getetag").Text

	// Nothing changed: empty answer, same token.
	again := parseMS(t, e.do("REPORT", cal, syncReq(first.SyncToken)))
	if len(again.Responses) != 0 || again.SyncToken != first.SyncToken {
		t.Fatalf("no-change sync: %v token %q", again.hrefs(), again.SyncToken)
	}

	// One change, one delete.
	body := strings.Replace(readFixture(t, "ics/simple.ics"), "Dentist", "Dentist 2", 1)
	if rec := e.do("PUT", cal+"simple.ics", body, "If-Match", etag); rec.Code != http.StatusNoContent {
		t.Fatalf("PUT: %d", rec.Code)
	}
	if rec := e.do("DELETE", cal+"allday.ics", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", rec.Code)
	}
	delta := parseMS(t, e.do("REPORT", cal, syncReq(first.SyncToken)))
	if len(delta.Responses) != 2 || delta.SyncToken == first.SyncToken {
		t.Fatalf("delta: %v token %q", delta.hrefs(), delta.SyncToken)
	}
	if got := delta.find(t, cal+"simple.ics").ok200(t, nsDAV, "getetag").Text; got == etag {
		t.Errorf("changed object kept ETag %s", got)
	}
	if st := delta.find(t, cal+"allday.ics").Status; !strings.Contains(st, "404") {
		t.Errorf("deleted member status %q", st)
	}

	// The collection's getctag and sync-token moved too.
	props := parseMS(t, e.do("PROPFIND", cal, readFixture(t, "thunderbird/06-ctag.xml"), "Depth", "0")).find(t, cal)
	if got := props.ok200(t, nsDAV, "sync-token").Text; got != delta.SyncToken {
		t.Errorf("sync-token property %q, report said %q", got, delta.SyncToken)
	}

	// Bad tokens: 403 with DAV:valid-sync-token (RFC 6578 3.2).
	for _, bad := range []string{"urn:easbridge:sync:personal:999", "garbage", "urn:easbridge:sync:tasks:1"} {
		rec := e.do("REPORT", cal, syncReq(bad))
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "valid-sync-token") {
			t.Errorf("token %q: %d %s", bad, rec.Code, rec.Body)
		}
	}

	// A limit we cannot honour fails with number-of-matches-within-limits.
	limited := `<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level>
<d:limit><d:nresults>1</d:nresults></d:limit><d:prop><d:getetag/></d:prop></d:sync-collection>`
	if rec := e.do("REPORT", cal, limited); rec.Code != http.StatusInsufficientStorage || !strings.Contains(rec.Body.String(), "number-of-matches-within-limits") {
		t.Errorf("limit: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("REPORT", "/calendars/easbridge/", syncReq("")); rec.Code != http.StatusForbidden {
		t.Errorf("sync on home: %d", rec.Code)
	}

	// calendar-data can be asked for directly.
	withData := `<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:sync-token/>
<d:sync-level>1</d:sync-level><d:prop><d:getetag/><c:calendar-data/></d:prop></d:sync-collection>`
	doc := parseMS(t, e.do("REPORT", cal, withData))
	if got := doc.find(t, cal+"simple.ics").ok200(t, nsCalDAV, "calendar-data").Text; !strings.Contains(got, "Dentist 2") {
		t.Errorf("calendar-data %q", got)
	}
}

func sortedHrefs(d msDoc) []string {
	h := d.hrefs()
	sort.Strings(h)
	return h
}

func TestSupportedReportSet(t *testing.T) {
	e := newEnv(t)
	body := `<d:propfind xmlns:d="DAV:"><d:prop><d:supported-report-set/></d:prop></d:propfind>`
	for path, want := range map[string][]string{
		"/calendars/easbridge/personal/": {"sync-collection", "calendar-query", "calendar-multiget"},
		"/contacts/easbridge/people/":    {"sync-collection", "addressbook-query", "addressbook-multiget"},
	} {
		got := parseMS(t, e.do("PROPFIND", path, body, "Depth", "0")).find(t, path).ok200(t, nsDAV, "supported-report-set").Inner
		for _, w := range want {
			if !strings.Contains(got, ":"+w+"/>") {
				t.Errorf("%s: supported-report-set %q lacks %s", path, got, w)
			}
		}
	}
}

func TestMultiget(t *testing.T) {
	e := newEnv(t)
	const cal = "/calendars/easbridge/personal/"
	e.put(cal+"simple.ics", "ics/simple.ics")
	e.put(cal+"allday.ics", "ics/allday.ics")
	body := `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><d:getetag/><c:calendar-data/></d:prop>
<d:href>` + cal + `simple.ics</d:href>
<d:href>http://localhost:5233` + cal + `allday.ics</d:href>
<d:href>` + cal + `missing.ics</d:href>
<d:href>/calendars/easbridge/nope/x.ics</d:href>
<d:href>/contacts/easbridge/people/x.vcf</d:href>
</c:calendar-multiget>`
	doc := parseMS(t, e.do("REPORT", cal, body, "Depth", "1"))
	if len(doc.Responses) != 5 {
		t.Fatalf("responses %v", doc.hrefs())
	}
	data := doc.find(t, cal+"simple.ics").ok200(t, nsCalDAV, "calendar-data").Text
	if data != readFixture(t, "ics/simple.ics") {
		t.Errorf("calendar-data not byte-identical: %q", data)
	}
	doc.find(t, cal+"allday.ics").ok200(t, nsDAV, "getetag")
	for _, h := range []string{cal + "missing.ics", "/calendars/easbridge/nope/x.ics", "/contacts/easbridge/people/x.vcf"} {
		if st := doc.find(t, h).Status; !strings.Contains(st, "404") {
			t.Errorf("%s: status %q", h, st)
		}
	}

	e.put("/contacts/easbridge/people/alice.vcf", "vcf/alice.vcf")
	card := `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">
<d:prop><d:getetag/><card:address-data/></d:prop><d:href>/contacts/easbridge/people/alice.vcf</d:href></card:addressbook-multiget>`
	doc = parseMS(t, e.do("REPORT", "/contacts/easbridge/people/", card))
	if got := doc.find(t, "/contacts/easbridge/people/alice.vcf").ok200(t, nsCardDAV, "address-data").Text; !strings.Contains(got, "Alice Müller") {
		t.Errorf("address-data %q", got)
	}
}

func calQuery(comp, start, end string) string {
	tr := ""
	if start != "" || end != "" {
		tr = `<c:time-range`
		if start != "" {
			tr += ` start="` + start + `"`
		}
		if end != "" {
			tr += ` end="` + end + `"`
		}
		tr += `/>`
	}
	return `<?xml version="1.0"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><d:getetag/></d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="` + comp + `">` + tr + `</c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>`
}

func TestCalendarQuery(t *testing.T) {
	e := newEnv(t)
	const cal = "/calendars/easbridge/personal/"
	for _, f := range []string{"simple", "allday", "recurring", "infinite"} {
		e.put(cal+f+".ics", "ics/"+f+".ics")
	}
	e.put("/calendars/easbridge/tasks/todo.ics", "ics/todo.ics")
	tests := []struct {
		name, comp, start, end string
		coll                   string
		want                   []string
	}{
		// simple: 2026-03-10 09:00-10:00Z.
		{"starts exactly at event start", "VEVENT", "20260310T090000Z", "20260310T093000Z", cal, []string{"simple"}},
		{"ends exactly at event start, starts at other's end", "VEVENT", "20260310T083000Z", "20260310T090000Z", cal, nil},
		{"covers an instance of the daily series", "VEVENT", "20260310T080000Z", "20260310T090000Z", cal, []string{"infinite"}},
		{"starts exactly at event end", "VEVENT", "20260310T100000Z", "20260310T110000Z", cal, nil},
		// allday: 2026-03-20, a DATE.
		{"all-day day itself", "VEVENT", "20260320T000000Z", "20260321T000000Z", cal, []string{"allday", "infinite"}},
		{"all-day last second", "VEVENT", "20260320T235959Z", "20260321T060000Z", cal, []string{"allday"}},
		{"day after all-day", "VEVENT", "20260321T000000Z", "20260321T060000Z", cal, nil},
		// recurring: Mondays 10:00 Berlin (09:00Z) from 2026-03-02, 6 times,
		// 03-09 moved to 03-10 15:00 Berlin (14:00Z), 03-16 deleted.
		{"overridden instance's old slot", "VEVENT", "20260309T085000Z", "20260309T100000Z", cal, nil},
		{"overridden instance's new slot", "VEVENT", "20260310T140000Z", "20260310T143000Z", cal, []string{"recurring"}},
		{"deleted instance", "VEVENT", "20260316T085000Z", "20260316T100000Z", cal, nil},
		{"later instance after DST", "VEVENT", "20260330T080000Z", "20260330T081000Z", cal, []string{"infinite", "recurring"}},
		{"after last instance", "VEVENT", "20260407T000000Z", "20260407T070000Z", cal, nil},
		// infinite: daily 08:00-08:30Z since 2025.
		{"far future", "VEVENT", "20300101T080000Z", "20300101T080100Z", cal, []string{"infinite"}},
		{"open end", "VEVENT", "20260331T000000Z", "", cal, []string{"infinite", "recurring"}},
		{"no range", "VEVENT", "", "", cal, []string{"allday", "infinite", "recurring", "simple"}},
		// todo: DUE 2026-03-15 17:00Z only: (start < DUE) AND (end >= DUE).
		{"todo due inside", "VTODO", "20260315T000000Z", "20260316T000000Z", "/calendars/easbridge/tasks/", []string{"todo"}},
		{"todo range ending at due", "VTODO", "20260315T000000Z", "20260315T170000Z", "/calendars/easbridge/tasks/", []string{"todo"}},
		{"todo range starting at due", "VTODO", "20260315T170000Z", "20260316T000000Z", "/calendars/easbridge/tasks/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseMS(t, e.do("REPORT", tt.coll, calQuery(tt.comp, tt.start, tt.end), "Depth", "1"))
			var got []string
			for _, h := range sortedHrefs(doc) {
				got = append(got, strings.TrimSuffix(h[strings.LastIndex(h, "/")+1:], ".ics"))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCalendarQueryFilters(t *testing.T) {
	e := newEnv(t)
	const cal = "/calendars/easbridge/personal/"
	e.put(cal+"simple.ics", "ics/simple.ics")
	e.put(cal+"allday.ics", "ics/allday.ics")
	q := func(inner string) string {
		return `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">` + inner + `</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`
	}
	tests := []struct{ name, inner, want string }{
		{"text-match case-insensitive", `<c:prop-filter name="SUMMARY"><c:text-match>dENTIST</c:text-match></c:prop-filter>`, "simple"},
		{"text-match octet", `<c:prop-filter name="SUMMARY"><c:text-match collation="i;octet">dentist</c:text-match></c:prop-filter>`, ""},
		{"negated", `<c:prop-filter name="SUMMARY"><c:text-match negate-condition="yes">dentist</c:text-match></c:prop-filter>`, "allday"},
		{"uid", `<c:prop-filter name="UID"><c:text-match collation="i;octet">allday-1</c:text-match></c:prop-filter>`, "allday"},
		{"is-not-defined", `<c:prop-filter name="DTEND"><c:is-not-defined/></c:prop-filter>`, ""},
		{"param", `<c:prop-filter name="DTSTART"><c:param-filter name="VALUE"><c:text-match>DATE</c:text-match></c:param-filter></c:prop-filter>`, "allday"},
		{"no valarm", `<c:comp-filter name="VALARM"><c:is-not-defined/></c:comp-filter>`, "allday,simple"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseMS(t, e.do("REPORT", cal, q(tt.inner), "Depth", "1"))
			var got []string
			for _, h := range sortedHrefs(doc) {
				got = append(got, strings.TrimSuffix(h[strings.LastIndex(h, "/")+1:], ".ics"))
			}
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
		})
	}
	bad := []string{
		`<c:calendar-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:filter><c:comp-filter name="VEVENT"/></c:filter></c:calendar-query>`,
		calQuery("VEVENT", "2026-03-01", ""),
	}
	for _, b := range bad {
		if rec := e.do("REPORT", cal, b); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "valid-filter") {
			t.Errorf("bad filter: %d %s", rec.Code, rec.Body)
		}
	}
	if rec := e.do("REPORT", cal, `<d:expand-property xmlns:d="DAV:"/>`); rec.Code != http.StatusForbidden {
		t.Errorf("unknown report: %d", rec.Code)
	}
}

func TestAddressbookQuery(t *testing.T) {
	e := newEnv(t)
	const ab = "/contacts/easbridge/people/"
	e.put(ab+"alice.vcf", "vcf/alice.vcf")
	e.put(ab+"bob.vcf", "vcf/bob.vcf")
	e.put(ab+"carol.vcf", "vcf/carol.vcf")
	q := func(test, inner string) string {
		return `<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">
<d:prop><d:getetag/><card:address-data/></d:prop><card:filter` + test + `>` + inner + `</card:filter></card:addressbook-query>`
	}
	tests := []struct{ name, test, inner, want string }{
		{"contains any case", "", `<card:prop-filter name="FN"><card:text-match>MÜLLER</card:text-match></card:prop-filter>`, "alice"},
		{"email equals any case", "", `<card:prop-filter name="EMAIL"><card:text-match match-type="equals">bob@example.org</card:text-match></card:prop-filter>`, "bob"},
		{"starts-with", "", `<card:prop-filter name="FN"><card:text-match match-type="starts-with">bo</card:text-match></card:prop-filter>`, "bob"},
		{"ends-with", "", `<card:prop-filter name="EMAIL"><card:text-match match-type="ends-with">.ORG</card:text-match></card:prop-filter>`, "alice,bob"},
		{"across a folded line", "", `<card:prop-filter name="FN"><card:text-match>LINENAME</card:text-match></card:prop-filter>`, "carol"},
		{"escaped comma", "", `<card:prop-filter name="NOTE"><card:text-match>a, b</card:text-match></card:prop-filter>`, "carol"},
		{"param only", "", `<card:prop-filter name="TEL"><card:param-filter name="TYPE"><card:text-match>CELL</card:text-match></card:param-filter></card:prop-filter>`, "bob"},
		{"anyof", "", `<card:prop-filter name="FN"><card:text-match>alice</card:text-match></card:prop-filter><card:prop-filter name="TEL"/>`, "alice,bob"},
		{"allof two texts", ` test="allof"`, `<card:prop-filter name="FN"><card:text-match>alice</card:text-match></card:prop-filter><card:prop-filter name="EMAIL"><card:text-match>ALICE@</card:text-match></card:prop-filter>`, "alice"},
		{"allof", ` test="allof"`, `<card:prop-filter name="FN"><card:text-match>alice</card:text-match></card:prop-filter><card:prop-filter name="TEL"/>`, ""},
		{"is-not-defined", "", `<card:prop-filter name="TEL"><card:is-not-defined/></card:prop-filter>`, "alice,carol"},
		{"param", "", `<card:prop-filter name="EMAIL"><card:param-filter name="TYPE"><card:text-match>work</card:text-match></card:param-filter></card:prop-filter>`, "alice"},
		{"negate", "", `<card:prop-filter name="FN"><card:text-match negate-condition="yes">alice</card:text-match></card:prop-filter>`, "bob,carol"},
		{"empty filter", "", ``, "alice,bob,carol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseMS(t, e.do("REPORT", ab, q(tt.test, tt.inner), "Depth", "1"))
			var got []string
			for _, h := range sortedHrefs(doc) {
				got = append(got, strings.TrimSuffix(h[strings.LastIndex(h, "/")+1:], ".vcf"))
			}
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
		})
	}
	limited := `<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">
<d:prop><d:getetag/></d:prop><card:filter/><card:limit><card:nresults>1</card:nresults></card:limit></card:addressbook-query>`
	doc := parseMS(t, e.do("REPORT", ab, limited))
	if len(doc.Responses) != 2 || !strings.Contains(doc.find(t, ab).Status, "507") {
		t.Errorf("limited: %v", doc.Responses)
	}
}

func TestCalendarQueryExpand(t *testing.T) {
	e := newEnv(t)
	const cal = "/calendars/easbridge/personal/"
	e.put(cal+"recurring.ics", "ics/recurring.ics")
	e.put(cal+"allday.ics", "ics/allday.ics")
	body := `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>
<c:calendar-data><c:expand start="20260301T000000Z" end="20260401T000000Z"/></c:calendar-data></d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20260301T000000Z" end="20260401T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`
	doc := parseMS(t, e.do("REPORT", cal, body, "Depth", "1"))
	data := doc.find(t, cal+"recurring.ics").ok200(t, nsCalDAV, "calendar-data").Text
	parsed, err := decodeCalendar([]byte(data))
	if err != nil {
		t.Fatalf("expanded data does not parse: %v\n%s", err, data)
	}
	// Mondays 03-02, 03-23, 03-30 (03-16 deleted), and the override that
	// moved 03-09 to 03-10 15:00 Berlin.
	var got []string
	for _, c := range parsed.Children {
		if c.Name == ical.CompTimezone {
			t.Error("VTIMEZONE kept")
		}
		for _, banned := range []string{"RRULE", "EXDATE", "RDATE"} {
			if c.Props.Get(banned) != nil {
				t.Errorf("%s kept", banned)
			}
		}
		rid := c.Props.Get(ical.PropRecurrenceID)
		if rid == nil {
			t.Fatal("instance without RECURRENCE-ID")
		}
		got = append(got, c.Props.Get(ical.PropDateTimeStart).Value+"/"+rid.Value)
	}
	sort.Strings(got)
	want := "20260302T090000Z/20260302T090000Z 20260310T140000Z/20260309T090000Z 20260323T090000Z/20260323T090000Z 20260330T080000Z/20260330T080000Z"
	if strings.Join(got, " ") != want {
		t.Fatalf("instances %v\nwant %s", got, want)
	}
	// A non-recurring event comes back with times in UTC, unchanged.
	allday := doc.find(t, cal+"allday.ics").ok200(t, nsCalDAV, "calendar-data").Text
	if !strings.Contains(allday, "DTSTART;VALUE=DATE:20260320") || strings.Contains(allday, "RECURRENCE-ID") {
		t.Errorf("all-day event expanded to %q", allday)
	}
	bad := strings.Replace(body, ` end="20260401T000000Z"/></c:calendar-data>`, `/></c:calendar-data>`, 1)
	if rec := e.do("REPORT", cal, bad); rec.Code != http.StatusBadRequest {
		t.Errorf("expand without end: %d", rec.Code)
	}
}
