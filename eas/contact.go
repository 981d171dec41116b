package eas

import (
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Contact is a Contacts class item (MS-ASCNTC), with the elements of both
// the Contacts and the Contacts2 namespaces. Dates are the dateTime form
// of MS-ASDTYPE 2.3; Birthday and Anniversary are calendar dates that
// servers send as midnight UTC (or as the local midnight converted to UTC,
// which the converter has to round).
type Contact struct {
	// Names.
	FileAs          string
	FirstName       string
	MiddleName      string
	LastName        string
	Suffix          string
	Title           string
	YomiFirstName   string
	YomiLastName    string
	YomiCompanyName string
	NickName        string // Contacts2

	// E-mail addresses, as RFC 5322 addresses ("Name <a@b>" or "a@b").
	Email1Address string
	Email2Address string
	Email3Address string

	// Telephone numbers.
	BusinessPhoneNumber  string
	Business2PhoneNumber string
	HomePhoneNumber      string
	Home2PhoneNumber     string
	MobilePhoneNumber    string
	CarPhoneNumber       string
	RadioPhoneNumber     string
	PagerNumber          string
	BusinessFaxNumber    string
	HomeFaxNumber        string
	AssistantPhoneNumber string
	CompanyMainPhone     string // Contacts2
	MMS                  string // Contacts2

	// Addresses (MS-ASCNTC Business/Home/OtherAddress*).
	BusinessAddress PostalAddress
	HomeAddress     PostalAddress
	OtherAddress    PostalAddress

	Birthday    time.Time
	Anniversary time.Time
	// Picture is the photo, usually JPEG (base64 on the wire). An empty
	// Picture element (Fields.IsEmpty(wbxml.ContactsPicture)) removes it.
	Picture []byte

	// Work.
	CompanyName    string
	Department     string
	JobTitle       string
	OfficeLocation string
	ManagerName    string // Contacts2
	AssistantName  string

	WebPage    string
	Body       *Body
	Categories []string
	Children   []string
	Spouse     string

	// Contacts2.
	IMAddress    string
	IMAddress2   string
	IMAddress3   string
	CustomerID   string
	GovernmentID string
	AccountName  string

	// Alias and WeightedRank come only from the server (recipient
	// information cache, 14.0 and later).
	Alias        string
	WeightedRank int

	// Fields records which elements were present.
	Fields Fields
}

// PostalAddress is one of the three addresses of a contact.
type PostalAddress struct {
	Street     string
	City       string
	State      string
	PostalCode string
	Country    string
}

// IsZero reports whether the address is empty.
func (a PostalAddress) IsZero() bool { return a == PostalAddress{} }

// Class returns ClassContacts.
func (*Contact) Class() Class { return ClassContacts }

// Release removes the spool file of the contact's body.
func (c *Contact) Release() error {
	if c == nil {
		return nil
	}
	return c.Body.Release()
}

func cs(tag wbxml.Tag, p func(*Contact) *string) field[Contact] { return strField(tag, p) }

var contactFields = newFieldTable(
	dateField(wbxml.ContactsAnniversary, dateLong, func(c *Contact) *time.Time { return &c.Anniversary }),
	cs(wbxml.ContactsAssistantName, func(c *Contact) *string { return &c.AssistantName }),
	cs(wbxml.ContactsAssistantPhoneNumber, func(c *Contact) *string { return &c.AssistantPhoneNumber }),
	dateField(wbxml.ContactsBirthday, dateLong, func(c *Contact) *time.Time { return &c.Birthday }),
	cs(wbxml.ContactsBusiness2PhoneNumber, func(c *Contact) *string { return &c.Business2PhoneNumber }),
	cs(wbxml.ContactsBusinessAddressCity, func(c *Contact) *string { return &c.BusinessAddress.City }),
	cs(wbxml.ContactsBusinessAddressCountry, func(c *Contact) *string { return &c.BusinessAddress.Country }),
	cs(wbxml.ContactsBusinessAddressPostalCode, func(c *Contact) *string { return &c.BusinessAddress.PostalCode }),
	cs(wbxml.ContactsBusinessAddressState, func(c *Contact) *string { return &c.BusinessAddress.State }),
	cs(wbxml.ContactsBusinessAddressStreet, func(c *Contact) *string { return &c.BusinessAddress.Street }),
	cs(wbxml.ContactsBusinessFaxNumber, func(c *Contact) *string { return &c.BusinessFaxNumber }),
	cs(wbxml.ContactsBusinessPhoneNumber, func(c *Contact) *string { return &c.BusinessPhoneNumber }),
	cs(wbxml.ContactsCarPhoneNumber, func(c *Contact) *string { return &c.CarPhoneNumber }),
	cs(wbxml.ContactsCompanyName, func(c *Contact) *string { return &c.CompanyName }),
	cs(wbxml.ContactsDepartment, func(c *Contact) *string { return &c.Department }),
	cs(wbxml.ContactsEmail1Address, func(c *Contact) *string { return &c.Email1Address }),
	cs(wbxml.ContactsEmail2Address, func(c *Contact) *string { return &c.Email2Address }),
	cs(wbxml.ContactsEmail3Address, func(c *Contact) *string { return &c.Email3Address }),
	cs(wbxml.ContactsFileAs, func(c *Contact) *string { return &c.FileAs }),
	cs(wbxml.ContactsFirstName, func(c *Contact) *string { return &c.FirstName }),
	cs(wbxml.ContactsHome2PhoneNumber, func(c *Contact) *string { return &c.Home2PhoneNumber }),
	cs(wbxml.ContactsHomeAddressCity, func(c *Contact) *string { return &c.HomeAddress.City }),
	cs(wbxml.ContactsHomeAddressCountry, func(c *Contact) *string { return &c.HomeAddress.Country }),
	cs(wbxml.ContactsHomeAddressPostalCode, func(c *Contact) *string { return &c.HomeAddress.PostalCode }),
	cs(wbxml.ContactsHomeAddressState, func(c *Contact) *string { return &c.HomeAddress.State }),
	cs(wbxml.ContactsHomeAddressStreet, func(c *Contact) *string { return &c.HomeAddress.Street }),
	cs(wbxml.ContactsHomeFaxNumber, func(c *Contact) *string { return &c.HomeFaxNumber }),
	cs(wbxml.ContactsHomePhoneNumber, func(c *Contact) *string { return &c.HomePhoneNumber }),
	cs(wbxml.ContactsJobTitle, func(c *Contact) *string { return &c.JobTitle }),
	cs(wbxml.ContactsLastName, func(c *Contact) *string { return &c.LastName }),
	cs(wbxml.ContactsMiddleName, func(c *Contact) *string { return &c.MiddleName }),
	cs(wbxml.ContactsMobilePhoneNumber, func(c *Contact) *string { return &c.MobilePhoneNumber }),
	cs(wbxml.ContactsOfficeLocation, func(c *Contact) *string { return &c.OfficeLocation }),
	cs(wbxml.ContactsOtherAddressCity, func(c *Contact) *string { return &c.OtherAddress.City }),
	cs(wbxml.ContactsOtherAddressCountry, func(c *Contact) *string { return &c.OtherAddress.Country }),
	cs(wbxml.ContactsOtherAddressPostalCode, func(c *Contact) *string { return &c.OtherAddress.PostalCode }),
	cs(wbxml.ContactsOtherAddressState, func(c *Contact) *string { return &c.OtherAddress.State }),
	cs(wbxml.ContactsOtherAddressStreet, func(c *Contact) *string { return &c.OtherAddress.Street }),
	cs(wbxml.ContactsPagerNumber, func(c *Contact) *string { return &c.PagerNumber }),
	cs(wbxml.ContactsRadioPhoneNumber, func(c *Contact) *string { return &c.RadioPhoneNumber }),
	cs(wbxml.ContactsSpouse, func(c *Contact) *string { return &c.Spouse }),
	cs(wbxml.ContactsSuffix, func(c *Contact) *string { return &c.Suffix }),
	cs(wbxml.ContactsTitle, func(c *Contact) *string { return &c.Title }),
	cs(wbxml.ContactsWebPage, func(c *Contact) *string { return &c.WebPage }),
	cs(wbxml.ContactsYomiCompanyName, func(c *Contact) *string { return &c.YomiCompanyName }),
	cs(wbxml.ContactsYomiFirstName, func(c *Contact) *string { return &c.YomiFirstName }),
	cs(wbxml.ContactsYomiLastName, func(c *Contact) *string { return &c.YomiLastName }),
	base64Field(wbxml.ContactsPicture, func(c *Contact) *[]byte { return &c.Picture }),
	cs(wbxml.ContactsAlias, func(c *Contact) *string { return &c.Alias }).ro().sinceV(V140),
	intField(wbxml.ContactsWeightedRank, func(c *Contact) *int { return &c.WeightedRank }).ro().sinceV(V140),
	cs(wbxml.Contacts2CustomerId, func(c *Contact) *string { return &c.CustomerID }),
	cs(wbxml.Contacts2GovernmentId, func(c *Contact) *string { return &c.GovernmentID }),
	cs(wbxml.Contacts2IMAddress, func(c *Contact) *string { return &c.IMAddress }),
	cs(wbxml.Contacts2IMAddress2, func(c *Contact) *string { return &c.IMAddress2 }),
	cs(wbxml.Contacts2IMAddress3, func(c *Contact) *string { return &c.IMAddress3 }),
	cs(wbxml.Contacts2ManagerName, func(c *Contact) *string { return &c.ManagerName }),
	cs(wbxml.Contacts2CompanyMainPhone, func(c *Contact) *string { return &c.CompanyMainPhone }),
	cs(wbxml.Contacts2AccountName, func(c *Contact) *string { return &c.AccountName }),
	cs(wbxml.Contacts2NickName, func(c *Contact) *string { return &c.NickName }),
	cs(wbxml.Contacts2MMS, func(c *Contact) *string { return &c.MMS }),
)

func decodeContact(d *wbxml.Decoder, parent wbxml.Tag, c *Contact, opts *DecodeOptions) error {
	return decodeChildren(d, parent, func(tag wbxml.Tag) (bool, error) {
		var err error
		switch tag {
		case wbxml.AirSyncBaseBody:
			c.Body.Release()
			c.Body, err = decodeBody(d, tag, opts)
		case wbxml.ContactsCategories:
			c.Categories, err = readStrings(d, tag, wbxml.ContactsCategory)
		case wbxml.ContactsChildren:
			c.Children, err = readStrings(d, tag, wbxml.ContactsChild)
		default:
			return contactFields.decode(d, tag, c, &c.Fields)
		}
		if err == nil {
			c.Fields.Set(tag)
		}
		return true, err
	})
}

func encodeContact(e *wbxml.Encoder, c *Contact, en encoding) error {
	fs := &c.Fields
	contactFields.encode(e, c, fs, en)
	writeStrings(e, wbxml.ContactsCategories, wbxml.ContactsCategory, c.Categories, fs)
	writeStrings(e, wbxml.ContactsChildren, wbxml.ContactsChild, c.Children, fs)
	if c.Body != nil {
		return encodeBody(e, wbxml.AirSyncBaseBody, c.Body, en)
	}
	return nil
}
