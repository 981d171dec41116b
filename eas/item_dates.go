package eas

import (
	"fmt"
	"strings"
	"time"
)

// dateLayout selects one of the two date-time forms of MS-ASDTYPE.
type dateLayout uint8

const (
	// dateLong is the dateTime form of MS-ASDTYPE 2.3,
	// "2026-11-25T14:00:00.000Z", used by AirSync, Email, Email2, Tasks
	// and Contacts elements.
	dateLong dateLayout = iota
	// dateCompact is the Compact DateTime form of MS-ASDTYPE 2.7.2,
	// "20261125T140000Z", used by Calendar elements, Notes
	// LastModifiedDate, AirSyncBase InstanceId and MeetingResponse
	// proposed times.
	dateCompact
)

const (
	layoutLong    = "2006-01-02T15:04:05.000Z"
	layoutCompact = "20060102T150405Z"
)

// parseLayouts are tried in order by ParseDate. Servers are not
// consistent (SOGo sends the long form in Tasks and the compact one in
// Calendar; some servers drop the milliseconds or the Z), so every
// element accepts every form.
var parseLayouts = []string{
	layoutCompact,
	"2006-01-02T15:04:05.999999999Z",
	"2006-01-02T15:04:05Z",
	time.RFC3339Nano,
	"20060102T150405",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"20060102",
	"2006-01-02",
}

// ParseDate parses an EAS date-time in either the dateTime form
// ("2026-11-25T14:00:00.000Z", MS-ASDTYPE 2.3) or the Compact DateTime
// form ("20261125T140000Z", MS-ASDTYPE 2.7.2), and the variants servers
// send (no milliseconds, no Z, an RFC 3339 offset, a bare date). A value
// without a zone is taken as UTC. The result is in UTC.
func ParseDate(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	for _, l := range parseLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("malformed date %q", s)
}

// FormatDate formats t in the dateTime form of MS-ASDTYPE 2.3, as Email,
// Tasks and Contacts elements carry it: "2026-11-25T14:00:00.000Z".
func FormatDate(t time.Time) string { return formatDate(t, dateLong) }

// FormatCompactDate formats t in the Compact DateTime form of MS-ASDTYPE
// 2.7.2, as Calendar elements carry it: "20261125T140000Z".
func FormatCompactDate(t time.Time) string { return formatDate(t, dateCompact) }

func formatDate(t time.Time, l dateLayout) string {
	if l == dateCompact {
		return t.UTC().Format(layoutCompact)
	}
	return t.UTC().Format(layoutLong)
}
