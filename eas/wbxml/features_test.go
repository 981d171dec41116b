package wbxml

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestContentPieces checks that inline strings, opaque data, entities
// and string table references are concatenated, with SWITCH_PAGE allowed
// between them and before END.
func TestContentPieces(t *testing.T) {
	doc := "\x03\x01\x6a\x04x\x00y\x00" + // string table "x\0y\0"
		"\x45\x4b" + // Sync, SyncKey
		"\x03ab\x00\xc3\x02cd\x02\x41\x00\x11\x03e\x00\x83\x02" + // "ab" opaque"cd" &#65; page 17 "e" strtbl"y"
		"\x00\x11\x01" + // redundant SWITCH_PAGE, END SyncKey
		"\x00\x00\x03stray\x00\x4e\x031\x00\x01\x01" // back to page 0, stray text, Status "1"
	for _, copyText := range []bool{false, true} {
		d := NewDecoder(strings.NewReader(doc))
		if tag, err := d.Root(); err != nil || tag != AirSyncSync {
			t.Fatalf("Root = %v, %v", tag, err)
		}
		if tag, ok, err := d.Child(); err != nil || !ok || tag != AirSyncSyncKey {
			t.Fatalf("Child = %v, %v, %v", tag, ok, err)
		}
		var got string
		if copyText {
			var buf bytes.Buffer
			n, err := d.CopyText(&buf)
			if err != nil || n != int64(buf.Len()) {
				t.Fatalf("CopyText = %d, %v", n, err)
			}
			got = buf.String()
		} else {
			var err error
			if got, err = d.Text(); err != nil {
				t.Fatal(err)
			}
		}
		if got != "abcdAey" {
			t.Errorf("text = %q, want %q", got, "abcdAey")
		}
		if tag, ok, err := d.Child(); err != nil || !ok || tag != AirSyncStatus {
			t.Fatalf("Child after stray text = %v, %v, %v", tag, ok, err)
		}
		if s, err := d.Text(); err != nil || s != "1" {
			t.Fatalf("Status = %q, %v", s, err)
		}
		if _, ok, err := d.Child(); ok || err != nil {
			t.Fatalf("end of root: %v %v", ok, err)
		}
		if d.Offset() != int64(len(doc)) {
			t.Errorf("Offset = %d, want %d", d.Offset(), len(doc))
		}
	}
}

func TestPublicIDInStringTable(t *testing.T) {
	doc := "\x03\x00\x00\x6a\x0b-//AIRSYNC\x00\x05" // public id as string table index 0; empty root
	n, err := Parse(strings.NewReader(doc))
	if err != nil || n.Tag != AirSyncSync || len(n.Children) != 0 {
		t.Fatalf("Parse = %+v, %v", n, err)
	}
}

