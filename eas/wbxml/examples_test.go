package wbxml

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// exampleFiles returns the captured SOGo requests and responses, encoded
// by libwbxml's xml2wbxml (testdata/examples, from
// ../shared/easserver/examples).
func exampleFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/examples/*.wbxml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in testdata/examples: %v", err)
	}
	return files
}

// TestExamplesRoundTrip decodes every captured example and encodes it
// again: the bytes must be identical, since libwbxml and this encoder
// both switch code pages only when needed.
func TestExamplesRoundTrip(t *testing.T) {
	for _, f := range exampleFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			n, err := Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := n.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), data) {
				t.Errorf("re-encoding differs:\n got %X\nwant %X\n%s", buf.Bytes(), data, n.XML())
			}
			walkAll(t, data)
		})
	}
}

// walkAll walks a document with Root/Child/Text the way a client does,
// reading the text of every leaf, and checks it reaches the end.
func walkAll(t *testing.T, data []byte) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(data))
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	if err := walkChildren(d); err != nil {
		t.Fatal(err)
	}
	if d.Offset() != int64(len(data)) {
		t.Errorf("walk stopped at %d of %d bytes", d.Offset(), len(data))
	}
}

func walkChildren(d *Decoder) error {
	for {
		_, ok, err := d.Child()
		if err != nil || !ok {
			return err
		}
		if err := walkChildren(d); err != nil {
			return err
		}
	}
}
