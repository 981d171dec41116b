package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// davDo sends one DAV request as the demo user and returns the status
// and body.
func davDo(t *testing.T, method, url, password, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(demoUser, password)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const calendarQuery = `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><d:getetag/><c:calendar-data/></d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>`

const cardQuery = `<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">
<d:prop><d:getetag/><card:address-data/></d:prop></card:addressbook-query>`

// TestDemo starts the demo on free ports, reads the seeded calendar and
// address book over DAV, checks that a server-side change is pushed to
// it and that a PUT reaches the sample server.
func TestDemo(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	var srv *eastest.Server
	var seeded *eastest.Seeded
	demoStarted = func(s *eastest.Server, sd *eastest.Seeded) { srv, seeded = s, sd }
	defer func() { demoStarted = nil }()
	dir := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--dir", dir, "--port", "0", "--imap-port", "0", "--smtp-port", "-1", "--changes", "0"}, &out, &errOut)
	}()
	var base, password string
	settings := regexp.MustCompile(`(?m)server \(discovery\)\s+(\S+)$[\s\S]*^\s+password\s+(\S+)$`)
	waitUntil(t, "the demo settings", func() bool {
		m := settings.FindStringSubmatch(out.String())
		if m == nil || !strings.Contains(out.String(), "Press Ctrl-C") {
			return false
		}
		base, password = m[1], m[2]
		return true
	})
	if !strings.Contains(out.String(), "IMAP ") || strings.Contains(out.String(), "SMTP ") {
		t.Errorf("settings should list IMAP and not SMTP (off):\n%s", out.String())
	}
	calendar := base + "calendars/demo/calendar/"
	var ics string
	waitUntil(t, "the seeded events over CalDAV", func() bool {
		code, body := davDo(t, "REPORT", calendar, password, calendarQuery, map[string]string{"Depth": "1", "Content-Type": "application/xml"})
		ics = body
		return code == 207 && strings.Count(body, "BEGIN:VEVENT") >= seeded.Events
	})
	for _, want := range []string{"Team stand-up", "RRULE:", "RECURRENCE-ID", "ATTENDEE", "Zoë", "VALUE=DATE", "Conférence Go à Lyon"} {
		if !strings.Contains(ics, want) {
			t.Errorf("calendar lacks %q", want)
		}
	}
	var vcf string
	waitUntil(t, "the seeded contacts over CardDAV", func() bool {
		code, body := davDo(t, "REPORT", base+"contacts/demo/contacts/", password, cardQuery, map[string]string{"Depth": "1", "Content-Type": "application/xml"})
		vcf = body
		return code == 207 && strings.Count(body, "BEGIN:VCARD") == seeded.Contacts
	})
	for _, want := range []string{"PHOTO", "Ämmerli", "TEL", "李"} {
		if !strings.Contains(vcf, want) {
			t.Errorf("address book lacks %q", want)
		}
	}
	if code, _ := davDo(t, "PROPFIND", calendar, password, "", map[string]string{"Depth": "1"}); code != 207 {
		t.Errorf("PROPFIND calendar: %d", code)
	}

	// Server to desktop: a change on the sample server is pushed.
	if err := demoChange(srv, seeded, time.Now(), 1); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the pushed change over CalDAV", func() bool {
		_, body := davDo(t, "REPORT", calendar, password, calendarQuery, map[string]string{"Depth": "1", "Content-Type": "application/xml"})
		return strings.Contains(body, "moved by the server (change 1)")
	})
	waitUntil(t, "the pushed mail in the Maildir", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "Mail", "new", "*"))
		c, _ := filepath.Glob(filepath.Join(dir, "Mail", "cur", "*"))
		return len(m)+len(c) > 30
	})

	// Desktop to server: a PUT reaches the sample server.
	put := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:demo-put-1\r\nDTSTAMP:20260301T000000Z\r\n" +
		"DTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nSUMMARY:Written by a DAV client\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if code, body := davDo(t, "PUT", calendar+"demo-put-1.ics", password, put, map[string]string{"Content-Type": "text/calendar"}); code != 201 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	waitUntil(t, "the PUT event on the sample server", func() bool {
		for _, id := range srv.ItemIDs(demoUser, seeded.Calendar) {
			if it, err := srv.Item(demoUser, seeded.Calendar, id); err == nil {
				if ev, ok := it.(*eas.Event); ok && ev.Subject == "Written by a DAV client" {
					return true
				}
			}
		}
		return false
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d: %s", code, errOut.String())
	}
	if strings.Contains(errOut.String(), password) {
		t.Error("the log holds the DAV password")
	}
	if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
		t.Errorf("a --dir demo keeps its directory: %v", err)
	}
}

// TestDemoRefusesForeignDir keeps the demo from clearing a directory it
// did not make.
func TestDemoRefusesForeignDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut lockedBuffer
	if code := run(context.Background(), []string{"demo", "--dir", dir, "--port", "0"}, &out, &errOut); code == 0 {
		t.Fatal("demo accepted a foreign directory")
	}
	if !strings.Contains(errOut.String(), "not made by a demo") {
		t.Errorf("message: %s", errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "precious.txt")); err != nil {
		t.Error(err)
	}
}
