package convert

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-vcard"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// maxPhoto bounds a photo taken from a vCard; EAS servers refuse far
// smaller ones (Exchange: 48 KB by default), but we leave that to them.
const maxPhoto = 8 << 20

// VCardToContact converts a vCard (3.0 or 4.0) into an EAS contact.
// Values EAS has no room for (a fourth e-mail, a third home phone, a
// photo by URL) are not converted; MergeCard keeps them in the stored
// card.
func VCardToContact(card vcard.Card, opts Options) (*eas.Contact, error) {
	if card == nil {
		return nil, fmt.Errorf("convert: nil vCard")
	}
	c := &eas.Contact{}
	if n := card.Name(); n != nil {
		c.LastName, c.FirstName, c.MiddleName = n.FamilyName, n.GivenName, n.AdditionalName
		c.Title, c.Suffix = n.HonorificPrefix, n.HonorificSuffix
	}
	// FileAs always carries the formatted name, as Outlook sets it: a
	// server that does not derive it would file and show the contact with
	// no name (MS-ASCNTC 2.2.2.31). FillFileAs gives server items without
	// one the same value, so comparisons see no difference.
	c.FileAs = card.Value(vcard.FieldFormattedName)
	c.NickName = card.Value(vcard.FieldNickname)
	c.YomiFirstName, c.YomiLastName = card.Value(vcYomiFirst), card.Value(vcYomiLast)
	c.YomiCompanyName = card.Value(vcYomiCompany)
	for i, f := range ordered(card[vcard.FieldEmail]) {
		if i < 3 {
			*emails(c)[i] = f.Value
		}
	}
	assignPhones(c, card[vcard.FieldTelephone])
	assignAddresses(c, card[vcard.FieldAddress])
	var err error
	if c.Birthday, err = readDate(card, vcard.FieldBirthday); err != nil {
		return nil, err
	}
	for _, k := range []string{vcard.FieldAnniversary, vcAnniversary3, "X-EVOLUTION-ANNIVERSARY", "X-MS-ANNIVERSARY"} {
		if c.Anniversary, err = readDate(card, k); err != nil || !c.Anniversary.IsZero() {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if c.Picture, err = readPhoto(card); err != nil {
		return nil, err
	}
	if org := card.Value(vcard.FieldOrganization); org != "" {
		c.CompanyName, c.Department, _ = strings.Cut(org, ";")
		c.Department, _, _ = strings.Cut(c.Department, ";")
	}
	c.JobTitle, c.OfficeLocation = card.Value(vcard.FieldTitle), card.Value(vcOffice)
	c.WebPage = card.Value(vcard.FieldURL)
	if note := card.Value(vcard.FieldNote); note != "" {
		c.Body = eas.NewBody(eas.BodyPlain, []byte(note))
	}
	for _, f := range card[vcard.FieldCategories] {
		for _, s := range strings.Split(f.Value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.Categories = append(c.Categories, s)
			}
		}
	}
	for i, f := range card[vcard.FieldIMPP] {
		if i < 3 {
			*ims(c)[i] = f.Value
		}
	}
	readRelated(card, c)
	c.CustomerID, c.GovernmentID = card.Value(vcCustomerID), card.Value(vcGovernmentID)
	c.AccountName = card.Value(vcAccountName)
	markContact(c)
	return c, nil
}

// ordered returns fields with the preferred one first, the rest in
// their order.
func ordered(fs []*vcard.Field) []*vcard.Field {
	if len(fs) < 2 {
		return fs
	}
	best := vcard.Card{"X": fs}.Preferred("X")
	out := []*vcard.Field{best}
	for _, f := range fs {
		if f != best {
			out = append(out, f)
		}
	}
	return out
}

func typeSet(f *vcard.Field) map[string]bool {
	t := map[string]bool{}
	for _, v := range f.Params.Types() {
		t[strings.ToLower(strings.TrimSpace(v))] = true
	}
	return t
}

// phoneAssignment gives, for each TEL field, the index of the phone slot
// it fills, or -1.
func phoneAssignment(fs []*vcard.Field) []int {
	taken := make([]bool, len(phoneSlots))
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = -1
		t := typeSet(f)
		for j, s := range phoneSlots {
			if !taken[j] && s.match(t) {
				taken[j], out[i] = true, j
				break
			}
		}
	}
	return out
}

func assignPhones(c *eas.Contact, fs []*vcard.Field) {
	for i, j := range phoneAssignment(fs) {
		if j >= 0 {
			*phoneSlots[j].get(c) = strings.TrimPrefix(fs[i].Value, "tel:")
		}
	}
}

