package wbxml

import (
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// specContact is the Sync response of [MS-ASWBXML] section 4.1 (a new
// contact), encoded by hand from the example's XML.
var specContact = mustHex(`03016A00 455C4F50 03436F6E 74616374 73000 14B 03320001 52033200
	014E0331 00015647 4D03323A 3100015D 00114A46 03310001 4C033000 014D0331
	00010100 015E0346 756E6B2C 20446F6E 00015F03 446F6E00 01690346 756E6B00
	01001156 03310001 01010101 01 01`)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func encodeSpecContact(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.Start(AirSyncSync)
	e.Start(AirSyncCollections)
	e.Start(AirSyncCollection)
	e.Element(AirSyncClass, "Contacts")
	e.Element(AirSyncSyncKey, "2")
	e.Element(AirSyncCollectionId, "2")
	e.Element(AirSyncStatus, "1")
	e.Start(AirSyncCommands)
	e.Start(AirSyncAdd)
	e.Element(AirSyncServerId, "2:1")
	e.Start(AirSyncApplicationData)
	e.Start(AirSyncBaseBody)
	e.Element(AirSyncBaseType, "1")
	e.Element(AirSyncBaseEstimatedDataSize, "0")
	e.Element(AirSyncBaseTruncated, "1")
	e.End()
	e.Element(ContactsFileAs, "Funk, Don")
	e.Element(ContactsFirstName, "Don")
	e.Element(ContactsLastName, "Funk")
	e.Element(AirSyncBaseNativeBodyType, "1")
	for range 6 {
		e.End()
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEncodeSpecExample(t *testing.T) {
	got := encodeSpecContact(t)
	if !bytes.Equal(got, specContact) {
		t.Fatalf("encoding differs from [MS-ASWBXML] 4.1:\n got %X\nwant %X", got, specContact)
	}
}

func TestDecodeSpecExample(t *testing.T) {
	d := NewDecoder(bytes.NewReader(specContact))
	root, err := d.Root()
	if err != nil || root != AirSyncSync {
		t.Fatalf("Root = %v, %v", root, err)
	}
	var path []Tag
	texts := map[Tag]string{}
	var walk func() error
	walk = func() error {
		for {
			tag, ok, err := d.Child()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			path = append(path, tag)
			switch tag {
			case AirSyncCollections, AirSyncCollection, AirSyncCommands, AirSyncAdd,
				AirSyncApplicationData, AirSyncBaseBody:
				if err := walk(); err != nil {
					return err
				}
			default:
				s, err := d.Text()
				if err != nil {
					return err
				}
				texts[tag] = s
			}
		}
	}
	if err := walk(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.Child(); ok || err != nil {
		t.Fatalf("after root: ok=%v err=%v", ok, err)
	}
	want := map[Tag]string{
		AirSyncClass: "Contacts", AirSyncSyncKey: "2", AirSyncServerId: "2:1",
		ContactsFileAs: "Funk, Don", ContactsLastName: "Funk", AirSyncBaseNativeBodyType: "1",
		AirSyncBaseTruncated: "1",
	}
	for tag, s := range want {
		if texts[tag] != s {
			t.Errorf("%s = %q, want %q", tag, texts[tag], s)
		}
	}
	if len(path) != 18 {
		t.Errorf("visited %d elements, want 18: %v", len(path), path)
	}
	if d.Offset() != int64(len(specContact)) {
		t.Errorf("Offset = %d, want %d", d.Offset(), len(specContact))
	}
}

func TestNodeRoundTrip(t *testing.T) {
	n, err := Parse(bytes.NewReader(specContact))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := n.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), specContact) {
		t.Fatalf("Parse+Encode changed the document:\n got %X\nwant %X", buf.Bytes(), specContact)
	}
	x := n.XML()
	for _, want := range []string{`<Sync xmlns="AirSync:">`, `<Body xmlns="AirSyncBase:">`,
		`<FileAs xmlns="Contacts:">Funk, Don</FileAs>`} {
		if !strings.Contains(x, want) {
			t.Errorf("XML lacks %s:\n%s", want, x)
		}
	}
}

func TestTagNames(t *testing.T) {
	cases := []struct {
		tag  Tag
		page string
		name string
	}{
		{AirSyncSync, "AirSync", "Sync"},
		{CalendarDtStamp, "Calendar", "DtStamp"},
		{AirSyncBaseInstanceId, "AirSyncBase", "InstanceId"},
		{CalendarClientUid, "Calendar", "ClientUid"},
		{ComposeMailMime, "ComposeMail", "Mime"},
		{FindPicture, "Find", "Picture"},
		{GALData, "GAL", "Data"},
	}
	for _, c := range cases {
		if got := c.tag.String(); got != c.page+":"+c.name {
			t.Errorf("String = %q, want %s:%s", got, c.page, c.name)
		}
		if got, ok := TagByName(c.page, c.name); !ok || got != c.tag {
			t.Errorf("TagByName(%s, %s) = %v, %v", c.page, c.name, got, ok)
		}
	}
	if got := Tag(0x072A).String(); got != "Page7:0x2A" {
		t.Errorf("unknown tag String = %q", got)
	}
	if name, ok := PageName(25); !ok || name != "Find" {
		t.Errorf("PageName(25) = %q, %v", name, ok)
	}
	if _, ok := PageName(26); ok {
		t.Error("PageName(26) ok")
	}
}

// TestTablesMatchSource checks that tables_gen.go was regenerated after
// the last edit of internal/gentables/codepages.txt.
func TestTablesMatchSource(t *testing.T) {
	src, err := os.ReadFile("internal/gentables/codepages.txt")
	if err != nil {
		t.Fatal(err)
	}
	page, count := -1, 0
	for _, line := range strings.Split(string(src), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case f[0] == "page":
			page++
			if pageNames[page] != f[2] {
				t.Errorf("page %d is %q in the source, %q in tables_gen.go", page, f[2], pageNames[page])
			}
		default:
			tok, err := strconv.ParseUint(f[0], 16, 8)
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			count++
			if got := tagNames[page][tok]; got != f[1] {
				t.Errorf("%s token %s is %q in the source, %q in tables_gen.go", pageNames[page], f[0], f[1], got)
			}
		}
	}
	if page != numPages-1 || count != len(byName) {
		t.Errorf("source has %d pages and %d tags, tables_gen.go %d and %d: run go generate", page+1, count, numPages, len(byName))
	}
}
