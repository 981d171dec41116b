// Package dav is easbridge's loopback CalDAV (RFC 4791) and CardDAV
// (RFC 6352) server. It serves the collections of one user held by a
// Backend, which bridge/store implements; dav imports nothing of bridge.
//
// The handler answers every method itself, with go-ical and go-vcard for
// the data and go-webdav v0.7.0's caldav.ValidateCalendarObject for the
// RFC 4791 4.1 checks. go-webdav's own server handler is not used: its GET
// re-encodes the stored iCalendar (so Content-Length and the bytes behind
// an ETag drift), its PROPFIND has no getctag, sync-token or
// calendar-color, it has no sync-collection, MKCALENDAR or PROPPATCH, its
// text-match is case-sensitive, and its XML machinery is internal.
//
// What it does: discovery (/.well-known, current-user-principal, home
// sets, "/" answering PROPFIND), PROPFIND with getctag and sync-token,
// sync-collection (RFC 6578), calendar-query with time ranges (candidates
// from Backend.QueryTimeRange, then the RFC 4791 9.9 rules applied to
// every instance: recurrences expanded with rrule-go, overrides and
// EXDATEs honoured), CALDAV:expand of calendar-data (RFC 4791 9.6.5),
// calendar-multiget, addressbook-query (text-match
// case-insensitive by default) and addressbook-multiget, conditional PUT
// and DELETE, PUT validation, MKCALENDAR and extended MKCOL (RFC 5689),
// PROPPATCH of displayname and calendar-color.
//
// Deliberate limits:
//   - collections are flat: /calendars/USER/COLL/ and /contacts/USER/COLL/;
//     no collection inside a collection, and no plain WebDAV collection (a
//     plain MKCOL makes a calendar or an address book by its home);
//   - every PUT must be one iCalendar object of the collection's component
//     type, or one vCard with a UID: arbitrary files are refused;
//   - no LOCK, COPY or MOVE (no client of ours uses them), no dead
//     properties (PROPPATCH of anything but displayname and calendar-color
//     is 403);
//   - calendar-data is returned whole or expanded: no partial retrieval
//     (CALDAV:comp and CALDAV:prop are ignored); an object go-ical cannot
//     re-encode (no DTSTAMP, say) is returned unexpanded;
//   - floating times and DATE values are evaluated in UTC, and so is a
//     TZID that is not an IANA name; RRULEs with FREQ=HOURLY or finer are
//     refused (Exchange cannot hold them); a series is followed for a
//     bounded time (10 years for a daily rule that is not endless);
//     RANGE=THISANDFUTURE overrides act on their own instance only;
//   - sync-collection with a limit below the number of changes fails with
//     number-of-matches-within-limits instead of paging.
package dav
