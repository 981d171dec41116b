package convert

import (
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-vcard"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// vCard properties of our own for Contacts fields vCard has no word for.
const (
	vcOffice       = "X-EASBRIDGE-OFFICE"
	vcCustomerID   = "X-EASBRIDGE-CUSTOMERID"
	vcGovernmentID = "X-EASBRIDGE-GOVERNMENTID"
	vcAccountName  = "X-EASBRIDGE-ACCOUNTNAME"
	vcYomiFirst    = "X-PHONETIC-FIRST-NAME"
	vcYomiLast     = "X-PHONETIC-LAST-NAME"
	vcYomiCompany  = "X-PHONETIC-ORG"
	vcAnniversary3 = "X-ANNIVERSARY"
)

// phoneSlot is one EAS telephone field and the TEL types that say it.
type phoneSlot struct {
	get   func(*eas.Contact) *string
	types []string // written
	match func(types map[string]bool) bool
}

func has(t map[string]bool, names ...string) bool {
	for _, n := range names {
		if t[n] {
			return true
		}
	}
	return false
}

// phoneSlots in the order a TEL is offered to them when read: the first
// free slot whose match accepts the TEL's types takes it. A TEL no slot
// takes stays in the stored card only (MergeCard).
var phoneSlots = []phoneSlot{
	{func(c *eas.Contact) *string { return &c.HomeFaxNumber }, []string{"home", "fax"}, func(t map[string]bool) bool { return t["fax"] && t["home"] }},
	{func(c *eas.Contact) *string { return &c.BusinessFaxNumber }, []string{"work", "fax"}, func(t map[string]bool) bool { return t["fax"] }},
	{func(c *eas.Contact) *string { return &c.PagerNumber }, []string{"pager"}, func(t map[string]bool) bool { return t["pager"] }},
	{func(c *eas.Contact) *string { return &c.MobilePhoneNumber }, []string{"cell"}, func(t map[string]bool) bool { return has(t, "cell", "mobile", "iphone") }},
	{func(c *eas.Contact) *string { return &c.CarPhoneNumber }, []string{"car"}, func(t map[string]bool) bool { return t["car"] }},
	{func(c *eas.Contact) *string { return &c.RadioPhoneNumber }, []string{"x-radio"}, func(t map[string]bool) bool { return has(t, "x-radio", "radio") }},
	{func(c *eas.Contact) *string { return &c.AssistantPhoneNumber }, []string{"x-assistant"}, func(t map[string]bool) bool { return has(t, "x-assistant", "assistant") }},
	{func(c *eas.Contact) *string { return &c.CompanyMainPhone }, []string{"x-company-main"}, func(t map[string]bool) bool { return has(t, "x-company-main", "main", "company") }},
	{func(c *eas.Contact) *string { return &c.MMS }, []string{"x-mms"}, func(t map[string]bool) bool { return has(t, "x-mms", "mms", "msg") }},
	{func(c *eas.Contact) *string { return &c.BusinessPhoneNumber }, []string{"work", "voice"}, func(t map[string]bool) bool { return t["work"] }},
	{func(c *eas.Contact) *string { return &c.Business2PhoneNumber }, []string{"work", "voice"}, func(t map[string]bool) bool { return t["work"] }},
	{func(c *eas.Contact) *string { return &c.HomePhoneNumber }, []string{"home", "voice"}, func(t map[string]bool) bool { return !has(t, "work") }},
	{func(c *eas.Contact) *string { return &c.Home2PhoneNumber }, []string{"home", "voice"}, func(t map[string]bool) bool { return !has(t, "work") }},
}

// addrSlot is one EAS postal address and its ADR type.
var addrSlots = []struct {
	get   func(*eas.Contact) *eas.PostalAddress
	typ   string
	match func(t map[string]bool) bool
}{
	{func(c *eas.Contact) *eas.PostalAddress { return &c.BusinessAddress }, "work", func(t map[string]bool) bool { return t["work"] }},
	{func(c *eas.Contact) *eas.PostalAddress { return &c.HomeAddress }, "home", func(t map[string]bool) bool { return t["home"] }},
	{func(c *eas.Contact) *eas.PostalAddress { return &c.OtherAddress }, "x-other", func(t map[string]bool) bool { return !t["work"] && !t["home"] }},
}

func emails(c *eas.Contact) []*string {
	return []*string{&c.Email1Address, &c.Email2Address, &c.Email3Address}
}

func ims(c *eas.Contact) []*string { return []*string{&c.IMAddress, &c.IMAddress2, &c.IMAddress3} }

// ContactToVCard converts an EAS contact into a vCard of the given
// version ("3.0" or "4.0"; what the address book advertises).
func ContactToVCard(c *eas.Contact, version string, opts Options) (vcard.Card, error) {
	if c == nil {
		return nil, fmt.Errorf("convert: nil contact")
	}
	if version != "3.0" && version != "4.0" {
		return nil, fmt.Errorf("convert: vCard version %q, want 3.0 or 4.0", version)
	}
	v4 := version == "4.0"
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, version)
	card.SetValue(vcard.FieldUID, DeriveUID(opts.ServerID))
	card.SetName(&vcard.Name{FamilyName: c.LastName, GivenName: c.FirstName, AdditionalName: c.MiddleName,
		HonorificPrefix: c.Title, HonorificSuffix: c.Suffix})
	fn := c.FileAs
	if fn == "" {
		fn = displayName(c)
	}
	card.SetValue(vcard.FieldFormattedName, fn)
	setNonEmpty(card, vcard.FieldNickname, c.NickName)
	setNonEmpty(card, vcYomiFirst, c.YomiFirstName)
	setNonEmpty(card, vcYomiLast, c.YomiLastName)
	setNonEmpty(card, vcYomiCompany, c.YomiCompanyName)
	for _, e := range emails(c) {
		if *e == "" {
			continue
		}
		f := &vcard.Field{Value: emailAddress(*e), Params: vcard.Params{vcard.ParamType: {"internet"}}}
		if len(card[vcard.FieldEmail]) == 0 {
			setPref(f, v4)
		}
		card.Add(vcard.FieldEmail, f)
	}
	for _, s := range phoneSlots {
		if v := *s.get(c); v != "" {
			card.Add(vcard.FieldTelephone, &vcard.Field{Value: v, Params: vcard.Params{vcard.ParamType: s.types}})
		}
	}
	for _, s := range addrSlots {
		a := s.get(c)
		if a.IsZero() {
			continue
		}
		ad := &vcard.Address{Field: &vcard.Field{Params: vcard.Params{vcard.ParamType: {s.typ}}},
			StreetAddress: a.Street, Locality: a.City, Region: a.State, PostalCode: a.PostalCode, Country: a.Country}
		card.AddAddress(ad)
	}
	writeDate(card, vcard.FieldBirthday, c.Birthday, v4)
	if v4 {
		writeDate(card, vcard.FieldAnniversary, c.Anniversary, v4)
	} else {
		writeDate(card, vcAnniversary3, c.Anniversary, v4)
	}
	if len(c.Picture) > 0 {
		writePhoto(card, c.Picture, v4)
	}
	if c.CompanyName != "" || c.Department != "" {
		card.SetValue(vcard.FieldOrganization, c.CompanyName+";"+c.Department)
	}
	setNonEmpty(card, vcard.FieldTitle, c.JobTitle)
	setNonEmpty(card, vcOffice, c.OfficeLocation)
	setNonEmpty(card, vcard.FieldURL, c.WebPage)
	if note := bodyText(c.Body); note != "" && (c.Body.Type == eas.BodyPlain || c.Body.Type == 0) {
		card.SetValue(vcard.FieldNote, note)
	}
	// One CATEGORIES per category: go-vcard escapes the commas of a
	// joined list, which readers would take for one category.
	for _, cat := range c.Categories {
		card.Add(vcard.FieldCategories, &vcard.Field{Value: cat})
	}
	for _, im := range ims(c) {
		if *im != "" {
			card.Add(vcard.FieldIMPP, &vcard.Field{Value: *im})
		}
	}
	writeRelated(card, c, v4)
	setNonEmpty(card, vcCustomerID, c.CustomerID)
	setNonEmpty(card, vcGovernmentID, c.GovernmentID)
	setNonEmpty(card, vcAccountName, c.AccountName)
	return card, nil
}

