// Package convert turns EAS items (package eas) into iCalendar
// (go-ical) and vCard (go-vcard) values and back, and merges and diffs
// them for the sync engine. Every function is pure: no I/O, no clock
// unless Options.Now is zero.
//
// Mapping rules worth knowing (details at each function):
//
//   - Identity: an event's EAS UID is its iCalendar UID. An item without
//     one (contacts, notes, tasks, and events from servers that send no
//     UID) gets DeriveUID(ServerID): "eas-" and the first 32 hex digits of
//     SHA-256 of the ServerId, stable across runs and machines.
//   - Time zones: TZIDs written are IANA names (go-ical resolves them with
//     time.LoadLocation; time/tzdata is embedded). Windows names map
//     through a table generated from CLDR windowsZones.xml; a blob with no
//     known name is matched on its rules; a nil or all-zero blob means
//     Options.Local, or UTC when that is nil (ZoneOf).
//   - All-day events are DATE values; their zone travels in
//     X-EASBRIDGE-TZID so that midnight is restored in the same zone.
//   - What iCalendar or vCard says and EAS cannot (X- properties, extra
//     alarms, colours, ATTACH by URL, unknown parameters, surplus phone
//     numbers) survives through MergeCalendar and MergeCard, which fold a
//     freshly converted server version into the stored object.
//   - Contacts: spouse, children, manager and assistant are written as
//     RELATED;VALUE=text (TYPE spouse, child, x-manager, x-assistant) in
//     vCard 4.0 and as X-EVOLUTION-SPOUSE, X-EVOLUTION-CHILDREN (one per
//     child), X-EVOLUTION-MANAGER and X-EVOLUTION-ASSISTANT in 3.0; both
//     forms and Apple's X-ABRELATEDNAMES are read.
package convert
