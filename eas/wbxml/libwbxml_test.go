//go:build libwbxml

// Interop with libwbxml's wbxml2xml and xml2wbxml (Debian libwbxml2-utils),
// the acceptance test of issue 2: run with "go test -tags libwbxml". A
// missing tool is a failure, not a skip. libwbxml spells some elements
// differently from [MS-ASWBXML] (DTStamp, Recurrence_Type, BusinessCity...),
// so documents are compared by code page and token, with a name table
// derived by letting wbxml2xml name every tag this package encodes.

package wbxml

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// libTable is libwbxml's view of the code pages.
type libTable struct {
	name   map[Tag]string // "Namespace:|Element" as wbxml2xml writes it
	tag    map[string]Tag
	base64 map[Tag]bool // elements whose content libwbxml shows as base64
}

var (
	libOnce sync.Once
	lib     *libTable
	libErr  error
)

func libwbxml(t *testing.T) *libTable {
	t.Helper()
	for _, tool := range []string{"wbxml2xml", "xml2wbxml"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (apt-get install libwbxml2-utils): %v", tool, err)
		}
	}
	libOnce.Do(func() { lib, libErr = buildLibTable(t.TempDir()) })
	if libErr != nil {
		t.Fatal(libErr)
	}
	return lib
}

// buildLibTable encodes, per code page, a document listing every tag with
// the text "AB", and reads back the names wbxml2xml gives them; "QUI="
// (base64 of "AB") marks an element libwbxml treats as binary.
func buildLibTable(dir string) (*libTable, error) {
	lt := &libTable{name: map[Tag]string{}, tag: map[string]Tag{}, base64: map[Tag]bool{}}
	for p := range numPages {
		root := &Node{Tag: AirSyncSync}
		for _, tag := range allTags(p) {
			root.Children = append(root.Children, &Node{Tag: tag, Text: []byte("AB")})
		}
		x, err := toXML(dir, root)
		if err != nil {
			return nil, err
		}
		if len(x.children) != len(root.Children) {
			return nil, fmt.Errorf("page %d: wbxml2xml returned %d elements for %d", p, len(x.children), len(root.Children))
		}
		for i, c := range x.children {
			tag := root.Children[i].Tag
			if c.local == "unknown" {
				continue // a token libwbxml 0.11 does not know (16.x, Find...)
			}
			key := c.space + "|" + c.local
			lt.name[tag] = key
			lt.tag[key] = tag
			lt.base64[tag] = c.text == "QUI="
		}
	}
	return lt, nil
}

// xmlNode is an element as libwbxml writes it.
type xmlNode struct {
	space, local, text string
	children           []*xmlNode
}

func parseXML(data []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil {
				return nil, fmt.Errorf("no root element")
			}
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{space: tok.Name.Space, local: tok.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
}

// run runs a libwbxml tool.
func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// toXML encodes n with this package and decodes it with wbxml2xml.
func toXML(dir string, n *Node) (*xmlNode, error) {
	in, out := filepath.Join(dir, "in.wbxml"), filepath.Join(dir, "out.xml")
	var buf bytes.Buffer
	if err := n.Encode(&buf); err != nil {
		return nil, err
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := run("wbxml2xml", "-l", "ACTIVESYNC", "-o", out, in); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	return parseXML(data)
}

// fromXML encodes an XML document with xml2wbxml, as the captures were
// sent, and decodes the result with this package.
func fromXML(dir string, data []byte) (*Node, error) {
	in, out := filepath.Join(dir, "in.xml"), filepath.Join(dir, "out.wbxml")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		return nil, err
	}
	if err := run("xml2wbxml", "-a", "-n", "-o", out, in); err != nil {
		return nil, err
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f)
}

// normText is the text as both sides must agree on it: libwbxml trims
// leading and trailing white space, and XML parsers turn CRLF into LF.
func normText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// compare reports where n and x differ by code page and token, or "".
func (lt *libTable) compare(n *Node, x *xmlNode, path string) string {
	key := x.space + "|" + x.local
	path += "/" + key
	tag, ok := lt.tag[key]
	switch {
	case !ok:
		return fmt.Sprintf("%s: element unknown to the name table (we wrote %s)", path, n.Tag)
	case tag != n.Tag:
		return fmt.Sprintf("%s: %s != %s", path, n.Tag, tag)
	case len(n.Children) != len(x.children):
		return fmt.Sprintf("%s: %d children != %d", path, len(n.Children), len(x.children))
	}
	want, got := normText(string(n.Text)), normText(x.text)
	// libwbxml shows the content of the elements it deems binary as
	// base64, except under some parents (AirSyncBase:Add), where it
	// writes a CDATA section of the raw bytes.
	if lt.base64[tag] && got != want {
		want = base64.StdEncoding.EncodeToString(n.Text)
	}
	if len(n.Children) == 0 && got != want {
		return fmt.Sprintf("%s: text %.60q != %.60q", path, want, got)
	}
	for i := range n.Children {
		if d := lt.compare(n.Children[i], x.children[i], path); d != "" {
			return d
		}
	}
	return ""
}

// xml writes n as libwbxml XML: libwbxml's element names, a default
// namespace wherever the code page changes, binary elements in base64.
func (lt *libTable) xml(n *Node) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE ActiveSync PUBLIC " +
		"\"-//MICROSOFT//DTD ActiveSync//EN\" \"http://www.microsoft.com/\">\n")
	var write func(n *Node, space string)
	write = func(n *Node, space string) {
		ns, local, _ := strings.Cut(lt.name[n.Tag], "|")
		b.WriteString("<" + local)
		if ns != space {
			fmt.Fprintf(&b, " xmlns=%q", ns)
		}
		b.WriteString(">")
		if lt.base64[n.Tag] {
			b.WriteString(base64.StdEncoding.EncodeToString(n.Text))
		} else {
			_ = xml.EscapeText(&b, n.Text)
		}
		for _, c := range n.Children {
			write(c, ns)
		}
		b.WriteString("</" + local + ">") // no white space: it would be content
	}
	write(n, "")
	return b.Bytes()
}