func setNonEmpty(card vcard.Card, k, v string) {
	if v != "" {
		card.SetValue(k, v)
	}
}

func setPref(f *vcard.Field, v4 bool) {
	if v4 {
		f.Params.Set(vcard.ParamPreferred, "1")
	} else {
		f.Params.Add(vcard.ParamType, "pref")
	}
}

// FillFileAs gives a contact without FileAs the name it is shown by
// (ContactToVCard's FN), which is what VCardToContact sends back: an item
// from a server that leaves FileAs empty then compares equal to its own
// round trip.
func FillFileAs(c *eas.Contact) {
	if c.FileAs == "" {
		c.FileAs = displayName(c)
	}
}

// displayName composes the formatted name of a contact without FileAs.
func displayName(c *eas.Contact) string {
	var parts []string
	for _, s := range []string{c.Title, c.FirstName, c.MiddleName, c.LastName, c.Suffix} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, " ")
	}
	for _, s := range []string{c.NickName, c.CompanyName, emailAddress(c.Email1Address)} {
		if s != "" {
			return s
		}
	}
	return ""
}

// emailAddress reduces an RFC 5322 address ("Name" <a@b>) to a@b.
func emailAddress(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return strings.TrimSpace(s)
}

// writeDate writes a calendar date: 1980-05-17 in 3.0, 19800517 in 4.0.
func writeDate(card vcard.Card, k string, t time.Time, v4 bool) {
	if t.IsZero() {
		return
	}
	d := contactDay(t)
	if v4 {
		card.SetValue(k, d.Format("20060102"))
	} else {
		card.SetValue(k, d.Format("2006-01-02"))
	}
}

