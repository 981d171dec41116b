package eas

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// meeting returns a meeting with 10 attendees and 20 exceptions.
func meeting() *Event {
	ev := fullEvent()
	ev.Attendees = nil
	for i := range 10 {
		ev.Attendees = append(ev.Attendees, Attendee{Email: fmt.Sprintf("a%d@example.net", i), Name: fmt.Sprintf("Attendee %d", i), Status: ResponseAccepted, Type: AttendeeRequired})
	}
	ex := ev.Exceptions[0]
	ev.Exceptions = nil
	for i := range 20 {
		x := ex
		x.ExceptionStartTime = t3.AddDate(0, 0, 7*i)
		x.InstanceID = x.ExceptionStartTime
		ev.Exceptions = append(ev.Exceptions, x)
	}
	return ev
}

func benchDecode(b *testing.B, it Item, v Version) {
	doc := encodeAppData(b, it, v, true)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		d := wbxml.NewDecoder(bytes.NewReader(doc))
		d.Root()
		got, err := DecodeItem(d, it.Class(), v)
		if err != nil {
			b.Fatal(err)
		}
		ReleaseItem(got)
	}
}

func benchEncode(b *testing.B, it Item, v Version) {
	b.SetBytes(int64(len(encodeAppData(b, it, v, true))))
	b.ReportAllocs()
	for b.Loop() {
		e := wbxml.NewEncoder(io.Discard)
		e.Start(wbxml.AirSyncApplicationData)
		if err := EncodeItemAsServer(e, it, v); err != nil {
			b.Fatal(err)
		}
		e.End()
		if err := e.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func photoContact() *Contact {
	c := fullContact()
	c.Picture = bytes.Repeat([]byte{0xff, 0xd8, 1, 2, 3}, 50<<10/5)
	return c
}

func BenchmarkDecodeMeeting(b *testing.B)         { benchDecode(b, meeting(), V161) }
func BenchmarkEncodeMeeting(b *testing.B)         { benchEncode(b, meeting(), V161) }
func BenchmarkDecodeContact50KPhoto(b *testing.B) { benchDecode(b, photoContact(), V141) }
func BenchmarkEncodeContact50KPhoto(b *testing.B) { benchEncode(b, photoContact(), V141) }
func BenchmarkDecodeEmail(b *testing.B)           { benchDecode(b, fullEmail(), V141) }

// BenchmarkDecodeSpooledMIME decodes an 8 MiB MIME body, which goes to a
// spool file: allocations stay bounded by the spool threshold.
func BenchmarkDecodeSpooledMIME(b *testing.B) {
	m := &Email{Body: NewBody(BodyMIME, bytes.Repeat([]byte("0123456789abcde\n"), 8<<20/16))}
	benchDecode(b, m, V141)
}
