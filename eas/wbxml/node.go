package wbxml

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Node is an element of a document held in memory, for tests, tools and
// debug output. Text holds the element's inline strings and opaque data
// concatenated; Opaque tells that (some of) it was opaque data.
type Node struct {
	Tag      Tag
	Text     []byte
	Opaque   bool
	Children []*Node
}

// Parse reads a whole document into a tree, bounded by the default limits
// of a Decoder (depth 64, 64 MiB per element's text).
func Parse(r io.Reader) (*Node, error) {
	d := NewDecoder(r)
	var root *Node
	var stack []*Node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) && d.done {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok.Kind {
		case StartElement:
			n := &Node{Tag: tok.Tag}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			if !tok.Empty {
				stack = append(stack, n)
			}
		case EndElement:
			stack = stack[:len(stack)-1]
		case Text, Opaque:
			n := stack[len(stack)-1]
			if int64(len(n.Text)+len(tok.Data)) > d.maxString() {
				return nil, d.syntax("text of %s exceeds the limit of %d bytes", n.Tag, d.maxString())
			}
			n.Text = append(n.Text, tok.Data...)
			n.Opaque = n.Opaque || tok.Kind == Opaque
		}
	}
}

// Encode writes n as a whole document: text (or opaque data) first, then
// the children.
func (n *Node) Encode(w io.Writer) error {
	e := NewEncoder(w)
	n.encode(e)
	return e.Close()
}

func (n *Node) encode(e *Encoder) {
	e.Start(n.Tag)
	switch {
	case n.Opaque:
		e.Opaque(n.Text)
	case len(n.Text) > 0:
		e.Text(string(n.Text))
	}
	for _, c := range n.Children {
		c.encode(e)
	}
	e.End()
}

// XML returns n as indented, readable XML for debug output: element names
// from [MS-ASWBXML], a default namespace "Page:" wherever the code page
// changes (as libwbxml's wbxml2xml writes it), opaque data that is not
// UTF-8 shown as base64 in a comment.
func (n *Node) XML() string {
	var b strings.Builder
	n.xml(&b, 0, -1)
	return b.String()
}

func (n *Node) xml(b *strings.Builder, depth, parentPage int) {
	indent := strings.Repeat("  ", depth)
	name, ok := n.Tag.name()
	if !ok {
		name = fmt.Sprintf("Unknown0x%02X", n.Tag.Token())
	}
	b.WriteString(indent + "<" + name)
	if page := int(n.Tag.Page()); page != parentPage {
		pn, ok := PageName(n.Tag.Page())
		if !ok {
			pn = fmt.Sprintf("Page%d", page)
		}
		fmt.Fprintf(b, " xmlns=\"%s:\"", pn)
	}
	if len(n.Text) == 0 && len(n.Children) == 0 {
		b.WriteString("/>\n")
		return
	}
	b.WriteString(">")
	if len(n.Text) > 0 {
		if utf8.Valid(n.Text) {
			b.WriteString(escapeXML(string(n.Text)))
		} else {
			fmt.Fprintf(b, "<!-- opaque, %d bytes, base64 -->%s", len(n.Text),
				base64.StdEncoding.EncodeToString(n.Text))
		}
	}
	if len(n.Children) > 0 {
		b.WriteString("\n")
		for _, c := range n.Children {
			c.xml(b, depth+1, int(n.Tag.Page()))
		}
		b.WriteString(indent)
	}
	b.WriteString("</" + name + ">\n")
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeXML(s string) string { return xmlEscaper.Replace(s) }
