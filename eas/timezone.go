package eas

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf16"
)

// TimeZoneSize is the length of the binary TimeZone blob of MS-ASDTYPE
// 2.6.4 (a Windows TIME_ZONE_INFORMATION structure).
const TimeZoneSize = 172

// nameUnits is the length of StandardName and DaylightName in UTF-16 code
// units (64 bytes each).
const nameUnits = 32

// SystemTime is the SYSTEMTIME structure inside the TimeZone blob. In a
// TimeZone it states when a transition happens: with Year 0 it is a rule
// that recurs every year ("the Day-th DayOfWeek of Month at Hour:Minute",
// Day 1..4, 5 meaning the last); with Year != 0 it is the one absolute
// date of the transition. Month 0 means the zone has no daylight time.
type SystemTime struct {
	Year, Month, DayOfWeek, Day        uint16
	Hour, Minute, Second, Milliseconds uint16
}

// TimeZone is the Calendar TimeZone element (MS-ASCAL 2.2.2.44, blob
// layout in MS-ASDTYPE 2.6.4), base64 on the wire. Biases are in minutes,
// with the Windows sign: UTC = local time + Bias (+ StandardBias or
// DaylightBias).
//
// A blob whose StandardDate.Month or DaylightDate.Month is 0 has no
// daylight time; the other fields of both dates are then ignored, because
// servers leave garbage there (SOGo sends uninitialised bytes), but they
// are kept so that a blob re-encodes to the same bytes. The only thing not
// kept is what follows the terminating NUL of a name.
type TimeZone struct {
	Bias         int32
	StandardName string
	StandardDate SystemTime
	StandardBias int32
	DaylightName string
	DaylightDate SystemTime
	DaylightBias int32
}

// ParseTimeZone decodes the base64 TimeZone element and validates it.
func ParseTimeZone(s string) (*TimeZone, error) {
	b, err := decodeBase64(s)
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	tz := new(TimeZone)
	if err := tz.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	if err := tz.Validate(); err != nil {
		return nil, err
	}
	return tz, nil
}

// Base64 returns the blob in base64, as the TimeZone element carries it.
func (tz *TimeZone) Base64() string {
	b, _ := tz.MarshalBinary()
	return base64.StdEncoding.EncodeToString(b)
}

// MarshalBinary returns the 172-byte blob. Names longer than 32 UTF-16
// code units are cut.
func (tz *TimeZone) MarshalBinary() ([]byte, error) {
	b := make([]byte, TimeZoneSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(tz.Bias))
	putName(b[4:68], tz.StandardName)
	putSystemTime(b[68:84], tz.StandardDate)
	le.PutUint32(b[84:], uint32(tz.StandardBias))
	putName(b[88:152], tz.DaylightName)
	putSystemTime(b[152:168], tz.DaylightDate)
	le.PutUint32(b[168:], uint32(tz.DaylightBias))
	return b, nil
}

// UnmarshalBinary decodes the 172-byte blob without validating it.
func (tz *TimeZone) UnmarshalBinary(b []byte) error {
	if len(b) != TimeZoneSize {
		return fmt.Errorf("time zone: blob is %d bytes, want %d", len(b), TimeZoneSize)
	}
	le := binary.LittleEndian
	*tz = TimeZone{
		Bias:         int32(le.Uint32(b[0:])),
		StandardName: getName(b[4:68]),
		StandardDate: getSystemTime(b[68:84]),
		StandardBias: int32(le.Uint32(b[84:])),
		DaylightName: getName(b[88:152]),
		DaylightDate: getSystemTime(b[152:168]),
		DaylightBias: int32(le.Uint32(b[168:])),
	}
	return nil
}

