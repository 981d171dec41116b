package launchd

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// plistValue is a decoded property list node, enough to check the
// rendered agent with a real XML parser.
type plistValue struct {
	kind  string
	text  string
	items []plistValue
}

func decodeValue(d *xml.Decoder, start xml.StartElement) (plistValue, error) {
	v := plistValue{kind: start.Name.Local}
	for {
		tok, err := d.Token()
		if err != nil {
			return v, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			child, err := decodeValue(d, t)
			if err != nil {
				return v, err
			}
			v.items = append(v.items, child)
		case xml.CharData:
			v.text += string(t)
		case xml.EndElement:
			v.text = strings.TrimSpace(v.text)
			return v, nil
		}
	}
}

// parse returns the top-level dict as key -> value.
func parse(t *testing.T, b []byte) map[string]plistValue {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(b)))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			t.Fatal("no plist element")
		}
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "plist" {
			top, err := decodeValue(d, se)
			if err != nil {
				t.Fatal(err)
			}
			if len(top.items) != 1 || top.items[0].kind != "dict" {
				t.Fatalf("plist holds %+v, want one dict", top.items)
			}
			m := map[string]plistValue{}
			its := top.items[0].items
			for i := 0; i+1 < len(its); i += 2 {
				if its[i].kind != "key" {
					t.Fatalf("dict entry %d is a %s, not a key", i, its[i].kind)
				}
				m[its[i].text] = its[i+1]
			}
			return m
		}
	}
}

func TestRenderParses(t *testing.T) {
	a := Agent{
		Binary:  "/Applications/Easy & <Bridge>/easbridge",
		Config:  "/Users/u/Library/Application Support/easbridge/config.toml",
		LogPath: "/Users/u/Library/Logs/easbridge.log",
	}
	b, err := Render(a)
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, b)
	if m["Label"].text != DefaultLabel {
		t.Errorf("Label = %q", m["Label"].text)
	}
	var args []string
	for _, it := range m["ProgramArguments"].items {
		args = append(args, it.text)
	}
	if want := []string{a.Binary, "--config", a.Config, "run"}; strings.Join(args, "|") != strings.Join(want, "|") {
		t.Errorf("ProgramArguments = %q, want %q", args, want)
	}
	if m["RunAtLoad"].kind != "true" {
		t.Errorf("RunAtLoad = %s", m["RunAtLoad"].kind)
	}
	ka := m["KeepAlive"]
	if ka.kind != "dict" || len(ka.items) != 2 || ka.items[0].text != "SuccessfulExit" || ka.items[1].kind != "false" {
		t.Errorf("KeepAlive = %+v", ka)
	}
	for _, k := range []string{"StandardOutPath", "StandardErrorPath"} {
		if m[k].text != a.LogPath {
			t.Errorf("%s = %q", k, m[k].text)
		}
	}
	if m["ProcessType"].text != "Background" || m["ThrottleInterval"].text != "10" {
		t.Errorf("ProcessType %q ThrottleInterval %q", m["ProcessType"].text, m["ThrottleInterval"].text)
	}
}

func TestRenderRejects(t *testing.T) {
	ok := Agent{Binary: "/b", Config: "/c", LogPath: "/l"}
	for _, tc := range []struct {
		name string
		edit func(*Agent)
	}{
		{"relative binary", func(a *Agent) { a.Binary = "easbridge" }},
		{"relative log", func(a *Agent) { a.LogPath = "easbridge.log" }},
		{"control character", func(a *Agent) { a.Config = "/c\x01" }},
		{"label with slash", func(a *Agent) { a.Label = "../evil" }},
	} {
		a := ok
		tc.edit(&a)
		if _, err := Render(a); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if _, err := Render(ok); err != nil {
		t.Errorf("valid agent refused: %v", err)
	}
	if FileName("") != DefaultLabel+".plist" {
		t.Error("FileName default")
	}
}
