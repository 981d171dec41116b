package wbxml

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// allTags returns every tag of code page p, in token order.
func allTags(p int) []Tag {
	var tags []Tag
	for tok, name := range tagNames[p] {
		if name != "" {
			tags = append(tags, Tag(p<<8|tok))
		}
	}
	return tags
}

// pageDoc returns a document holding every tag of code page p: each once
// with text, once empty and once wrapping a child of the next page, and
// some with opaque data when opaque is set.
func pageDoc(p int, opaque bool) *Node {
	root := &Node{Tag: AirSyncSync}
	next := allTags((p + 1) % numPages)[0]
	for i, t := range allTags(p) {
		name, _ := t.name()
		root.Children = append(root.Children,
			&Node{Tag: t, Text: []byte(name + " é€ <&> " + fmt.Sprint(i))},
			&Node{Tag: t},
			&Node{Tag: t, Children: []*Node{{Tag: next, Text: []byte("x")}, {Tag: t}}},
		)
		if opaque && i%3 == 0 {
			root.Children = append(root.Children, &Node{Tag: t, Opaque: true, Text: []byte("opaque " + name)})
		}
	}
	return root
}

// randomDoc returns a random tree of tags from every code page.
func randomDoc(rng *rand.Rand, opaque bool) *Node {
	var tags []Tag
	for p := range numPages {
		tags = append(tags, allTags(p)...)
	}
	var grow func(depth int) *Node
	grow = func(depth int) *Node {
		n := &Node{Tag: tags[rng.IntN(len(tags))]}
		switch k := rng.IntN(10); {
		case depth > 5 || k < 4:
			n.Text = []byte(fmt.Sprintf("text %d ü", rng.IntN(1e6)))
			if opaque && k == 0 {
				n.Opaque = true
			}
		case k < 5:
			// empty element
		default:
			for range 1 + rng.IntN(5) {
				n.Children = append(n.Children, grow(depth+1))
			}
		}
		return n
	}
	root := grow(0)
	if len(root.Children) == 0 {
		root.Children = []*Node{grow(1)}
		root.Text, root.Opaque = nil, false
	}
	return root
}

// corpus is the generated corpus: one document per code page and some
// random trees.
func corpus(opaque bool) []*Node {
	var docs []*Node
	for p := range numPages {
		docs = append(docs, pageDoc(p, opaque))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 30 {
		docs = append(docs, randomDoc(rng, opaque))
	}
	return docs
}

// equalNodes reports where a and b differ, or "".
func equalNodes(a, b *Node) string {
	switch {
	case a.Tag != b.Tag:
		return fmt.Sprintf("tag %s != %s", a.Tag, b.Tag)
	case !bytes.Equal(a.Text, b.Text):
		return fmt.Sprintf("%s: text %q != %q", a.Tag, a.Text, b.Text)
	case a.Opaque != b.Opaque && len(a.Text) > 0:
		return fmt.Sprintf("%s: opaque %v != %v", a.Tag, a.Opaque, b.Opaque)
	case len(a.Children) != len(b.Children):
		return fmt.Sprintf("%s: %d children != %d", a.Tag, len(a.Children), len(b.Children))
	}
	for i := range a.Children {
		if d := equalNodes(a.Children[i], b.Children[i]); d != "" {
			return d
		}
	}
	return ""
}

// TestEveryPageRoundTrips encodes documents covering every tag of every
// code page, decodes them and compares the trees, then walks them with
// the streaming API.
func TestEveryPageRoundTrips(t *testing.T) {
	seen := map[Tag]bool{}
	for i, doc := range corpus(true) {
		var buf bytes.Buffer
		if err := doc.Encode(&buf); err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		got, err := Parse(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if d := equalNodes(doc, got); d != "" {
			t.Fatalf("doc %d differs after a round trip: %s", i, d)
		}
		var again bytes.Buffer
		if err := got.Encode(&again); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
			t.Fatalf("doc %d: second encoding differs (%v)", i, err)
		}
		walkAll(t, buf.Bytes())
		markTags(got, seen)
	}
	for p := range numPages {
		for _, tag := range allTags(p) {
			if !seen[tag] {
				t.Errorf("%s not covered", tag)
			}
		}
	}
}

func markTags(n *Node, seen map[Tag]bool) {
	seen[n.Tag] = true
	for _, c := range n.Children {
		markTags(c, seen)
	}
}
