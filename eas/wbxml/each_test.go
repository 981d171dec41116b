package wbxml

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// walkEach renders the element tree below the current element as
// "Tag(child,child)" using nothing but Each, Text and nested Each.
func walkEach(d *Decoder, containers map[Tag]bool, out *strings.Builder) error {
	first := true
	return d.Each(func(t Tag) error {
		if !first {
			out.WriteByte(',')
		}
		first = false
		out.WriteString(t.String())
		if !containers[t] {
			s, err := d.Text()
			out.WriteString("=" + s)
			return err
		}
		out.WriteByte('(')
		err := walkEach(d, containers, out)
		out.WriteByte(')')
		return err
	})
}

func TestEachWalksTheTree(t *testing.T) {
	containers := map[Tag]bool{AirSyncCollections: true, AirSyncCollection: true, AirSyncCommands: true,
		AirSyncAdd: true, AirSyncApplicationData: true, AirSyncBaseBody: true}
	d := NewDecoder(bytes.NewReader(specContact))
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := walkEach(d, containers, &out); err != nil {
		t.Fatal(err)
	}
	want := "AirSync:Collections(AirSync:Collection(AirSync:Class=Contacts,AirSync:SyncKey=2,AirSync:CollectionId=2," +
		"AirSync:Status=1,AirSync:Commands(AirSync:Add(AirSync:ServerId=2:1,AirSync:ApplicationData(" +
		"AirSyncBase:Body(AirSyncBase:Type=1,AirSyncBase:EstimatedDataSize=0,AirSyncBase:Truncated=1)," +
		"Contacts:FileAs=Funk, Don,Contacts:FirstName=Don,Contacts:LastName=Funk,AirSyncBase:NativeBodyType=1)))))"
	if out.String() != want {
		t.Errorf("walk =\n%s\nwant\n%s", out.String(), want)
	}
	if d.Offset() != int64(len(specContact)) {
		t.Errorf("Offset = %d of %d", d.Offset(), len(specContact))
	}
	// The root has ended: a further Each sees no children.
	if err := d.Each(func(Tag) error { t.Error("fn called after the end"); return nil }); err != nil {
		t.Errorf("Each after the end = %v", err)
	}
}

// TestEachSkipsWhatFnSkips checks that a caller interested in one deep
// element passes over the rest with Skip, and that Each then resumes at
// the right level.
func TestEachSkipsWhatFnSkips(t *testing.T) {
	d := NewDecoder(bytes.NewReader(specContact))
	if _, err := d.Root(); err != nil {
		t.Fatal(err)
	}
	var key string
	var seen []Tag
	err := d.Each(func(t Tag) error { // Collections
		return d.Each(func(t Tag) error { // Collection
			return d.Each(func(t Tag) error {
				seen = append(seen, t)
				if t == AirSyncSyncKey {
					var err error
					key, err = d.Text()
					return err
				}
				return d.Skip()
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if key != "2" || len(seen) != 5 || seen[4] != AirSyncCommands {
		t.Errorf("key %q, seen %v", key, seen)
	}
	if d.Offset() != int64(len(specContact)) {
		t.Errorf("Offset = %d of %d", d.Offset(), len(specContact))
	}
}

func TestEachErrors(t *testing.T) {
	errStop := errors.New("stop here")
	truncated := specContact[:len(specContact)-20]
	tests := []struct {
		name    string
		doc     []byte
		fn      func(d *Decoder) func(Tag) error
		calls   int   // how many times fn runs for the root's children
		want    error // errors.Is target, or nil for a *SyntaxError
		wantSyn bool
	}{
		{"fn error returned unchanged", specContact, func(d *Decoder) func(Tag) error {
			return func(Tag) error { return errStop }
		}, 1, errStop, false},
		{"nested fn error reaches the top", specContact, func(d *Decoder) func(Tag) error {
			var fn func(Tag) error
			fn = func(t Tag) error {
				if t == AirSyncStatus {
					return errStop
				}
				if t == AirSyncCollections || t == AirSyncCollection {
					return d.Each(fn)
				}
				return d.Skip()
			}
			return fn
		}, 1, errStop, false},
		{"truncated document", truncated, func(d *Decoder) func(Tag) error {
			var fn func(Tag) error
			fn = func(t Tag) error {
				if t == AirSyncCollections || t == AirSyncCollection {
					return d.Each(fn)
				}
				return d.Skip()
			}
			return fn
		}, 1, nil, true},
		{"child not consumed", specContact, func(d *Decoder) func(Tag) error {
			return func(Tag) error { return nil }
		}, 1, nil, false},
		{"more than the child consumed", specContact, func(d *Decoder) func(Tag) error {
			return func(Tag) error {
				if err := d.Skip(); err != nil {
					return err
				}
				return d.Skip()
			}
		}, 1, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(bytes.NewReader(tt.doc))
			if _, err := d.Root(); err != nil {
				t.Fatal(err)
			}
			calls := 0
			fn := tt.fn(d)
			err := d.Each(func(tag Tag) error { calls++; return fn(tag) })
			if err == nil {
				t.Fatal("Each succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			var syn *SyntaxError
			if tt.wantSyn != errors.As(err, &syn) {
				t.Errorf("err = %v (%T), SyntaxError wanted: %v", err, err, tt.wantSyn)
			}
			if calls != tt.calls {
				t.Errorf("fn ran %d times, want %d (it must stop at the first error)", calls, tt.calls)
			}
			if tt.want == errStop {
				return // an error of fn's own is not the decoder's
			}
			// Decoder errors, and a misuse Each caught, are sticky.
			if _, _, again := d.Child(); again != err {
				t.Errorf("Child after the error = %v, want the same %v", again, err)
			}
			if again := d.Each(func(Tag) error { t.Error("fn called after a sticky error"); return nil }); again != err {
				t.Errorf("Each after the error = %v, want the same %v", again, err)
			}
		})
	}
}

func TestEachBeforeRoot(t *testing.T) {
	d := NewDecoder(bytes.NewReader(specContact))
	if err := d.Each(func(Tag) error { t.Error("fn called"); return nil }); err == nil {
		t.Error("Each before Root succeeded")
	}
}