// equal compares a document with what xml2wbxml made of its libwbxml XML,
// or returns "". The opaque flags are ignored, as XML cannot carry them
// (xml2wbxml writes binary elements as opaque data, others as strings),
// and so is one libwbxml quirk: under some parents (AirSyncBase:Add) it
// does not decode a binary element's base64 text.
func (lt *libTable) equal(a, b *Node) string {
	switch {
	case a.Tag != b.Tag:
		return fmt.Sprintf("tag %s != %s", a.Tag, b.Tag)
	case len(a.Children) != len(b.Children):
		return fmt.Sprintf("%s: %d children != %d", a.Tag, len(a.Children), len(b.Children))
	case !bytes.Equal(a.Text, b.Text) &&
		!(lt.base64[a.Tag] && string(b.Text) == base64.StdEncoding.EncodeToString(a.Text)):
		return fmt.Sprintf("%s: text %q != %q", a.Tag, a.Text, b.Text)
	}
	for i := range a.Children {
		if d := lt.equal(a.Children[i], b.Children[i]); d != "" {
			return d
		}
	}
	return ""
}

// known drops, in place, the elements libwbxml cannot name.
func (lt *libTable) known(n *Node) *Node {
	kept := n.Children[:0]
	for _, c := range n.Children {
		if _, ok := lt.name[c.Tag]; ok {
			kept = append(kept, lt.known(c))
		}
	}
	n.Children = kept
	return n
}

// TestLibwbxmlExamples: every captured example (libwbxml XML) encoded by
// xml2wbxml is decoded by this package to the same document; encoded
// again by this package, wbxml2xml decodes it to the same document.
func TestLibwbxmlExamples(t *testing.T) {
	lt := libwbxml(t)
	files, _ := filepath.Glob("testdata/libwbxml/*.xml")
	if len(files) < 50 {
		t.Fatalf("only %d examples in testdata/libwbxml", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := parseXML(data)
			if err != nil && strings.Contains(string(data), "empty response body") {
				t.Skip("an empty HTTP body, no document")
			}
			if err != nil {
				t.Fatal(err)
			}
			ours, err := fromXML(t.TempDir(), data)
			if err != nil {
				t.Fatalf("xml2wbxml then Parse: %v", err)
			}
			if d := lt.compare(ours, want, ""); d != "" {
				t.Fatalf("decoded xml2wbxml output differs: %s", d)
			}
			back, err := toXML(t.TempDir(), ours)
			if err != nil {
				t.Fatalf("Encode then wbxml2xml: %v", err)
			}
			if d := lt.compare(ours, back, ""); d != "" {
				t.Fatalf("wbxml2xml reads our encoding differently: %s", d)
			}
		})
	}
}

// TestLibwbxmlCorpus: the generated corpus (every tag libwbxml knows, of
// every code page, and random trees) encoded by this package is read by
// wbxml2xml as the same document, and wbxml2xml's XML fed to xml2wbxml
// comes back to this package unchanged.
func TestLibwbxmlCorpus(t *testing.T) {
	lt := libwbxml(t)
	for i, doc := range corpus(true) {
		if _, ok := lt.name[doc.Tag]; !ok {
			doc.Tag = AirSyncSync
		}
		doc = lt.known(doc)
		t.Run(fmt.Sprintf("doc%02d", i), func(t *testing.T) {
			dir := t.TempDir()
			x, err := toXML(dir, doc)
			if err != nil {
				t.Fatal(err)
			}
			if d := lt.compare(doc, x, ""); d != "" {
				t.Fatalf("wbxml2xml reads our encoding differently: %s", d)
			}
			back, err := fromXML(dir, lt.xml(doc))
			if err != nil {
				t.Fatalf("xml2wbxml then Parse: %v\n%s", err, lt.xml(doc))
			}
			if d := lt.equal(doc, back); d != "" {
				t.Fatalf("decoded xml2wbxml output differs: %s", d)
			}
		})
	}
}

// TestLibwbxmlCoverage reports which tags libwbxml cannot name, so the
// interop tests cannot cover them; they must be only those newer than
// libwbxml 0.11's table.
func TestLibwbxmlCoverage(t *testing.T) {
	lt := libwbxml(t)
	var missing []string
	for p := range numPages {
		for _, tag := range allTags(p) {
			if _, ok := lt.name[tag]; !ok {
				missing = append(missing, tag.String())
			}
		}
	}
	t.Logf("%d tags libwbxml does not know: %s", len(missing), strings.Join(missing, " "))
	if len(lt.name) < 500 {
		t.Fatalf("libwbxml named only %d tags", len(lt.name))
	}
}
