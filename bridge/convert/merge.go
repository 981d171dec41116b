package convert

import (
	"slices"
	"strings"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"
)

// MergeCalendar folds a calendar freshly converted from a server item
// (EventToICal, TaskToICal, NoteToICal) into the stored object the
// desktop client wrote, and returns the result; stored is not modified.
//
// The properties EAS carries are taken from fresh; everything else of
// stored survives: X- properties, COLOR, ATTACH by URL, RDATE, the
// calendar's own properties, and alarms beyond the first (the one EAS
// calls the reminder). A property whose value did not change keeps its
// stored parameters (unknown ones included); an ATTENDEE keeps its
// unknown parameters. Occurrences (RECURRENCE-ID) pair by their ID; one
// the server no longer has is dropped.
func MergeCalendar(stored, fresh *ical.Calendar) *ical.Calendar {
	if stored == nil {
		return fresh
	}
	out := ical.NewCalendar()
	out.Props = cloneProps(stored.Props)
	for k, v := range fresh.Props {
		if _, ok := out.Props[k]; !ok {
			out.Props[k] = v
		}
	}
	old := map[string]*ical.Component{}
	for _, c := range stored.Children {
		if c.Name != ical.CompTimezone {
			old[c.Name+"|"+propValue(c, ical.PropRecurrenceID)] = c
		}
	}
	tzs := map[string]bool{}
	for _, c := range fresh.Children {
		if c.Name == ical.CompTimezone {
			tzs[propValue(c, ical.PropTimezoneID)] = true
			out.Children = append(out.Children, c)
		}
	}
	for _, c := range stored.Children { // keep private zones still referenced
		if c.Name == ical.CompTimezone && !tzs[propValue(c, ical.PropTimezoneID)] {
			out.Children = append(out.Children, c)
		}
	}
	for _, c := range fresh.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		if s, ok := old[c.Name+"|"+propValue(c, ical.PropRecurrenceID)]; ok {
			c = mergeComponent(s, c)
		}
		out.Children = append(out.Children, c)
	}
	return out
}

func cloneProps(p ical.Props) ical.Props {
	out := make(ical.Props, len(p))
	for k, v := range p {
		out[k] = slices.Clone(v)
	}
	return out
}

// managedProps lists the properties a component kind gets from EAS.
func managedProps(name string) []string {
	switch name {
	case ical.CompToDo:
		return todoProps
	case ical.CompJournal:
		return []string{ical.PropUID, ical.PropDateTimeStamp, ical.PropSummary, ical.PropDescription,
			propAltDesc, ical.PropCategories, ical.PropLastModified, propMessageClass}
	}
	return eventProps
}

func mergeComponent(stored, fresh *ical.Component) *ical.Component {
	out := ical.NewComponent(fresh.Name)
	out.Props = cloneProps(stored.Props)
	for _, name := range managedProps(fresh.Name) {
		fp, sp := fresh.Props[name], stored.Props[name]
		switch {
		case len(fp) == 0:
			delete(out.Props, name)
		case name == ical.PropAttendee || name == ical.PropOrganizer:
			out.Props[name] = mergeAddresses(sp, fp)
		case sameValues(sp, fp):
			// unchanged: keep the stored form and its parameters
		case len(sp) > 0 && name == ical.PropDescription && fp[0].Params.Get(paramTruncated) != "":
			// the server sent a cut body: the stored text is the better one
		default:
			out.Props[name] = fp
		}
	}
	// Alarms: the first relative alarm is the EAS reminder; the others
	// are the client's own.
	var freshAlarm *ical.Component
	for _, ch := range fresh.Children {
		if ch.Name == ical.CompAlarm {
			freshAlarm = ch
		}
	}
	replaced := false
	for _, ch := range stored.Children {
		if ch.Name == ical.CompAlarm && !replaced && isReminderAlarm(ch) {
			replaced = true
			if freshAlarm != nil {
				out.Children = append(out.Children, mergeAlarm(ch, freshAlarm))
				freshAlarm = nil
			}
			continue
		}
		out.Children = append(out.Children, ch)
	}
	if freshAlarm != nil {
		out.Children = append([]*ical.Component{freshAlarm}, out.Children...)
	}
	return out
}

// isReminderAlarm reports whether an alarm is one EAS can carry (see
// reminderOf and absoluteAlarm: the first such alarm is the reminder).
func isReminderAlarm(a *ical.Component) bool {
	tp := a.Props.Get(ical.PropTrigger)
	if tp == nil {
		return false
	}
	if strings.EqualFold(tp.Params.Get(ical.ParamValue), "DATE-TIME") {
		return true
	}
	d, err := tp.Duration()
	return err == nil && d <= 0 && !strings.EqualFold(tp.Params.Get(ical.ParamRelated), "END")
}

// mergeAlarm keeps the stored alarm (its sound, its X- properties) with
// the fresh trigger.
func mergeAlarm(stored, fresh *ical.Component) *ical.Component {
	out := ical.NewComponent(ical.CompAlarm)
	out.Props = cloneProps(stored.Props)
	if !sameValues(stored.Props[ical.PropTrigger], fresh.Props[ical.PropTrigger]) {
		out.Props[ical.PropTrigger] = fresh.Props[ical.PropTrigger]
	}
	out.Children = stored.Children
	return out
}

