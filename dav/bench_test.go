package dav

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The benchmark data set mirrors the one of issue 3: a calendar of 10,000
// events, one in twenty recurring weekly without end, and 5,000 contacts.
const (
	benchEvents   = 10000
	benchContacts = 5000
)

var (
	benchOnce sync.Once
	benchH    *Handler
	benchB    *fakeBackend
)

func benchEvent(i int) string {
	start := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 103 * time.Minute)
	dates := fmt.Sprintf("DTSTART:%s\r\nDTEND:%s\r\n",
		start.Format("20060102T150405Z"), start.Add(45*time.Minute).Format("20060102T150405Z"))
	if i%20 == 0 {
		// Recurring ones are in a named zone, as desktop clients write them.
		dates = fmt.Sprintf("DTSTART;TZID=Europe/Berlin:%s\r\nDTEND;TZID=Europe/Berlin:%s\r\nRRULE:FREQ=WEEKLY;BYDAY=%s\r\n",
			start.Format("20060102T150405"), start.Add(45*time.Minute).Format("20060102T150405"),
			[]string{"MO", "TU", "WE", "TH", "FR"}[i%5])
	}
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easbridge//bench//EN\r\nBEGIN:VEVENT\r\n"+
		"UID:ev-%d@bench\r\nDTSTAMP:20250101T000000Z\r\n%s"+
		"SUMMARY:Meeting number %d about the quarterly planning\r\nLOCATION:Room %d\r\n"+
		"DESCRIPTION:Agenda: review\\, decide\\, follow up.\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		i, dates, i, i%40)
}

func benchCard(i int) string {
	return fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-%d@bench\r\nFN:Person %d Example\r\n"+
		"N:Example;Person %d;;;\r\nEMAIL;TYPE=WORK:person%d@example.org\r\nTEL;TYPE=CELL:+49 170 %07d\r\nEND:VCARD\r\n", i, i, i, i, i)
}

func benchSetup(b *testing.B) (*Handler, *fakeBackend) {
	benchOnce.Do(func() {
		benchB = newFakeBackend(
			Collection{ID: "big", Kind: KindEvents, DisplayName: "Big"},
			Collection{ID: "people", Kind: KindContacts},
		)
		ctx := context.Background()
		for i := 0; i < benchEvents; i++ {
			in, err := validateCalendar([]byte(benchEvent(i)), KindEvents)
			if err != nil {
				panic(err)
			}
			if _, _, err := benchB.PutObject(ctx, "big", fmt.Sprintf("ev-%d.ics", i), in, Conditions{}); err != nil {
				panic(err)
			}
		}
		for i := 0; i < benchContacts; i++ {
			in, err := validateCard([]byte(benchCard(i)))
			if err != nil {
				panic(err)
			}
			if _, _, err := benchB.PutObject(ctx, "people", fmt.Sprintf("c-%d.vcf", i), in, Conditions{}); err != nil {
				panic(err)
			}
		}
		var err error
		benchH, err = NewHandler(Config{Backend: benchB, User: testUser, Password: testPass})
		if err != nil {
			panic(err)
		}
	})
	return benchH, benchB
}

// discard is a ResponseWriter that counts bytes and keeps none.
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func benchRequest(b *testing.B, h *Handler, method, path, body string, want int, headers ...string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var bytes int
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
		req.SetBasicAuth(testUser, testPass)
		for j := 0; j+1 < len(headers); j += 2 {
			req.Header.Set(headers[j], headers[j+1])
		}
		w := &discard{h: http.Header{}, code: http.StatusOK}
		h.ServeHTTP(w, req)
		if w.code != want {
			b.Fatalf("%s %s: status %d, want %d", method, path, w.code, want)
		}
		bytes = w.n
	}
	b.ReportMetric(float64(bytes), "resp-bytes")
	// CPU time per request: the machine the benchmarks run on is shared,
	// so wall time (ns/op) moves with the load while this barely does.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkPropfindDepth1(b *testing.B) {
	h, _ := benchSetup(b)
	body := `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/><d:resourcetype/></d:prop></d:propfind>`
	benchRequest(b, h, "PROPFIND", "/calendars/easbridge/big/", body, http.StatusMultiStatus, "Depth", "1")
}

func BenchmarkPropfindDepth1Contacts(b *testing.B) {
	h, _ := benchSetup(b)
	body := `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/><d:resourcetype/></d:prop></d:propfind>`
	benchRequest(b, h, "PROPFIND", "/contacts/easbridge/people/", body, http.StatusMultiStatus, "Depth", "1")
}

func BenchmarkCalendarQueryMonth(b *testing.B) {
	h, _ := benchSetup(b)
	body := strings.Replace(calQuery("VEVENT", "20250601T000000Z", "20250701T000000Z"),
		"<d:getetag/>", "<d:getetag/><c:calendar-data/>", 1)
	benchRequest(b, h, "REPORT", "/calendars/easbridge/big/", body, http.StatusMultiStatus, "Depth", "1")
}

func BenchmarkCalendarMultiget100(b *testing.B) {
	h, _ := benchSetup(b)
	var hrefs strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&hrefs, "<d:href>/calendars/easbridge/big/ev-%d.ics</d:href>", i*97)
	}
	body := `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>` +
		hrefs.String() + `</c:calendar-multiget>`
	benchRequest(b, h, "REPORT", "/calendars/easbridge/big/", body, http.StatusMultiStatus, "Depth", "1")
}

func BenchmarkSyncCollectionInitial(b *testing.B) {
	h, _ := benchSetup(b)
	benchRequest(b, h, "REPORT", "/calendars/easbridge/big/", syncReq(""), http.StatusMultiStatus)
}

func BenchmarkSyncCollectionAfterOneChange(b *testing.B) {
	h, fb := benchSetup(b)
	c, _ := fb.Collection(context.Background(), "big")
	token := c.SyncToken
	in, _ := validateCalendar([]byte(benchEvent(5)), KindEvents)
	if _, _, err := fb.PutObject(context.Background(), "big", "ev-5.ics", in, Conditions{}); err != nil {
		b.Fatal(err)
	}
	benchRequest(b, h, "REPORT", "/calendars/easbridge/big/", syncReq(token), http.StatusMultiStatus)
}

func BenchmarkPut(b *testing.B) {
	h, _ := benchSetup(b)
	body := benchEvent(20) // a recurring one
	benchRequest(b, h, "PUT", "/calendars/easbridge/big/ev-20.ics", body, http.StatusNoContent)
}

func BenchmarkAddressbookQuery(b *testing.B) {
	h, _ := benchSetup(b)
	body := `<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop>
<card:filter><card:prop-filter name="EMAIL"><card:text-match>PERSON42@</card:text-match></card:prop-filter></card:filter></card:addressbook-query>`
	benchRequest(b, h, "REPORT", "/contacts/easbridge/people/", body, http.StatusMultiStatus, "Depth", "1")
}
