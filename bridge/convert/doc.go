// Package convert turns EAS items (package eas) into iCalendar (go-ical)
// and vCard (go-vcard) values and back, and merges and diffs them for the
// sync engine. Every function is pure: no I/O, and no clock unless
// Options.Now is zero.
//
// # Identity
//
// An event's EAS UID is its iCalendar UID, both ways, so a meeting
// invitation is one object on both sides. An item without a UID
// (contacts, notes and tasks, which EAS gives none, and events from
// servers that send none) gets DeriveUID(ServerId): "eas-" and the first
// 32 hex digits of the SHA-256 of the ServerId, stable across runs and
// machines. MergeCard keeps a UID the client chose.
//
// # Time zones
//
// TZIDs written are IANA names (go-ical resolves them with
// time.LoadLocation; time/tzdata is embedded, so any OS works). A blob is
// read by ZoneOf: its Windows name through the table generated from CLDR
// windowsZones.xml (go generate; internal/genzones), else its rules
// matched against the IANA zones for the event's year. A nil or all-zero
// blob means Options.Local, or UTC when that is nil. Reading iCalendar,
// a TZID may be IANA, Windows (Outlook), vendor-prefixed, or a private
// name whose VTIMEZONE is matched on its rules. All-day events are DATE
// values; EAS puts them at midnight in the event's zone, which travels in
// X-EASBRIDGE-TZID when it is not Options.Local.
//
// # Events
//
// SUMMARY, LOCATION (16.x Location fields as X-EAS- parameters, GEO),
// DESCRIPTION (HTML bodies also as X-ALT-DESC), DTSTART/DTEND, RRULE
// (every EAS pattern, see rruleOf), EXDATE for deleted occurrences,
// overriding VEVENTs with RECURRENCE-ID for modified ones (ExceptionStartTime
// or the 16.x InstanceId), ORGANIZER, ATTENDEE (ROLE, CUTYPE=RESOURCE,
// PARTSTAT, RSVP from ResponseRequested), STATUS:CANCELLED and
// X-EASBRIDGE-MEETINGSTATUS (only when the status is not the one the
// organiser and attendees imply), VALARM DISPLAY -PTnM for the reminder,
// CLASS (Personal is X-PERSONAL, which RFC 5545 readers treat as
// private), TRANSP with X-MICROSOFT-CDO-BUSYSTATUS, CATEGORIES, DTSTAMP,
// X-MICROSOFT-DISALLOW-COUNTER, CONFERENCE for online meeting links.
// Names in parameters use RFC 6868 escapes.
//
// # Contacts
//
// Spouse, children, manager and assistant are RELATED;VALUE=text (TYPE
// spouse, child, x-manager, x-assistant) in vCard 4.0 and Evolution's
// X-EVOLUTION-SPOUSE, X-EVOLUTION-CHILDREN (one per child),
// X-EVOLUTION-MANAGER and X-EVOLUTION-ASSISTANT in 3.0; both, and Apple's
// X-ABRELATEDNAMES with X-ABLabel, are read. CATEGORIES is written one
// property per category, because go-vcard escapes the commas of a joined
// list. Office, customer, government and account ids are
// X-EASBRIDGE-* properties; Yomi names X-PHONETIC-*.
//
// # Preservation
//
// What iCalendar or vCard says and EAS cannot (X- properties, extra
// alarms, colours, ATTACH by URL, RDATE, unknown parameters, a fourth
// e-mail or a third home phone) survives through MergeCalendar and
// MergeCard, which fold a freshly converted server version into the
// stored object instead of replacing it.
//
// # Limits
//
// go-vcard neither escapes nor splits ';' inside N, ADR and ORG
// components, and unescapes "\," everywhere, so a ';' in a name or a ','
// in a category does not survive. EAS numbered slots (Email2 without
// Email1) close up in vCard. A task time outside Options.Local is written
// in the first IANA zone with its offset at that instant (Asia/Kolkata
// for +05:30), not necessarily the zone the user picked. Non-Gregorian recurrences (CalendarType, IsLeapMonth)
// and task OrdinalDate are not carried.
package convert
