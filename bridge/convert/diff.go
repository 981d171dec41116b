package convert

import (
	"fmt"
	"reflect"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// Policy decides a field changed on both sides of a three-way merge
// (DESIGN.md, conflicts).
type Policy int

// The policies.
const (
	ServerWins Policy = iota
	ClientWins
)

// diffSkip are the fields that are bookkeeping, not content: presence
// marks, and what only the server sets and the client never sends.
var diffSkip = map[string]bool{
	"Fields": true, "NativeBodyType": true, "AttachmentChanges": true, "Alias": true, "WeightedRank": true,
}

// structOf returns the struct value behind an item pointer, checking
// that all items are of one concrete type.
func structOf(items ...eas.Item) ([]reflect.Value, error) {
	var out []reflect.Value
	var typ reflect.Type
	for _, it := range items {
		v := reflect.ValueOf(it)
		if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("convert: diff of %T: want a non-nil item pointer", it)
		}
		if typ != nil && v.Type() != typ {
			return nil, fmt.Errorf("convert: diff of %v and %v: classes differ", typ, v.Type())
		}
		typ = v.Type()
		out = append(out, v.Elem())
	}
	return out, nil
}

// fieldNames lists the content fields of an item struct type.
func fieldNames(t reflect.Type) []int {
	var out []int
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && !diffSkip[f.Name] {
			out = append(out, i)
		}
	}
	return out
}

// Diff returns the names of the fields (Go field names of the eas item
// type: "Subject", "Attendees", "HomeAddress") whose content differs
// between two items of the same class. Bodies compare by type and data;
// times by instant.
func Diff(a, b eas.Item) ([]string, error) {
	v, err := structOf(a, b)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range fieldNames(v[0].Type()) {
		if !equalValue(v[0].Field(i), v[1].Field(i)) {
			out = append(out, v[0].Type().Field(i).Name)
		}
	}
	return out, nil
}

// MergeResult is the outcome of a three-way merge.
type MergeResult struct {
	// Item is the merged item, a new value of the inputs' type.
	Item eas.Item
	// Conflicts names the fields changed on both sides to different
	// values; the policy chose between them.
	Conflicts []string
	// FromLocal names the fields the merge took from local (changed on
	// the client only, or conflicts the client won): what to send.
	FromLocal []string
}

// Merge3 merges per field: a field changed on one side only takes that
// side's value; changed on both to the same value, that value; changed
// on both differently, the policy's side, reported in Conflicts. The
// merged presence marks are the server's plus those of fields taken from
// local.
func Merge3(base, local, server eas.Item, p Policy) (*MergeResult, error) {
	v, err := structOf(base, local, server)
	if err != nil {
		return nil, err
	}
	b, l, s := v[0], v[1], v[2]
	out := reflect.New(b.Type())
	m := out.Elem()
	m.Set(s)
	res := &MergeResult{}
	for _, i := range fieldNames(b.Type()) {
		name := b.Type().Field(i).Name
		lc, sc := !equalValue(b.Field(i), l.Field(i)), !equalValue(b.Field(i), s.Field(i))
		takeLocal := false
		switch {
		case lc && !sc:
			takeLocal = true
		case lc && sc && !equalValue(l.Field(i), s.Field(i)):
			res.Conflicts = append(res.Conflicts, name)
			takeLocal = p == ClientWins
		}
		if takeLocal {
			m.Field(i).Set(l.Field(i))
			res.FromLocal = append(res.FromLocal, name)
		}
	}
	if f := m.FieldByName("Fields"); f.IsValid() && len(res.FromLocal) > 0 {
		merged := s.FieldByName("Fields").Interface().(eas.Fields)
		lf := l.FieldByName("Fields").Interface().(eas.Fields)
		for _, t := range lf.Tags() {
			if !merged.Has(t) {
				if lf.IsEmpty(t) {
					merged.SetEmpty(t)
				} else {
					merged.Set(t)
				}
			}
		}
		f.Set(reflect.ValueOf(merged))
	}
	res.Item = out.Interface().(eas.Item)
	return res, nil
}

var (
	bodyType = reflect.TypeFor[*eas.Body]()
	timeType = reflect.TypeFor[time.Time]()
)

// equalValue compares field values by content: bodies by their data,
// times by instant, nil and empty slices alike, presence marks ignored.
func equalValue(a, b reflect.Value) bool {
	if a.Type() == bodyType {
		x, y := a.Interface().(*eas.Body), b.Interface().(*eas.Body)
		if x == nil || y == nil {
			return x == nil && y == nil
		}
		return x.Type == y.Type && x.String() == y.String()
	}
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if !f.IsExported() || f.Name == "Fields" {
				continue
			}
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}
