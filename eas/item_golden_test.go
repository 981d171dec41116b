package eas

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/items")

// TestGoldenEncoding pins what EncodeItem and EncodeItemAsServer write for
// complete items, as readable XML (testdata/items/golden-*.xml; refresh
// with go test -run TestGoldenEncoding -update).
func TestGoldenEncoding(t *testing.T) {
	items := map[string]func() Item{
		"event": func() Item { return fullEvent() }, "contact": func() Item { return fullContact() },
		"task": func() Item { return fullTask() }, "note": func() Item { return fullNote() }, "email": func() Item { return fullEmail() },
	}
	for name, mk := range items {
		for _, mode := range []struct {
			v      Version
			server bool
		}{{V141, false}, {V161, false}, {V161, true}} {
			who := "client"
			if mode.server {
				who = "server"
			}
			file := filepath.Join("testdata", "items", fmt.Sprintf("golden-%s-%v-%s.xml", name, mode.v, who))
			got := mustParse(t, encodeAppData(t, mk(), mode.v, mode.server)).XML()
			if *updateGolden {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file:\n%s", file, got)
			}
		}
	}
}
