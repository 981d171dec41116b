package convert

//go:generate go run ./internal/genzones -out windowszones_gen.go

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // TZIDs are IANA names resolved with time.LoadLocation, on any OS

	"github.com/easbridge/easbridge/eas"
)

// zoneCache remembers the zone matched for a blob: matching by rules
// walks hundreds of zones, and a mailbox has few distinct blobs.
var zoneCache sync.Map // cacheKey -> zoneResult

// candidates are the IANA zones a blob without a known name is matched
// against: first the canonical zone of every Windows zone, the Windows
// zones that cover most IANA zones first (US Eastern rules are New York's
// before they are Grand Turk's), then the others CLDR lists; ties in name
// order, so the result is deterministic.
var candidates = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	var first, rest []string
	for _, z := range windowsToIANA {
		if !seen[z] {
			seen[z] = true
			first = append(first, z)
		}
	}
	for z := range ianaToWindows {
		if !seen[z] {
			seen[z] = true
			rest = append(rest, z)
		}
	}
	weight := map[string]int{}
	for _, w := range ianaToWindows {
		weight[w]++
	}
	sort.Slice(first, func(i, j int) bool {
		wi, wj := weight[ianaToWindows[first[i]]], weight[ianaToWindows[first[j]]]
		if wi != wj {
			return wi > wj
		}
		return first[i] < first[j]
	})
	sort.Strings(rest)
	return append(slices.Clone(preferredZones), append(first, rest...)...)
})

// preferredZones are tried first when matching rules: where several
// zones share a blob's rules today, the one most people mean (Sydney,
// not Hobart; New York, not Grand Turk).
var preferredZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
	"America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Mexico_City", "America/Sao_Paulo",
	"Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Athens", "Europe/Moscow", "Europe/Istanbul",
	"Africa/Johannesburg", "Africa/Lagos", "Africa/Cairo", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata",
	"Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul",
	"Australia/Perth", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland",
}

// isAllZero reports whether the blob says nothing: no bias, no names, no
// daylight rules. Servers send it for "no zone given".
func isAllZero(tz *eas.TimeZone) bool { return *tz == eas.TimeZone{} }

// ZoneOf returns the IANA zone an EAS TimeZone blob describes, for events
// of the given reference year. The rule, in order:
//
//  1. A nil or all-zero blob carries no zone: it is the configured local
//     zone (Options.Local) when one is set, else UTC. The event's instants
//     are UTC either way; the zone only decides how they are written and
//     where an all-day event's midnight lies.
//  2. A blob whose StandardName (or DaylightName) is a Windows zone name
//     (CLDR windowsZones.xml) or an IANA name is that zone, if its offsets
//     agree with the blob's biases in the reference year.
//  3. Otherwise the blob is matched on its biases and transition rules
//     against every IANA zone CLDR knows, evaluated for the reference year
//     (eas.TimeZoneFor); the first canonical zone that matches wins.
//  4. A blob without daylight time and a whole-hour bias that matched
//     nothing is the Etc/GMT±N zone; anything else is an error.
func ZoneOf(tz *eas.TimeZone, year int, local *time.Location) (*time.Location, error) {
	if tz == nil || isAllZero(tz) {
		if local != nil {
			return local, nil
		}
		return time.UTC, nil
	}
	key := *tz
	if !tz.HasDST() { // servers leave garbage in unused rules
		key.StandardDate, key.DaylightDate = eas.SystemTime{}, eas.SystemTime{}
	}
	type cacheKey struct {
		tz   eas.TimeZone
		year int
	}
	ck := cacheKey{key, year}
	if v, ok := zoneCache.Load(ck); ok {
		r := v.(zoneResult)
		return r.loc, r.err
	}
	loc, err := zoneOf(tz, year)
	if zoneCacheSize.Add(1) <= maxZoneCache { // a hostile server cannot grow it without bound
		zoneCache.Store(ck, zoneResult{loc, err})
	}
	return loc, err
}

const maxZoneCache = 4096

var zoneCacheSize atomic.Int64

type zoneResult struct {
	loc *time.Location
	err error
}

// locCache holds loaded zones: time.LoadLocation reads the embedded
// tzdata zip on every call.
var locCache sync.Map // string -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if v, ok := locCache.Load(name); ok {
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locCache.Store(name, loc)
	return loc, nil
}