func getName(b []byte) string {
	u := make([]uint16, 0, nameUnits)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func putName(b []byte, s string) {
	u := utf16.Encode([]rune(s))
	if len(u) > nameUnits {
		u = u[:nameUnits]
		if utf16.IsSurrogate(rune(u[nameUnits-1])) && u[nameUnits-1] < 0xDC00 {
			u = u[:nameUnits-1] // do not leave half a pair
		}
	}
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
}

func getSystemTime(b []byte) SystemTime {
	le := binary.LittleEndian
	return SystemTime{
		Year: le.Uint16(b[0:]), Month: le.Uint16(b[2:]), DayOfWeek: le.Uint16(b[4:]), Day: le.Uint16(b[6:]),
		Hour: le.Uint16(b[8:]), Minute: le.Uint16(b[10:]), Second: le.Uint16(b[12:]), Milliseconds: le.Uint16(b[14:]),
	}
}

func putSystemTime(b []byte, st SystemTime) {
	le := binary.LittleEndian
	for i, v := range []uint16{st.Year, st.Month, st.DayOfWeek, st.Day, st.Hour, st.Minute, st.Second, st.Milliseconds} {
		le.PutUint16(b[2*i:], v)
	}
}

// maxBias bounds every bias: one day either way is far beyond any real
// zone (UTC-12 .. UTC+14) and keeps arithmetic on garbage harmless.
const maxBias = 24 * 60

// HasDST reports whether the zone observes daylight time: both transition
// dates name a month.
func (tz *TimeZone) HasDST() bool {
	return tz.StandardDate.Month != 0 && tz.DaylightDate.Month != 0
}

// IsUTC reports whether the zone is UTC without daylight time. An
// all-zero blob is UTC by this test; what it means for a calendar (UTC or
// "the user's zone") is the caller's decision.
func (tz *TimeZone) IsUTC() bool { return tz.Bias == 0 && !tz.HasDST() }

// Validate checks the biases and, when the zone has daylight time, both
// transition rules.
func (tz *TimeZone) Validate() error {
	for _, b := range []struct {
		name string
		v    int32
	}{{"Bias", tz.Bias}, {"StandardBias", tz.StandardBias}, {"DaylightBias", tz.DaylightBias}} {
		if b.v < -maxBias || b.v > maxBias {
			return fmt.Errorf("time zone: %s %d minutes out of range", b.name, b.v)
		}
	}
	if !tz.HasDST() {
		return nil
	}
	if err := tz.StandardDate.validate(); err != nil {
		return fmt.Errorf("time zone: StandardDate: %w", err)
	}
	if err := tz.DaylightDate.validate(); err != nil {
		return fmt.Errorf("time zone: DaylightDate: %w", err)
	}
	return nil
}

func (st SystemTime) validate() error {
	switch {
	case st.Month < 1 || st.Month > 12:
		return fmt.Errorf("month %d", st.Month)
	case st.Hour > 23 || st.Minute > 59 || st.Second > 59 || st.Milliseconds > 999:
		return fmt.Errorf("time %d:%d:%d.%d", st.Hour, st.Minute, st.Second, st.Milliseconds)
	case st.Year == 0 && st.DayOfWeek > 6:
		return fmt.Errorf("day of week %d", st.DayOfWeek)
	case st.Year == 0 && (st.Day < 1 || st.Day > 5):
		return fmt.Errorf("week of month %d", st.Day)
	case st.Year != 0 && (st.Day < 1 || int(st.Day) > daysIn(int(st.Year), time.Month(st.Month))):
		return fmt.Errorf("day %d", st.Day)
	}
	return nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// errNoRule is returned internally when a year has no transition.
var errNoRule = errors.New("no transition")

// localTransition returns the local wall-clock time (as a UTC time value)
// at which the rule st fires in year.
func (st SystemTime) localTransition(year int) (time.Time, error) {
	if st.validate() != nil {
		return time.Time{}, errNoRule
	}
	m := time.Month(st.Month)
	var day int
	if st.Year != 0 {
		if int(st.Year) != year {
			return time.Time{}, errNoRule
		}
		day = int(st.Day)
	} else {
		day = nthWeekday(year, m, time.Weekday(st.DayOfWeek), int(st.Day))
	}
	t := time.Date(year, m, day, 0, 0, 0, 0, time.UTC)
	return t.Add(time.Duration(st.Hour)*time.Hour + time.Duration(st.Minute)*time.Minute +
		time.Duration(st.Second)*time.Second + time.Duration(st.Milliseconds)*time.Millisecond), nil
}

// nthWeekday returns the day of month of the n-th weekday wd of month m
// (n 1..5, 5 = the last one, MS-ASDTYPE 2.6.4 wDay).
func nthWeekday(year int, m time.Month, wd time.Weekday, n int) int {
	first := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
	day := 1 + (int(wd)-int(first)+7)%7 + (n-1)*7
	for dim := daysIn(year, m); day > dim; {
		day -= 7
	}
	return day
}

// Transitions returns the UTC instants at which daylight time starts and
// ends in the given year (local standard year), and false when the zone has
// no daylight time that year.
func (tz *TimeZone) Transitions(year int) (dstStart, dstEnd time.Time, ok bool) {
	if !tz.HasDST() {
		return time.Time{}, time.Time{}, false
	}
	ls, err1 := tz.DaylightDate.localTransition(year)
	le, err2 := tz.StandardDate.localTransition(year)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, false
	}
	// DaylightDate is given in local standard time, StandardDate in local
	// daylight time; UTC = local + bias.
	dstStart = ls.Add(time.Duration(tz.Bias+tz.StandardBias) * time.Minute)
	dstEnd = le.Add(time.Duration(tz.Bias+tz.DaylightBias) * time.Minute)
	return dstStart, dstEnd, true
}

// IsDST reports whether daylight time is in effect at the instant t.
func (tz *TimeZone) IsDST(t time.Time) bool {
	if !tz.HasDST() {
		return false
	}
	std := -time.Duration(tz.Bias+tz.StandardBias) * time.Minute
	start, end, ok := tz.Transitions(t.UTC().Add(std).Year())
	if !ok {
		return false
	}
	if start.Before(end) { // northern hemisphere: DST inside the year
		return !t.Before(start) && t.Before(end)
	}
	return !t.Before(start) || t.Before(end) // southern: DST across the new year
}

// Offset returns the offset from UTC in effect at the instant t (local
// time = UTC + offset).
func (tz *TimeZone) Offset(t time.Time) time.Duration {
	if !tz.HasDST() {
		return -time.Duration(tz.Bias) * time.Minute
	}
	if tz.IsDST(t) {
		return -time.Duration(tz.Bias+tz.DaylightBias) * time.Minute
	}
	return -time.Duration(tz.Bias+tz.StandardBias) * time.Minute
}

// In returns t as local time of the zone, in a fixed-offset location named
// after the zone's standard or daylight name.
func (tz *TimeZone) In(t time.Time) time.Time {
	name := tz.StandardName
	if tz.IsDST(t) {
		name = tz.DaylightName
	}
	return t.In(time.FixedZone(name, int(tz.Offset(t)/time.Second)))
}

// TimeZoneFor builds the blob that describes loc in the given year: its
// standard offset and, when loc changes offset in that year, both
// transitions as yearly rules (n-th weekday of the month, 5 for the last).
// The names are loc's name. Zones whose rules are not "n-th weekday" get
// the nearest such rule; zones with more than two changes a year keep the
// first two.
func TimeZoneFor(loc *time.Location, year int) TimeZone {
	start := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	_, off0 := start.Zone()
	var changes []time.Time
	prev := off0
	for d := 1; d <= 366 && len(changes) < 2; d++ {
		t := start.AddDate(0, 0, d)
		if _, off := t.Zone(); off != prev {
			changes = append(changes, findChange(t.AddDate(0, 0, -1), t))
			prev = off
		}
	}
	tz := TimeZone{Bias: int32(-off0 / 60), StandardName: loc.String(), DaylightName: loc.String()}
	if len(changes) < 2 {
		return tz
	}
	_, offA := changes[0].Zone()
	stdOff, dstOff := off0, offA
	first, second := changes[0], changes[1] // first: into offA
	if offA < off0 {                        // southern hemisphere: the year starts in DST
		stdOff, dstOff = offA, off0
		first, second = changes[1], changes[0]
	}
	tz.Bias = int32(-stdOff / 60)
	tz.DaylightBias = int32(-(dstOff - stdOff) / 60)
	tz.DaylightDate = ruleAt(first.UTC().Add(time.Duration(stdOff) * time.Second))
	tz.StandardDate = ruleAt(second.UTC().Add(time.Duration(dstOff) * time.Second))
	return tz
}

// findChange returns the first instant in (a, b] whose offset differs from
// a's, to the second.
func findChange(a, b time.Time) time.Time {
	_, offA := a.Zone()
	for b.Sub(a) > time.Second {
		mid := a.Add(b.Sub(a) / 2)
		if _, off := mid.Zone(); off == offA {
			a = mid
		} else {
			b = mid
		}
	}
	return b
}

// ruleAt expresses the local wall-clock time t (a UTC time value) as a
// yearly n-th weekday rule.
func ruleAt(t time.Time) SystemTime {
	n := (t.Day()-1)/7 + 1
	if t.Day()+7 > daysIn(t.Year(), t.Month()) {
		n = 5
	}
	return SystemTime{
		Month: uint16(t.Month()), DayOfWeek: uint16(t.Weekday()), Day: uint16(n),
		Hour: uint16(t.Hour()), Minute: uint16(t.Minute()), Second: uint16(t.Second()),
	}
}