func addrAssignment(fs []*vcard.Field) []int {
	taken := make([]bool, len(addrSlots))
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = -1
		t := typeSet(f)
		for j, s := range addrSlots {
			if !taken[j] && s.match(t) {
				taken[j], out[i] = true, j
				break
			}
		}
	}
	return out
}

func assignAddresses(c *eas.Contact, fs []*vcard.Field) {
	for i, j := range addrAssignment(fs) {
		if j < 0 {
			continue
		}
		parts := strings.Split(fs[i].Value, ";")
		get := func(k int) string {
			if k < len(parts) {
				return parts[k]
			}
			return ""
		}
		street := get(2)
		if ext := get(1); ext != "" { // EAS has one street line
			street = strings.TrimSpace(street + "\n" + ext)
		}
		*addrSlots[j].get(c) = eas.PostalAddress{Street: street, City: get(3), State: get(4), PostalCode: get(5), Country: get(6)}
	}
}

// readDate reads BDAY-like values: 19800517, 1980-05-17, with a time
// part (ignored); a date without a year (--0517) is not representable
// and is skipped.
func readDate(card vcard.Card, k string) (time.Time, error) {
	v := strings.TrimSpace(card.Value(k))
	if v == "" || strings.HasPrefix(v, "--") {
		return time.Time{}, nil
	}
	if i := strings.IndexByte(v, 'T'); i > 0 {
		v = v[:i]
	}
	for _, l := range []string{"20060102", "2006-01-02"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("convert: %s: malformed date %q", k, v)
}

// readPhoto reads an inline PHOTO: base64 with ENCODING=b (3.0) or a
// data: URI (4.0). A photo by URL is left to the stored card.
func readPhoto(card vcard.Card) ([]byte, error) {
	f := card.Preferred(vcard.FieldPhoto)
	if f == nil {
		return nil, nil
	}
	v := strings.TrimSpace(f.Value)
	enc := strings.ToLower(f.Params.Get("ENCODING"))
	switch {
	case enc == "b" || enc == "base64":
	case strings.HasPrefix(v, "data:"):
		meta, data, ok := strings.Cut(v, ",")
		if !ok || !strings.HasSuffix(meta, ";base64") {
			return nil, nil
		}
		v = data
	default:
		return nil, nil
	}
	if base64.StdEncoding.DecodedLen(len(v)) > maxPhoto {
		return nil, fmt.Errorf("convert: PHOTO larger than %d bytes", maxPhoto)
	}
	v = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, v)
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(v, "=")); err != nil {
			return nil, fmt.Errorf("convert: PHOTO: %w", err)
		}
	}
	return b, nil
}

// readRelated reads RELATED (4.0), Evolution's X- properties (3.0) and
// Apple's X-ABRELATEDNAMES with its X-ABLabel.
func readRelated(card vcard.Card, c *eas.Contact) {
	set := func(kind, v string) {
		switch {
		case kind == relChild:
			c.Children = append(c.Children, v)
		default:
			for _, k := range relatedKinds {
				if k.rel == kind && *k.get(c) == "" {
					*k.get(c) = v
				}
			}
		}
	}
	for _, f := range card[vcard.FieldRelated] {
		for _, t := range f.Params.Types() {
			set(t, f.Value)
		}
	}
	for _, k := range relatedKinds {
		if v := card.Value(k.x); v != "" && *k.get(c) == "" {
			*k.get(c) = v
		}
	}
	if len(c.Children) == 0 {
		for _, f := range card[xChild] {
			for _, s := range strings.Split(f.Value, ",") {
				if s = strings.TrimSpace(s); s != "" {
					c.Children = append(c.Children, s)
				}
			}
		}
	}
	apple := map[string]string{"_$!<spouse>!$_": "spouse", "_$!<child>!$_": relChild,
		"_$!<manager>!$_": "x-manager", "_$!<assistant>!$_": "x-assistant"}
	for _, f := range card["X-ABRELATEDNAMES"] {
		if f.Group == "" {
			continue
		}
		for _, l := range card["X-ABLABEL"] {
			if l.Group == f.Group {
				if kind, ok := apple[strings.ToLower(l.Value)]; ok {
					set(kind, f.Value)
				}
			}
		}
	}
	if len(c.Children) > 0 {
		c.Fields.Set(wbxml.ContactsChildren)
	}
}
