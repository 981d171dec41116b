package convert

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"

	"github.com/easbridge/easbridge/eas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// dump renders an item as sorted "path: value" lines, skipping zero
// values, so golden files and failures read well.
func dump(v any) string {
	var lines []string
	dumpValue(&lines, "", reflect.ValueOf(v))
	return strings.Join(lines, "\n") + "\n"
}

func dumpValue(lines *[]string, path string, v reflect.Value) {
	if !v.IsValid() {
		return
	}
	switch x := v.Interface().(type) {
	case *eas.Body:
		if x != nil {
			*lines = append(*lines, fmt.Sprintf("%s: type=%d %q", path, x.Type, x.String()))
		}
		return
	case time.Time:
		if !x.IsZero() {
			*lines = append(*lines, fmt.Sprintf("%s: %s", path, x.UTC().Format(time.RFC3339)))
		}
		return
	case eas.Fields:
		if !x.IsZero() {
			var tags []string
			for _, t := range x.Tags() {
				s := t.String()
				if x.IsEmpty(t) {
					s += "(empty)"
				}
				tags = append(tags, s)
			}
			*lines = append(*lines, fmt.Sprintf("%s: %s", path, strings.Join(tags, " ")))
		}
		return
	case []byte:
		if len(x) > 0 {
			*lines = append(*lines, fmt.Sprintf("%s: %d bytes", path, len(x)))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			dumpValue(lines, path, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := f.Name
			if path != "" && !f.Anonymous {
				p = path + "." + f.Name
			} else if path != "" {
				p = path
			}
			dumpValue(lines, p, v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			dumpValue(lines, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	default:
		if !v.IsZero() {
			*lines = append(*lines, fmt.Sprintf("%s: %v", path, v.Interface()))
		}
	}
}

func encodeICal(t testing.TB, cal *ical.Calendar) string {
	t.Helper()
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		t.Fatalf("encoding iCalendar: %v", err)
	}
	return b.String()
}

func decodeICal(t testing.TB, s string) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(strings.NewReader(s)).Decode()
	if err != nil {
		t.Fatalf("decoding iCalendar: %v\n%s", err, s)
	}
	return cal
}

func encodeVCard(t testing.TB, c vcard.Card) string {
	t.Helper()
	var b bytes.Buffer
	if err := vcard.NewEncoder(&b).Encode(c); err != nil {
		t.Fatalf("encoding vCard: %v", err)
	}
	return b.String()
}

func decodeVCard(t testing.TB, s string) vcard.Card {
	t.Helper()
	c, err := vcard.NewDecoder(strings.NewReader(s)).Decode()
	if err != nil {
		t.Fatalf("decoding vCard: %v\n%s", err, s)
	}
	return c
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