func sameValues(a, b []ical.Prop) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Value != b[i].Value || a[i].Params.Get(ical.ParamTimezoneID) != b[i].Params.Get(ical.ParamTimezoneID) {
			return false
		}
	}
	return true
}

// mergeAddresses takes fresh ATTENDEE/ORGANIZER properties, each keeping
// the parameters its stored twin (same address) had that fresh does not
// set.
func mergeAddresses(stored, fresh []ical.Prop) []ical.Prop {
	out := make([]ical.Prop, 0, len(fresh))
	for _, f := range fresh {
		p := ical.Prop{Name: f.Name, Value: f.Value, Params: ical.Params{}}
		for _, s := range stored {
			if strings.EqualFold(s.Value, f.Value) {
				for k, v := range s.Params {
					p.Params[k] = v
				}
				if f.Params.Get(ical.ParamRSVP) == "" {
					p.Params.Del(ical.ParamRSVP)
				}
				if f.Params.Get(ical.ParamParticipationStatus) == "" {
					p.Params.Del(ical.ParamParticipationStatus)
				}
				break
			}
		}
		for k, v := range f.Params {
			p.Params[k] = v
		}
		out = append(out, p)
	}
	return out
}

// cardManaged are the vCard properties ContactToVCard writes as a whole.
// TEL, EMAIL, ADR, IMPP and PHOTO are merged by slot instead.
var cardManaged = []string{
	vcard.FieldFormattedName, vcard.FieldName, vcard.FieldNickname, vcYomiFirst, vcYomiLast, vcYomiCompany,
	vcard.FieldBirthday, vcard.FieldAnniversary, vcAnniversary3, vcard.FieldOrganization, vcard.FieldTitle,
	vcOffice, vcard.FieldURL, vcard.FieldNote, vcard.FieldCategories, vcard.FieldRelated,
	"X-EVOLUTION-SPOUSE", "X-EVOLUTION-MANAGER", "X-EVOLUTION-ASSISTANT", xChild,
	vcCustomerID, vcGovernmentID, vcAccountName,
}

// MergeCard folds a card freshly converted from a server contact into
// the stored card and returns the result; stored is not modified. The
// stored UID, VERSION, X- properties, groups and unknown parameters
// survive; of TEL, EMAIL, ADR and IMPP, the stored values that held an
// EAS slot are replaced by the server's and the others (a fourth e-mail,
// a fax EAS has no room for) stay; a PHOTO by URL stays unless the server
// sends a photo.
func MergeCard(stored, fresh vcard.Card) vcard.Card {
	if stored == nil {
		return fresh
	}
	out := vcard.Card{}
	for k, v := range stored {
		out[k] = slices.Clone(v)
	}
	for _, k := range cardManaged {
		if fv, ok := fresh[k]; ok {
			if !sameCardValues(stored[k], fv) {
				out[k] = fv
			}
		} else {
			delete(out, k)
		}
	}
	out[vcard.FieldTelephone] = mergeSlots(stored[vcard.FieldTelephone], fresh[vcard.FieldTelephone], phoneAssignment)
	out[vcard.FieldAddress] = mergeSlots(stored[vcard.FieldAddress], fresh[vcard.FieldAddress], addrAssignment)
	out[vcard.FieldEmail] = mergeSlots(stored[vcard.FieldEmail], fresh[vcard.FieldEmail], firstN(3))
	out[vcard.FieldIMPP] = mergeSlots(stored[vcard.FieldIMPP], fresh[vcard.FieldIMPP], firstN(3))
	if fp, ok := fresh[vcard.FieldPhoto]; ok {
		out[vcard.FieldPhoto] = fp
	} else if sp := stored.Get(vcard.FieldPhoto); sp != nil && isInlinePhoto(sp) {
		delete(out, vcard.FieldPhoto) // the server removed it
	}
	for k, v := range out {
		if len(v) == 0 {
			delete(out, k)
		}
	}
	if _, ok := out[vcard.FieldUID]; !ok {
		out[vcard.FieldUID] = fresh[vcard.FieldUID]
	}
	return out
}

func isInlinePhoto(f *vcard.Field) bool {
	return f.Params.Get("ENCODING") != "" || strings.HasPrefix(f.Value, "data:")
}

func firstN(n int) func([]*vcard.Field) []int {
	return func(fs []*vcard.Field) []int {
		out := make([]int, len(fs))
		for i := range fs {
			out[i] = i
			if i >= n {
				out[i] = -1
			}
		}
		return out
	}
}

// mergeSlots keeps the stored fields no EAS slot took, after the fresh
// ones; a fresh field equal to a stored one keeps the stored form.
func mergeSlots(stored, fresh []*vcard.Field, assign func([]*vcard.Field) []int) []*vcard.Field {
	var out []*vcard.Field
	for _, f := range fresh {
		kept := f
		for _, s := range stored {
			if s.Value == f.Value {
				kept = s
				break
			}
		}
		out = append(out, kept)
	}
	for i, slot := range assign(stored) {
		if slot < 0 {
			out = append(out, stored[i])
		}
	}
	return out
}

func sameCardValues(a, b []*vcard.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}
