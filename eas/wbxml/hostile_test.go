package wbxml

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// hdr is the ActiveSync WBXML header.
const hdr = "\x03\x01\x6a\x00"

// hostile lists malformed documents and the error each must give.
var hostile = []struct {
	name     string
	in       string
	notWBXML bool // else a *SyntaxError
	msg      string
}{
	{"empty body", "", true, "empty body"},
	{"html page", "<html><body>Service unavailable</body></html>", true, "XML or HTML"},
	{"wbxml 1.1", "\x01\x01\x6a\x00\x45\x01", true, "version byte"},
	{"header only", hdr, false, "unexpected end"},
	{"truncated header", "\x03\x01", false, "unexpected end"},
	{"charset latin1", "\x03\x01\x04\x00\x05", false, "charset 4"},
	{"huge string table", "\x03\x01\x6a\x8f\xff\xff\xff\x7f", false, "string table"},
	{"short string table", "\x03\x01\x6a\x64ab", false, "unexpected end"},
	{"mb_u_int32 overflow", "\x03\x90\x80\x80\x80\x00", false, "overflows"},
	{"mb_u_int32 too long", "\x03\x81\x81\x81\x81\x81\x01", false, "longer than 5"},
	{"unknown code page", hdr + "\x00\x1a\x45\x01", false, "unknown code page 26"},
	{"attributes", hdr + "\xc5\x01", false, "attributes"},
	{"literal tag", hdr + "\x04\x00\x01", false, "LITERAL"},
	{"extension", hdr + "\x45\x40\x01", false, "extension"},
	{"processing instruction", hdr + "\x43\x01", false, "processing"},
	{"end first", hdr + "\x01", false, "start"},
	{"text before root", hdr + "\x03a\x00\x45\x01", false, ""},
	{"unterminated string", hdr + "\x45\x4b\x03abc", false, "unexpected end"},
	{"unclosed root", hdr + "\x45\x4b\x031\x00\x01", false, "unexpected end"},
	{"huge opaque claim", hdr + "\x45\x4b\xc3\x8f\xff\xff\xff\x7fab", false, ""},
	{"opaque truncated", hdr + "\x45\x4b\xc3\x10ab", false, "unexpected end"},
	{"string table ref outside", hdr + "\x45\x4b\x83\x05\x01\x01", false, "string table"},
	{"entity not unicode", hdr + "\x45\x4b\x02\x8f\xff\xff\xff\x7f\x01\x01", false, "entity"},
	{"entity surrogate", hdr + "\x45\x4b\x02\x83\xb0\x00\x01\x01", false, "entity"},
	{"deep nesting", hdr + strings.Repeat("\x4f", 100), false, "nested deeper"},
	{"switch page truncated", hdr + "\x45\x00", false, "unexpected end"},
}

func checkHostileErr(t *testing.T, err error, notWBXML bool, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var se *SyntaxError
	switch {
	case notWBXML && !errors.Is(err, ErrNotWBXML):
		t.Fatalf("error %v does not match ErrNotWBXML", err)
	case !notWBXML && !errors.As(err, &se):
		t.Fatalf("error %v (%T) is not a *SyntaxError", err, err)
	case !strings.Contains(err.Error(), msg):
		t.Fatalf("error %q does not mention %q", err, msg)
	}
}

func TestHostileParse(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			n, err := Parse(strings.NewReader(c.in))
			if n != nil {
				t.Errorf("Parse returned a tree with error %v", err)
			}
			checkHostileErr(t, err, c.notWBXML, c.msg)
		})
	}
}

// TestHostileWalk feeds the same documents to the streaming API, copying
// every leaf's text to io.Discard, and checks errors are sticky.
func TestHostileWalk(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(strings.NewReader(c.in))
			err := copyWalk(d)
			checkHostileErr(t, err, c.notWBXML, "")
			if _, _, again := d.Child(); again == nil || again.Error() != err.Error() {
				t.Errorf("error not sticky: %v then %v", err, again)
			}
		})
	}
}

