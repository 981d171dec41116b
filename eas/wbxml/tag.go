package wbxml

import "fmt"

// Tag identifies an element: the code page in the high byte and the token
// (0x05..0x3F, [MS-ASWBXML] section 2.1.2.1) in the low byte.
type Tag uint16

// Page returns the code page of t.
func (t Tag) Page() uint8 { return uint8(t >> 8) }

// Token returns the token of t within its code page.
func (t Tag) Token() uint8 { return uint8(t) }

// String returns "Page:Element" with the [MS-ASWBXML] names, for example
// "AirSync:Sync"; a tag not in the tables is shown as "Page7:0x2A".
func (t Tag) String() string {
	if name, ok := t.name(); ok {
		return pageNames[t.Page()] + ":" + name
	}
	return fmt.Sprintf("Page%d:0x%02X", t.Page(), t.Token())
}

// name returns the element name of t, if the tables define it.
func (t Tag) name() (string, bool) {
	if int(t.Page()) >= numPages || t.Token() > 0x3F {
		return "", false
	}
	name := tagNames[t.Page()][t.Token()]
	return name, name != ""
}

// known reports whether t is defined by the code page tables.
func (t Tag) known() bool {
	_, ok := t.name()
	return ok
}

// valid reports whether t can stand in a document: a token of 0x05..0x3F
// on one of the code pages 0..25. A token the table does not name is
// valid: a server newer than the table may send elements added to a page
// later, and a reader that does not know an element skips it.
func (t Tag) valid() bool {
	return int(t.Page()) < numPages && t.Token() >= 0x05 && t.Token() <= 0x3F
}

// byName maps "Page:Element" to its tag; built once from the tables.
var byName = func() map[string]Tag {
	m := make(map[string]Tag, 700)
	for p := range numPages {
		for tok, name := range tagNames[p] {
			if name != "" {
				m[pageNames[p]+":"+name] = Tag(p<<8 | tok)
			}
		}
	}
	return m
}()

// TagByName returns the tag named name in code page page, both spelled as
// in [MS-ASWBXML] (for example "AirSyncBase", "Body").
func TagByName(page, name string) (Tag, bool) {
	t, ok := byName[page+":"+name]
	return t, ok
}

// PageName returns the [MS-ASWBXML] name of code page page.
func PageName(page uint8) (string, bool) {
	if int(page) >= numPages {
		return "", false
	}
	return pageNames[page], true
}

// pageByName returns the number of the code page called name.
func pageByName(name string) (uint8, bool) {
	for i, n := range pageNames {
		if n == name {
			return uint8(i), true
		}
	}
	return 0, false
}