func zoneOf(tz *eas.TimeZone, year int) (*time.Location, error) {
	if tz.IsUTC() && (tz.StandardName == "" || isUTCName(tz.StandardName)) {
		return time.UTC, nil
	}
	for _, name := range []string{tz.StandardName, tz.DaylightName} {
		if loc := namedZone(name); loc != nil && sameRules(tz, loc, year, false) {
			return loc, nil
		}
	}
	for _, name := range candidates() {
		loc, err := loadLocation(name)
		if err == nil && sameRules(tz, loc, year, true) {
			return loc, nil
		}
	}
	if !tz.HasDST() && tz.Bias%60 == 0 {
		// Etc/GMT+5 is five hours behind UTC: the POSIX sign, which is
		// the Windows bias sign.
		name := "Etc/GMT"
		if h := tz.Bias / 60; h != 0 {
			name = fmt.Sprintf("Etc/GMT%+d", h)
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("convert: no IANA zone matches time zone %q (bias %d minutes)", tz.StandardName, tz.Bias)
}

func isUTCName(s string) bool {
	switch strings.ToUpper(s) {
	case "UTC", "GMT", "ETC/UTC", "ETC/GMT", "COORDINATED UNIVERSAL TIME":
		return true
	}
	return false
}

// namedZone resolves a Windows zone name or an IANA name, nil when it is
// neither.
func namedZone(name string) *time.Location {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	if z, ok := windowsToIANA[name]; ok {
		name = z
	}
	if !strings.Contains(name, "/") && !isUTCName(name) {
		return nil // "Local", abbreviations and garbage are not zones
	}
	loc, err := loadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

// sameRules reports whether loc behaves like the blob in year. With
// strict, the daylight transition rules must match too; otherwise the
// biases suffice (a named blob from a server with stale rules still
// names the zone).
func sameRules(tz *eas.TimeZone, loc *time.Location, year int, strict bool) bool {
	// Cheap test first: the offsets in January and July must be the
	// blob's standard or daylight offsets.
	std, dst := -int(tz.Bias+tz.StandardBias)*60, -int(tz.Bias+tz.DaylightBias)*60
	for _, m := range []time.Month{time.January, time.July} {
		_, off := time.Date(year, m, 1, 12, 0, 0, 0, loc).Zone()
		if off != std && (!tz.HasDST() || off != dst) {
			return false
		}
	}
	want := timeZoneFor(loc, year)
	if want.Bias+want.StandardBias != tz.Bias+tz.StandardBias || want.HasDST() != tz.HasDST() {
		return false
	}
	if !tz.HasDST() {
		return true
	}
	if want.Bias+want.DaylightBias != tz.Bias+tz.DaylightBias {
		return false
	}
	if !strict {
		return true
	}
	return sameRule(want.DaylightDate, tz.DaylightDate, year) && sameRule(want.StandardDate, tz.StandardDate, year)
}

// sameRule compares two transition rules by the local date and hour they
// give in year (Windows writes "last Sunday" as week 5, a generated rule
// may say week 4 when the month has four).
func sameRule(a, b eas.SystemTime, year int) bool {
	da, db := ruleDate(a, year), ruleDate(b, year)
	return !da.IsZero() && da.Equal(db)
}

// ruleDate evaluates a transition rule in year as local wall-clock time.
func ruleDate(st eas.SystemTime, year int) time.Time {
	if st.Month < 1 || st.Month > 12 {
		return time.Time{}
	}
	m := time.Month(st.Month)
	day := int(st.Day)
	if st.Year == 0 {
		day = nthWeekday(year, m, time.Weekday(st.DayOfWeek%7), int(st.Day))
	} else if int(st.Year) != year {
		return time.Time{}
	}
	return time.Date(year, m, day, int(st.Hour), int(st.Minute), 0, 0, time.UTC)
}

// nthWeekday returns the day of month of the n-th weekday wd of month m,
// n 1..5 with 5 (or more) the last one, -1 the last, -2 the one before.
func nthWeekday(year int, m time.Month, wd time.Weekday, n int) int {
	dim := time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if n < 0 {
		last := time.Date(year, m, dim, 0, 0, 0, 0, time.UTC).Weekday()
		return dim - (int(last)-int(wd)+7)%7 + (n+1)*7
	}
	first := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
	day := 1 + (int(wd)-int(first)+7)%7 + (n-1)*7
	for day > dim {
		day -= 7
	}
	return day
}

// BlobFor returns the EAS TimeZone blob for an IANA zone in the given
// year: the rules of eas.TimeZoneFor, named with the zone's Windows name
// (which Exchange and Outlook recognise) when CLDR has one, else with the
// IANA name itself.
func BlobFor(loc *time.Location, year int) *eas.TimeZone {
	tz := timeZoneFor(loc, year)
	name := loc.String()
	if w, ok := ianaToWindows[name]; ok {
		name = w
	}
	if loc == time.UTC {
		name = "UTC"
	}
	tz.StandardName, tz.DaylightName = name, name
	return &tz
}

// resolveTZID finds the zone a TZID parameter names: an IANA name, a
// Windows name (Outlook), a name with a vendor prefix
// ("/freeassociation.sourceforge.net/Europe/Berlin"), or failing all of
// these the VTIMEZONE of the calendar matched on its rules.
func resolveTZID(tzid string, vtz map[string]*eas.TimeZone, year int) (*time.Location, error) {
	tzid = strings.Trim(tzid, `"`)
	if loc := namedZone(tzid); loc != nil {
		return loc, nil
	}
	if isUTCName(tzid) {
		return time.UTC, nil
	}
	parts := strings.Split(tzid, "/")
	for i := 1; i+1 < len(parts); i++ {
		if loc, err := time.LoadLocation(strings.Join(parts[i:], "/")); err == nil {
			return loc, nil
		}
	}
	if tz, ok := vtz[tzid]; ok {
		return ZoneOf(tz, year, nil)
	}
	return nil, fmt.Errorf("convert: unknown time zone %q", tzid)
}

type zoneYear struct {
	name string
	year int
}

// rulesCache memoises eas.TimeZoneFor, which scans a whole year day by
// day: every event of a calendar asks for the same few zones.
var (
	rulesCache     sync.Map // zoneYear -> eas.TimeZone
	rulesCacheSize atomic.Int64
)

func timeZoneFor(loc *time.Location, year int) eas.TimeZone {
	k := zoneYear{loc.String(), year}
	if v, ok := rulesCache.Load(k); ok {
		return v.(eas.TimeZone)
	}
	tz := eas.TimeZoneFor(loc, year)
	if loc.String() != "Local" && rulesCacheSize.Add(1) <= maxZoneCache {
		rulesCache.Store(k, tz)
	}
	return tz
}