// contactDay rounds a contact date to the calendar day it stands for:
// servers send midnight UTC or a local midnight converted to UTC
// (MS-ASCNTC 2.2.2.6), so the nearest midnight UTC is the day.
func contactDay(t time.Time) time.Time {
	t = t.UTC().Add(12 * time.Hour)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func writePhoto(card vcard.Card, pic []byte, v4 bool) {
	b64 := base64.StdEncoding.EncodeToString(pic)
	mt := photoType(pic)
	if v4 {
		card.Set(vcard.FieldPhoto, &vcard.Field{Value: "data:image/" + mt + ";base64," + b64, Params: vcard.Params{}})
		return
	}
	card.Set(vcard.FieldPhoto, &vcard.Field{Value: b64, Params: vcard.Params{"ENCODING": {"b"}, vcard.ParamType: {strings.ToUpper(mt)}}})
}

// photoType names the image format from its magic bytes (EAS pictures
// are JPEG, but servers pass on what clients gave them).
func photoType(b []byte) string {
	switch {
	case len(b) > 3 && string(b[1:4]) == "PNG":
		return "png"
	case len(b) > 3 && string(b[:3]) == "GIF":
		return "gif"
	}
	return "jpeg"
}

// Related people: RELATED;VALUE=text in 4.0, Evolution's X- properties
// in 3.0.
var relatedKinds = []struct {
	rel, x string
	get    func(*eas.Contact) *string
}{
	{"spouse", "X-EVOLUTION-SPOUSE", func(c *eas.Contact) *string { return &c.Spouse }},
	{"x-manager", "X-EVOLUTION-MANAGER", func(c *eas.Contact) *string { return &c.ManagerName }},
	{"x-assistant", "X-EVOLUTION-ASSISTANT", func(c *eas.Contact) *string { return &c.AssistantName }},
}

const (
	relChild = "child"
	xChild   = "X-EVOLUTION-CHILDREN"
)

func writeRelated(card vcard.Card, c *eas.Contact, v4 bool) {
	add := func(rel, x, v string) {
		if v4 {
			card.Add(vcard.FieldRelated, &vcard.Field{Value: v, Params: vcard.Params{"VALUE": {"text"}, vcard.ParamType: {rel}}})
		} else {
			card.Add(x, &vcard.Field{Value: v})
		}
	}
	for _, k := range relatedKinds {
		if v := *k.get(c); v != "" {
			add(k.rel, k.x, v)
		}
	}
	for _, ch := range c.Children {
		add(relChild, xChild, ch)
	}
}

// markContact marks every non-zero field of a contact built from a vCard
// present, so that EncodeItem sends it.
func markContact(c *eas.Contact) {
	if len(c.Categories) > 0 {
		c.Fields.Set(wbxml.ContactsCategories)
	}
	if len(c.Children) > 0 {
		c.Fields.Set(wbxml.ContactsChildren)
	}
	if c.Body != nil {
		c.Fields.Set(wbxml.AirSyncBaseBody)
	}
}