func TestEmptyElements(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.Start(FolderHierarchyFolderSync)
	e.Element(FolderHierarchySyncKey, "")
	e.Empty(FolderHierarchyChanges)
	e.Start(FolderHierarchyCount)
	e.Text("")
	e.End()
	e.End()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	want := hdr + "\x00\x07\x56\x12\x0e\x17\x01"
	if buf.String() != want {
		t.Fatalf("got %X, want %X", buf.Bytes(), want)
	}
	d := NewDecoder(&buf)
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []Tag{FolderHierarchySyncKey, FolderHierarchyChanges, FolderHierarchyCount} {
		tag, ok, err := d.Child()
		if err != nil || !ok || tag != want {
			t.Fatalf("Child = %v %v %v, want %v", tag, ok, err, want)
		}
		switch want {
		case FolderHierarchySyncKey:
			if s, err := d.Text(); s != "" || err != nil {
				t.Fatalf("Text of empty = %q, %v", s, err)
			}
		case FolderHierarchyChanges:
			if _, ok, err := d.Child(); ok || err != nil {
				t.Fatalf("Child of empty = %v, %v", ok, err)
			}
		default:
			if err := d.Skip(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, ok, err := d.Child(); ok || err != nil {
		t.Fatalf("end: %v %v", ok, err)
	}
}

func TestSkip(t *testing.T) {
	d := NewDecoder(bytes.NewReader(specContact))
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	if tag, _, _ := d.Child(); tag != AirSyncCollections {
		t.Fatalf("got %v", tag)
	}
	if tag, _, _ := d.Child(); tag != AirSyncCollection {
		t.Fatalf("got %v", tag)
	}
	if tag, _, _ := d.Child(); tag != AirSyncClass {
		t.Fatalf("got %v", tag)
	}
	if err := d.Skip(); err != nil { // Class, a leaf
		t.Fatal(err)
	}
	if err := d.Skip(); err != nil { // the rest of Collection, after some children were read
		t.Fatal(err)
	}
	if _, ok, err := d.Child(); ok || err != nil { // end of Collections
		t.Fatalf("%v %v", ok, err)
	}
	if _, ok, err := d.Child(); ok || err != nil { // end of Sync
		t.Fatalf("%v %v", ok, err)
	}
	if d.Offset() != int64(len(specContact)) {
		t.Errorf("Offset = %d of %d", d.Offset(), len(specContact))
	}
}

func TestTokens(t *testing.T) {
	doc := hdr + "\x45\x4b\x03ab\x00\xc3\x01z\x01\x0e\x01"
	d := NewDecoder(strings.NewReader(doc))
	want := []Token{
		{Kind: StartElement, Tag: AirSyncSync},
		{Kind: StartElement, Tag: AirSyncSyncKey},
		{Kind: Text, Data: []byte("ab")},
		{Kind: Opaque, Data: []byte("z")},
		{Kind: EndElement, Tag: AirSyncSyncKey},
		{Kind: StartElement, Tag: AirSyncStatus, Empty: true},
		{Kind: EndElement, Tag: AirSyncSync},
	}
	for i, w := range want {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if tok.Kind != w.Kind || tok.Tag != w.Tag || tok.Empty != w.Empty || !bytes.Equal(tok.Data, w.Data) {
			t.Fatalf("token %d = %+v (%v), want %+v", i, tok, tok.Kind, w)
		}
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the root: %v, want io.EOF", err)
	}
}

func TestMisuse(t *testing.T) {
	d := NewDecoder(bytes.NewReader(specContact))
	if _, _, err := d.Child(); err == nil {
		t.Error("Child before Root succeeded")
	}
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Root(); err == nil {
		t.Error("second Root succeeded")
	}
	d.Child()
	if _, err := d.Text(); err == nil {
		t.Error("Text of Collections succeeded")
	}
}

// countingReader counts the bytes handed out by the underlying reader.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestDecoderStreams checks that the decoder reads no further ahead than
// its buffer: walking the first mail of a 10 MB Sync response must not
// read the document.
func TestDecoderStreams(t *testing.T) {
	doc := syncResponse(t, 500, 20<<10)
	cr := &countingReader{r: bytes.NewReader(doc)}
	d := NewDecoder(cr)
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	for range 6 { // Collections, Collection, Class... until Commands
		if _, _, err := d.Child(); err != nil {
			t.Fatal(err)
		}
	}
	if cr.n > 2*readBufferSize {
		t.Fatalf("read %d of %d bytes to reach the first mail", cr.n, len(doc))
	}
	if err := copyWalk(NewDecoder(bytes.NewReader(doc))); err != nil {
		t.Fatal(err)
	}
}

func TestEncoderErrors(t *testing.T) {
	cases := []struct {
		name string
		run  func(e *Encoder)
		msg  string
	}{
		{"nothing", func(e *Encoder) {}, "no root"},
		{"unclosed", func(e *Encoder) { e.Start(AirSyncSync) }, "not closed"},
		{"end without start", func(e *Encoder) { e.End() }, "End without"},
		{"second root", func(e *Encoder) { e.Empty(AirSyncSync); e.Empty(AirSyncSync) }, "second root"},
		{"unknown tag", func(e *Encoder) { e.Empty(Tag(0x1A05)) }, "unknown tag"},
		{"text outside", func(e *Encoder) { e.Text("x") }, "outside"},
		{"NUL in text", func(e *Encoder) { e.Element(AirSyncSync, "a\x00b") }, "NUL"},
		{"short opaque", func(e *Encoder) {
			e.Start(AirSyncSync)
			e.OpaqueFrom(strings.NewReader("abc"), 5)
			e.End()
		}, "opaque"},
		{"write error", func(e *Encoder) { e.Empty(AirSyncSync) }, "disk full"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w io.Writer = io.Discard
			if c.name == "write error" {
				w = failWriter{}
			}
			e := NewEncoder(w)
			c.run(e)
			err := e.Close()
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Close = %v, want an error about %q", err, c.msg)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestOpaqueFrom(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.Start(ItemOperationsData)
	e.OpaqueFrom(strings.NewReader(strings.Repeat("m", 300)), 300)
	e.End()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	want := hdr + "\x00\x14\x4c\xc3\x82\x2c" + strings.Repeat("m", 300) + "\x01"
	if buf.String() != want {
		t.Fatalf("got %X", buf.Bytes())
	}
}
