package eas

import (
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Task is a Tasks class item (MS-ASTASK). Dates use the dateTime form of
// MS-ASDTYPE 2.3. StartDate, DueDate and ReminderTime are the user's local
// wall-clock times written as if they were UTC (MS-ASTASK 2.2.2.25);
// UtcStartDate and UtcDueDate are the same instants in UTC.
type Task struct {
	Subject       string
	Body          *Body
	Importance    Importance
	StartDate     time.Time
	UtcStartDate  time.Time
	DueDate       time.Time
	UtcDueDate    time.Time
	Complete      bool
	DateCompleted time.Time
	Sensitivity   Sensitivity
	ReminderSet   bool
	ReminderTime  time.Time
	// Recurrence is nil for a task that does not recur.
	Recurrence *Recurrence
	Categories []string
	// OrdinalDate and SubOrdinalDate order tasks (16.0 and later here;
	// the same elements appear in an Email Flag since 12.0).
	OrdinalDate    time.Time
	SubOrdinalDate string
	// Fields records which elements were present.
	Fields Fields
}

// Class returns ClassTasks.
func (*Task) Class() Class { return ClassTasks }

// Release removes the spool file of the task's body.
func (t *Task) Release() error {
	if t == nil {
		return nil
	}
	return t.Body.Release()
}

var taskFields = newFieldTable(
	strField(wbxml.TasksSubject, func(t *Task) *string { return &t.Subject }),
	intField(wbxml.TasksImportance, func(t *Task) *Importance { return &t.Importance }),
	dateField(wbxml.TasksUtcStartDate, dateLong, func(t *Task) *time.Time { return &t.UtcStartDate }),
	dateField(wbxml.TasksStartDate, dateLong, func(t *Task) *time.Time { return &t.StartDate }),
	dateField(wbxml.TasksUtcDueDate, dateLong, func(t *Task) *time.Time { return &t.UtcDueDate }),
	dateField(wbxml.TasksDueDate, dateLong, func(t *Task) *time.Time { return &t.DueDate }),
	boolField(wbxml.TasksComplete, func(t *Task) *bool { return &t.Complete }),
	dateField(wbxml.TasksDateCompleted, dateLong, func(t *Task) *time.Time { return &t.DateCompleted }),
	intField(wbxml.TasksSensitivity, func(t *Task) *Sensitivity { return &t.Sensitivity }),
	boolField(wbxml.TasksReminderSet, func(t *Task) *bool { return &t.ReminderSet }),
	dateField(wbxml.TasksReminderTime, dateLong, func(t *Task) *time.Time { return &t.ReminderTime }),
	dateField(wbxml.TasksOrdinalDate, dateLong, func(t *Task) *time.Time { return &t.OrdinalDate }).sinceV(V160),
	strField(wbxml.TasksSubOrdinalDate, func(t *Task) *string { return &t.SubOrdinalDate }).sinceV(V160),
)

func decodeTask(d *wbxml.Decoder, parent wbxml.Tag, t *Task, opts *DecodeOptions) error {
	return decodeChildren(d, parent, func(tag wbxml.Tag) (bool, error) {
		var err error
		switch tag {
		case wbxml.AirSyncBaseBody:
			t.Body.Release()
			t.Body, err = decodeBody(d, tag, opts)
		case wbxml.TasksCategories:
			t.Categories, err = readStrings(d, tag, wbxml.TasksCategory)
		case wbxml.TasksRecurrence:
			t.Recurrence, err = decodeRecurrence(d, tag, taskRecurrenceFields)
		default:
			return taskFields.decode(d, tag, t, &t.Fields)
		}
		if err == nil {
			t.Fields.Set(tag)
		}
		return true, err
	})
}

func encodeTask(e *wbxml.Encoder, t *Task, en encoding) error {
	fs := &t.Fields
	taskFields.encode(e, t, fs, en)
	writeStrings(e, wbxml.TasksCategories, wbxml.TasksCategory, t.Categories, fs)
	if t.Recurrence != nil {
		encodeRecurrence(e, wbxml.TasksRecurrence, wbxml.TasksType, t.Recurrence, taskRecurrenceFields, en)
	} else if fs.Has(wbxml.TasksRecurrence) {
		e.Empty(wbxml.TasksRecurrence)
	}
	if t.Body != nil {
		return encodeBody(e, wbxml.AirSyncBaseBody, t.Body, en)
	}
	return nil
}
