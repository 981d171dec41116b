package eas

// Class names the kind of items a collection holds, as in the AirSync
// Class element (MS-ASCMD 2.2.3.27).
type Class string

// The item classes of MS-ASCMD.
const (
	ClassEmail    Class = "Email"
	ClassCalendar Class = "Calendar"
	ClassContacts Class = "Contacts"
	ClassTasks    Class = "Tasks"
	ClassNotes    Class = "Notes"
	ClassSMS      Class = "SMS"
)

// Item is the application data of one item: *Email, *Event, *Contact,
// *Task or *Note.
type Item interface {
	// Class returns the class of collection the item belongs in.
	Class() Class
}
