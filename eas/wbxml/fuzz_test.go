package wbxml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

// FuzzDecoder feeds arbitrary bytes to Parse and to the streaming API.
// Neither may panic; they must agree on whether the document is valid;
// and a valid document must survive Encode and Parse unchanged.
func FuzzDecoder(f *testing.F) {
	f.Add(specContact)
	for _, file := range exampleFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, doc := range corpus(true)[:8] {
		var buf bytes.Buffer
		if err := doc.Encode(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	for _, c := range hostile {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, perr := Parse(bytes.NewReader(data))
		werr := streamWalk(NewDecoder(bytes.NewReader(data)), tree)
		if (perr == nil) != (werr == nil) {
			t.Fatalf("Parse error %v but streaming error %v", perr, werr)
		}
		if perr != nil {
			return
		}
		var buf bytes.Buffer
		if err := tree.Encode(&buf); err != nil {
			t.Fatalf("encoding a parsed tree: %v", err)
		}
		again, err := Parse(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("parsing the re-encoded tree: %v", err)
		}
		if d := equalNodes(tree, again); d != "" {
			t.Fatalf("round trip changed the tree: %s", d)
		}
		_ = tree.XML()
	})
}

// streamWalk walks a document with Root and Child. Where tree (the same
// document parsed, or nil) shows an element without children, it streams
// the element's content to io.Discard with CopyText instead, and checks
// the length.
func streamWalk(d *Decoder, tree *Node) error {
	if _, err := d.Root(); err != nil {
		return err
	}
	var walk func(n *Node) error
	walk = func(n *Node) error {
		for i := 0; ; i++ {
			_, ok, err := d.Child()
			if err != nil || !ok {
				return err
			}
			var c *Node
			if n != nil && i < len(n.Children) {
				c = n.Children[i]
			}
			if c != nil && len(c.Children) == 0 {
				k, err := d.CopyText(io.Discard)
				if err != nil {
					return err
				}
				if k != int64(len(c.Text)) {
					return fmt.Errorf("CopyText copied %d bytes, Parse read %d", k, len(c.Text))
				}
				continue
			}
			if err := walk(c); err != nil {
				return err
			}
		}
	}
	if err := walk(tree); err != nil {
		return err
	}
	if _, err := d.CopyText(io.Discard); err == nil {
		return errors.New("CopyText after the root succeeded")
	}
	return nil
}
