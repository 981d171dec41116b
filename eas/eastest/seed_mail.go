package eastest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// person is a sender or recipient of the sample mail.
type person struct{ name, addr string }

var (
	demoUser = person{"Demo User", "demo@example.test"}
	senders  = []person{
		{"Zoë Ämmerli", "zoe@example.test"},
		{"José Núñez", "jose@example.test"},
		{"Åsa Öberg", "asa@example.test"},
		{"李雷", "li.lei@example.test"},
		{"Михаил Петров", "mikhail@example.test"},
		{"Chloé Dubois", "chloe@example.test"},
		{"IT Help Desk", "helpdesk@example.test"},
	}
	subjects = []string{
		"Q3 numbers – draft for Thursday",
		"Re: Design review: sync engine",
		"Fika på fredag? ☕",
		"项目进度更新",
		"Отчёт за неделю",
		"Votre inscription à la conférence est confirmée",
		"Password expiry notice",
		"Photos from the offsite 📷",
		"Re: Re: lunch tomorrow?",
		"Invoice 2026-0412",
		"Quick question about the API",
		"Über die neue Urlaubsregelung",
	}
)

// sampleAttachment is a file attached to some sample mails.
type sampleAttachment struct {
	name, ctype string
	data        []byte
}

func sampleAttachments() []sampleAttachment {
	return []sampleAttachment{
		{"Q3-Zahlen_Übersicht.csv", "text/csv", []byte("Monat;Umsatz;Kosten\nJuli;120000;80000\nAugust;95000;70000\nSeptember;134000;81000\n")},
		{"offsite.jpg", "image/jpeg", samplePhoto()},
		{"notes.txt", "text/plain", []byte("Remember: the bridge keeps everything on loopback.\n")},
	}
}

// seedMail puts the sample mails into the Inbox and Sent Items and
// returns how many.
func (s *Server) seedMail(userName string, now time.Time) (int, error) {
	atts := sampleAttachments()
	n := 0
	for i := 0; i < 30; i++ {
		from := senders[i%len(senders)]
		subject := subjects[i%len(subjects)]
		if i >= len(subjects) {
			subject = fmt.Sprintf("%s (#%d)", subject, i/len(subjects)+1)
		}
		body := fmt.Sprintf("Hallo %s,\n\nthis is sample message %d of the easbridge demo, from %s.\n"+
			"Grüße, saludos, 你好, привет.\n\n-- \n%s\n", demoUser.name, i+1, from.name, from.name)
		var att []sampleAttachment
		if i%4 == 1 {
			att = atts[(i/4)%len(atts) : (i/4)%len(atts)+1]
		}
		msg := sampleMail(from, demoUser, subject, body, now.Add(-time.Duration(i)*7*time.Hour), i, att)
		if _, err := s.deliverSample(userName, TypeInbox, msg, i > 5 && i%3 != 0); err != nil {
			return n, fmt.Errorf("eastest: seeding mail %d: %w", i, err)
		}
		n++
	}
	for i := 0; i < 4; i++ {
		to := senders[(i+2)%len(senders)]
		msg := sampleMail(demoUser, to, "Re: "+subjects[i], "Thanks, sounds good – see you then.\n", now.Add(-time.Duration(i)*11*time.Hour), 100+i, nil)
		if _, err := s.deliverSample(userName, TypeSentItems, msg, true); err != nil {
			return n, fmt.Errorf("eastest: seeding sent mail %d: %w", i, err)
		}
		n++
	}
	return n, nil
}

// deliverSample stores msg in the user's folder of type typ.
func (s *Server) deliverSample(userName string, typ int, msg []byte, read bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil {
		return "", fmt.Errorf("eastest: user %q: %w", userName, ErrNotFound)
	}
	return s.deliverLocked(u, typ, msg, read)
}

// DemoMail returns the n-th mail a demo delivers from the server side to
// show push: a short message dated now.
func DemoMail(now time.Time, n int) []byte {
	from := senders[n%len(senders)]
	body := fmt.Sprintf("This message arrived on the demo server at %s and was pushed to your Maildir and IMAP.\n", now.Format("15:04:05"))
	return sampleMail(from, demoUser, fmt.Sprintf("New mail #%d from the demo server", n), body, now, 1000+n, nil)
}

// sampleMail builds an RFC 5322 message: UTF-8 text (quoted-printable),
// RFC 2047 encoded names and subject, and the attachments (base64, RFC
// 2231 file names) in a multipart/mixed when there are any.
func sampleMail(from, to person, subject, body string, date time.Time, n int, atts []sampleAttachment) []byte {
	var b bytes.Buffer
	addr := func(p person) string { return mime.QEncoding.Encode("utf-8", p.name) + " <" + p.addr + ">" }
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <sample-%d-%d@easbridge.test>\r\nMIME-Version: 1.0\r\n",
		addr(from), addr(to), mime.QEncoding.Encode("utf-8", subject), date.Format(time.RFC1123Z), n, date.Unix())
	text := func() {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		qp := quotedprintable.NewWriter(&b)
		_, _ = qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
		_ = qp.Close()
		b.WriteString("\r\n")
	}
	if len(atts) == 0 {
		text()
		return b.Bytes()
	}
	boundary := fmt.Sprintf("=_sample_%d", n)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n--%s\r\n", boundary, boundary)
	text()
	for _, a := range atts {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: %s\r\n\r\n",
			boundary, a.ctype, mime.FormatMediaType("attachment", map[string]string{"filename": a.name}))
		enc := base64.StdEncoding.EncodeToString(a.data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// SeedBulk adds n generated items to the user's default folders, for
// memory and start-up measurements: seven in ten mails in the Inbox, two
// in ten events in the Calendar, one in ten contacts.
func (s *Server) SeedBulk(userName string, now time.Time, n int) error {
	cal, contacts := s.FolderID(userName, TypeCalendar), s.FolderID(userName, TypeContacts)
	for i := 0; i < n; i++ {
		var err error
		switch i % 10 {
		case 0, 1:
			start := now.Add(time.Duration(i-n/2) * time.Hour)
			_, err = s.AddItem(userName, cal, meeting(time.UTC, start, time.Hour, fmt.Sprintf("Bulk event %d", i), fmt.Sprintf("bulk-%d@easbridge.test", i)))
		case 2:
			_, err = s.AddItem(userName, contacts, &eas.Contact{FirstName: "Bulk", LastName: fmt.Sprintf("Contact %d", i),
				Email1Address: fmt.Sprintf("bulk%d@example.test", i), MobilePhoneNumber: fmt.Sprintf("+1 555 %07d", i)})
		default:
			from := senders[i%len(senders)]
			body := strings.Repeat(fmt.Sprintf("Bulk message %d, a line of ordinary text to give it a body. ", i), 8) + "\n"
			_, err = s.deliverSample(userName, TypeInbox, sampleMail(from, demoUser, fmt.Sprintf("Bulk mail %d", i), body, now.Add(-time.Duration(i)*time.Minute), i, nil), i%2 == 0)
		}
		if err != nil {
			return fmt.Errorf("eastest: bulk item %d: %w", i, err)
		}
	}
	return nil
}
