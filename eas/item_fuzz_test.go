package eas

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// FuzzDecodeItem feeds arbitrary documents to DecodeItem for every class:
// it must never panic, and an item it accepts must survive a server-side
// encode and decode unchanged.
func FuzzDecodeItem(f *testing.F) {
	for _, it := range []Item{fullEvent(), fullContact(), fullTask(), fullNote(), fullEmail()} {
		f.Add(encodeAppData(f, it, V161, true), uint8(0))
		f.Add(encodeAppData(f, it, V141, true), uint8(1))
	}
	dir := f.TempDir()
	classes := []Class{ClassEmail, ClassCalendar, ClassContacts, ClassTasks, ClassNotes}
	f.Fuzz(func(t *testing.T, doc []byte, sel uint8) {
		class := classes[int(sel)%len(classes)]
		v := SupportedVersions[int(sel/8)%len(SupportedVersions)]
		d := wbxml.NewDecoder(bytes.NewReader(doc))
		d.MaxString = 1 << 20
		if _, err := d.Root(); err != nil {
			return
		}
		it, err := DecodeItemWith(d, class, v, DecodeOptions{SpoolThreshold: 64, SpoolDir: dir})
		if it != nil {
			defer ReleaseItem(it)
		}
		if err != nil {
			return
		}
		var buf bytes.Buffer
		e := wbxml.NewEncoder(&buf)
		e.Start(wbxml.AirSyncApplicationData)
		if err := EncodeItemAsServer(e, it, v); err != nil {
			t.Fatal(err)
		}
		e.End()
		if err := e.Close(); err != nil {
			return // e.g. a NUL inside a decoded string cannot go out inline
		}
		d2 := wbxml.NewDecoder(&buf)
		if _, err := d2.Root(); err != nil {
			t.Fatal(err)
		}
		again, err := DecodeItemWith(d2, class, v, DecodeOptions{SpoolThreshold: 64, SpoolDir: dir})
		if again != nil {
			defer ReleaseItem(again)
		}
		if err != nil {
			t.Fatalf("own output refused: %v", err)
		}
		// A third pass must equal the second (the first may hold elements
		// this version does not send).
		var buf2 bytes.Buffer
		e2 := wbxml.NewEncoder(&buf2)
		e2.Start(wbxml.AirSyncApplicationData)
		EncodeItemAsServer(e2, again, v)
		e2.End()
		if err := e2.Close(); err != nil {
			t.Fatal(err)
		}
		d3 := wbxml.NewDecoder(&buf2)
		d3.Root()
		third, err := DecodeItemWith(d3, class, v, DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer ReleaseItem(third)
		normalize(t, reflect.ValueOf(again))
		normalize(t, reflect.ValueOf(third))
		if !reflect.DeepEqual(again, third) {
			t.Fatalf("not stable:\n%+v\n%+v", again, third)
		}
	})
}
