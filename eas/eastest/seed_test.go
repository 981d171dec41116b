package eastest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// TestSeed checks the sample mailbox: counts, a recurring meeting with a
// moved and a cancelled occurrence, a contact with a photo, and mails
// that parse with their non-ASCII subjects and attachments intact.
func TestSeed(t *testing.T) {
	srv := New(Config{})
	if err := srv.AddUser(User{Name: "demo"}); err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zoneinfo:", err)
	}
	sd, err := srv.Seed("demo", time.Date(2026, 11, 18, 10, 0, 0, 0, berlin), berlin)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2]int{
		"inbox":    {sd.Mails - 4, len(srv.ItemIDs("demo", srv.FolderID("demo", TypeInbox)))},
		"sent":     {4, len(srv.ItemIDs("demo", srv.FolderID("demo", TypeSentItems)))},
		"events":   {sd.Events, len(srv.ItemIDs("demo", sd.Calendar))},
		"tasks":    {sd.Tasks, len(srv.ItemIDs("demo", srv.FolderID("demo", TypeTasks)))},
		"contacts": {sd.Contacts, len(srv.ItemIDs("demo", srv.FolderID("demo", TypeContacts)))},
	} {
		if c[0] != c[1] || c[0] == 0 {
			t.Errorf("%s: seeded %d, server holds %d", name, c[0], c[1])
		}
	}
	var recurring, allDay int
	for _, id := range srv.ItemIDs("demo", sd.Calendar) {
		it, err := srv.Item("demo", sd.Calendar, id)
		if err != nil {
			t.Fatal(err)
		}
		ev := it.(*eas.Event)
		if ev.Recurrence != nil && len(ev.Exceptions) == 2 && len(ev.Attendees) >= 3 {
			recurring++
		}
		if ev.AllDayEvent {
			allDay++
		}
	}
	if recurring != 1 || allDay < 2 {
		t.Errorf("recurring meetings with exceptions %d, all-day events %d", recurring, allDay)
	}
	if pe, err := srv.Item("demo", sd.Calendar, sd.PushEvent); err != nil || pe.(*eas.Event).UID != pushEventUID {
		t.Errorf("push event: %v %v", pe, err)
	}
	photos := 0
	contacts := srv.FolderID("demo", TypeContacts)
	for _, id := range srv.ItemIDs("demo", contacts) {
		it, _ := srv.Item("demo", contacts, id)
		if p := it.(*eas.Contact).Picture; len(p) > 0 && bytes.HasPrefix(p, []byte{0xff, 0xd8}) {
			photos++
		}
	}
	if photos != 1 {
		t.Errorf("contacts with a JPEG photo: %d", photos)
	}
	inbox := srv.FolderID("demo", TypeInbox)
	var attachments, nonASCII int
	dec := new(mime.WordDecoder)
	for _, id := range srv.ItemIDs("demo", inbox) {
		m, err := mail.ReadMessage(bytes.NewReader(srv.MIME("demo", inbox, id)))
		if err != nil {
			t.Fatalf("mail %s: %v", id, err)
		}
		subj, err := dec.DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsFunc(subj, func(r rune) bool { return r > 127 }) {
			nonASCII++
		}
		mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
		if mt != "multipart/mixed" {
			continue
		}
		r := multipart.NewReader(m.Body, params["boundary"])
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.FileName() != "" {
				attachments++
			}
		}
	}
	if attachments < 5 || nonASCII < 5 {
		t.Errorf("mails with attachments %d, with non-ASCII subjects %d", attachments, nonASCII)
	}
}

// TestSeedBulk makes the requested number of items.
func TestSeedBulk(t *testing.T) {
	srv := New(Config{})
	if err := srv.AddUser(User{Name: "bulk"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SeedBulk("bulk", time.Now(), 100); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, typ := range []int{TypeInbox, TypeCalendar, TypeContacts} {
		n += len(srv.ItemIDs("bulk", srv.FolderID("bulk", typ)))
	}
	if n != 100 {
		t.Errorf("%d items, want 100", n)
	}
}