// copyWalk walks a document, streaming each element's text away where it
// has no children.
func copyWalk(d *Decoder) error {
	if _, err := d.Root(); err != nil {
		return err
	}
	var walk func() error
	walk = func() error {
		for {
			_, ok, err := d.Child()
			if err != nil || !ok {
				return err
			}
			if err := walk(); err != nil {
				return err
			}
		}
	}
	return walk()
}

func TestEmptyBodyIsEOF(t *testing.T) {
	_, err := NewDecoder(bytes.NewReader(nil)).Root()
	if !errors.Is(err, io.EOF) || !errors.Is(err, ErrNotWBXML) {
		t.Fatalf("Root on an empty body = %v, want ErrNotWBXML and io.EOF", err)
	}
}

func TestSyntaxErrorOffset(t *testing.T) {
	_, err := Parse(strings.NewReader(hdr + "\x45\x00\x1a"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 7 {
		t.Fatalf("err = %v, want a SyntaxError at offset 7", err)
	}
}

// TestClaimedLengthsCostNothing checks that lengths claimed by the input
// (opaque data, string table) do not allocate memory before the bytes
// arrive, and that MaxString bounds what Text holds.
func TestClaimedLengthsCostNothing(t *testing.T) {
	docs := []string{
		hdr + "\x45\x4b\xc3\x8f\xff\xff\xff\x7fab",
		hdr + "\x45\x4b\xc3\x83\xff\xff\xff\x7fab", // 1 GiB claim, under no limit for CopyText
		"\x03\x01\x6a\x8f\xff\xff\xff\x7f",
	}
	for _, doc := range docs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			_, _ = Parse(strings.NewReader(doc))
			d := NewDecoder(strings.NewReader(doc))
			if _, err := d.Root(); err == nil {
				if _, _, err := d.Child(); err == nil {
					_, _ = d.CopyText(io.Discard)
				}
			}
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
			t.Errorf("decoding %q allocated %d bytes", doc[:12], grew)
		}
	}
	d := NewDecoder(strings.NewReader(hdr + "\x45\x4b\x03" + strings.Repeat("x", 100) + "\x00\x01\x01"))
	d.MaxString = 50
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Child(); err != nil {
		t.Fatal(err)
	}
	var se *SyntaxError
	if _, err := d.Text(); !errors.As(err, &se) {
		t.Fatalf("Text beyond MaxString = %v, want a SyntaxError", err)
	}
}

func TestMaxDepth(t *testing.T) {
	doc := hdr + strings.Repeat("\x4f", 10) + strings.Repeat("\x01", 10)
	if _, err := Parse(strings.NewReader(doc)); err != nil {
		t.Fatalf("depth 10: %v", err)
	}
	d := NewDecoder(strings.NewReader(doc))
	d.MaxDepth = 5
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	var se *SyntaxError
	if err := d.Skip(); !errors.As(err, &se) {
		t.Fatalf("Skip past MaxDepth = %v, want a SyntaxError", err)
	}
}

func TestTextOfContainerIsError(t *testing.T) {
	d := NewDecoder(bytes.NewReader(specContact))
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Text(); err == nil {
		t.Fatal("Text of Sync (a container) succeeded")
	}
}

// TestUnknownTokenSkipped: a token the table does not name, on a known
// page, decodes as a tag of its own and can be skipped, so a server that
// adds elements to a page does not break older readers.
func TestUnknownTokenSkipped(t *testing.T) {
	// <AirSync:Sync><Page4:0x2B>x</><AirSync:SyncKey>1</></>
	doc := hdr + "\x45\x00\x04\x6b\x03x\x00\x01\x00\x00\x4b\x031\x00\x01\x01"
	d := NewDecoder(strings.NewReader(doc))
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	tag, ok, err := d.Child()
	if err != nil || !ok || tag != Tag(0x042B) {
		t.Fatalf("Child = %v %v %v, want Page4:0x2B", tag, ok, err)
	}
	if err := d.Skip(); err != nil {
		t.Fatal(err)
	}
	tag, ok, err = d.Child()
	if err != nil || !ok || tag != AirSyncSyncKey {
		t.Fatalf("Child = %v %v %v, want AirSync:SyncKey", tag, ok, err)
	}
	if s, err := d.Text(); err != nil || s != "1" {
		t.Fatalf("Text = %q %v", s, err)
	}
}
