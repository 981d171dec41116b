package eastest

import (
	"bytes"
	"strconv"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Responses are built as wbxml.Node trees, encoded once at the end: that
// lets the server keep the response of a collection for a repeated Sync and
// lets faults cut the encoded body anywhere.

// el returns an element holding text s (an empty element when s is "").
func el(t wbxml.Tag, s string) *wbxml.Node {
	return &wbxml.Node{Tag: t, Text: []byte(s)}
}

// num returns an element holding the decimal number n.
func num(t wbxml.Tag, n int) *wbxml.Node { return el(t, strconv.Itoa(n)) }

// opaque returns an element holding b as opaque data.
func opaque(t wbxml.Tag, b []byte) *wbxml.Node {
	return &wbxml.Node{Tag: t, Text: b, Opaque: true}
}

// box returns an element with the given children (nil children are left out).
func box(t wbxml.Tag, kids ...*wbxml.Node) *wbxml.Node {
	n := &wbxml.Node{Tag: t}
	for _, k := range kids {
		if k != nil {
			n.Children = append(n.Children, k)
		}
	}
	return n
}

// add appends the non-nil kids to n and returns n.
func add(n *wbxml.Node, kids ...*wbxml.Node) *wbxml.Node {
	for _, k := range kids {
		if k != nil {
			n.Children = append(n.Children, k)
		}
	}
	return n
}

// child returns the first child of n with tag t, or nil.
func child(n *wbxml.Node, t wbxml.Tag) *wbxml.Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Tag == t {
			return c
		}
	}
	return nil
}

// all returns the children of n with tag t.
func all(n *wbxml.Node, t wbxml.Tag) []*wbxml.Node {
	if n == nil {
		return nil
	}
	var out []*wbxml.Node
	for _, c := range n.Children {
		if c.Tag == t {
			out = append(out, c)
		}
	}
	return out
}

// text returns the text of the first child of n with tag t ("" if absent).
func text(n *wbxml.Node, t wbxml.Tag) string {
	c := child(n, t)
	if c == nil {
		return ""
	}
	return string(c.Text)
}

// has reports whether n has a child with tag t.
func has(n *wbxml.Node, t wbxml.Tag) bool { return child(n, t) != nil }

// intText returns the number held by the child t of n, or def when it is
// absent or not a number.
func intText(n *wbxml.Node, t wbxml.Tag, def int) int {
	c := child(n, t)
	if c == nil {
		return def
	}
	v, err := strconv.Atoi(string(bytes.TrimSpace(c.Text)))
	if err != nil {
		return def
	}
	return v
}

// clone returns a deep copy of n.
func clone(n *wbxml.Node) *wbxml.Node {
	if n == nil {
		return nil
	}
	c := &wbxml.Node{Tag: n.Tag, Opaque: n.Opaque}
	if n.Text != nil {
		c.Text = append([]byte(nil), n.Text...)
	}
	for _, k := range n.Children {
		c.Children = append(c.Children, clone(k))
	}
	return c
}

// encode returns the WBXML document of root.
func encode(root *wbxml.Node) ([]byte, error) {
	var b bytes.Buffer
	if err := root.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
