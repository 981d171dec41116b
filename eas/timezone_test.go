package eas

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the host's zoneinfo
)

// sogoBlob is the TimeZone SOGo 5.8 sends (UTC, with garbage in
// StandardDate), from testdata/items/09-sync-calendar-changes.resp.xml.
const sogoBlob = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABwqgAAfn8AAOBKNQ+BVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

// berlin is "W. Europe Standard Time" as Exchange sends it.
var berlin = TimeZone{
	Bias:         -60,
	StandardName: "W. Europe Standard Time",
	StandardDate: SystemTime{Month: 10, DayOfWeek: 0, Day: 5, Hour: 3},
	DaylightName: "W. Europe Daylight Time",
	DaylightDate: SystemTime{Month: 3, DayOfWeek: 0, Day: 5, Hour: 2},
	DaylightBias: -60,
}

func TestTimeZoneBlobRoundTrip(t *testing.T) {
	for _, tz := range []TimeZone{berlin, {}, {Bias: 300, StandardName: "Ωmega ✓ 🙂"}} {
		b, err := tz.MarshalBinary()
		if err != nil || len(b) != TimeZoneSize {
			t.Fatalf("MarshalBinary: %d bytes, %v", len(b), err)
		}
		got, err := ParseTimeZone(tz.Base64())
		if err != nil {
			t.Fatalf("ParseTimeZone: %v", err)
		}
		if *got != tz {
			t.Errorf("round trip:\n got %+v\nwant %+v", *got, tz)
		}
	}
}

func TestTimeZoneSOGoGarbageKept(t *testing.T) {
	tz, err := ParseTimeZone(sogoBlob)
	if err != nil {
		t.Fatal(err)
	}
	if tz.HasDST() || !tz.IsUTC() || tz.Offset(time.Now()) != 0 {
		t.Errorf("SOGo blob: HasDST %v IsUTC %v", tz.HasDST(), tz.IsUTC())
	}
	if tz.Base64() != sogoBlob {
		t.Errorf("SOGo blob does not re-encode to the same bytes:\n got %s\nwant %s", tz.Base64(), sogoBlob)
	}
}

func TestTimeZoneFieldLayout(t *testing.T) {
	b, _ := berlin.MarshalBinary()
	// Bias -60 at offset 0, little endian; "W" of the standard name at 4;
	// StandardDate.wMonth at 70; DaylightBias at 168.
	if !bytes.Equal(b[0:4], []byte{0xc4, 0xff, 0xff, 0xff}) || b[4] != 'W' || b[5] != 0 ||
		b[70] != 10 || b[154] != 3 || !bytes.Equal(b[168:172], []byte{0xc4, 0xff, 0xff, 0xff}) {
		t.Errorf("unexpected layout: % x", b)
	}
}

func TestTimeZoneNames(t *testing.T) {
	long := strings.Repeat("x", 31) + "🙂" // 31 units + a pair: the pair does not fit
	tz := TimeZone{StandardName: long, DaylightName: strings.Repeat("y", 40)}
	got, err := ParseTimeZone(tz.Base64())
	if err != nil {
		t.Fatal(err)
	}
	if got.StandardName != strings.Repeat("x", 31) || got.DaylightName != strings.Repeat("y", 32) {
		t.Errorf("names = %q, %q", got.StandardName, got.DaylightName)
	}
}

func TestTimeZoneErrors(t *testing.T) {
	bad := func(mut func(*TimeZone)) string {
		tz := berlin
		mut(&tz)
		return tz.Base64()
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"bad base64", "!!!", "base64"},
		{"short", base64.StdEncoding.EncodeToString(make([]byte, 171)), "171 bytes"},
		{"long", base64.StdEncoding.EncodeToString(make([]byte, 178)), "178 bytes"},
		{"month", bad(func(tz *TimeZone) { tz.StandardDate.Month = 13 }), "StandardDate: month 13"},
		{"week", bad(func(tz *TimeZone) { tz.DaylightDate.Day = 0 }), "DaylightDate: week of month 0"},
		{"weekday", bad(func(tz *TimeZone) { tz.DaylightDate.DayOfWeek = 7 }), "day of week 7"},
		{"hour", bad(func(tz *TimeZone) { tz.StandardDate.Hour = 24 }), "time 24"},
		{"absolute day", bad(func(tz *TimeZone) { tz.StandardDate.Year, tz.StandardDate.Day = 2026, 31; tz.StandardDate.Month = 2 }), "day 31"},
		{"bias", bad(func(tz *TimeZone) { tz.Bias = 5000 }), "Bias 5000"},
	} {
		_, err := ParseTimeZone(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// Month 0 means no DST: the rest of the date is ignored.
	if _, err := ParseTimeZone(bad(func(tz *TimeZone) { tz.StandardDate = SystemTime{Day: 99, DayOfWeek: 42} })); err != nil {
		t.Errorf("month 0 with garbage: %v", err)
	}
}

func TestTimeZoneBerlinOffsets(t *testing.T) {
	for _, tc := range []struct {
		at   string
		want time.Duration
	}{
		{"2026-01-15T12:00:00Z", time.Hour},
		{"2026-03-29T00:59:59Z", time.Hour},
		{"2026-03-29T01:00:00Z", 2 * time.Hour}, // last Sunday of March, 02:00 local
		{"2026-07-01T00:00:00Z", 2 * time.Hour},
		{"2026-10-25T00:59:59Z", 2 * time.Hour},
		{"2026-10-25T01:00:00Z", time.Hour}, // last Sunday of October, 03:00 local
		{"2027-03-28T01:00:00Z", 2 * time.Hour},
	} {
		if got := berlin.Offset(utc(tc.at)); got != tc.want {
			t.Errorf("Offset(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if got := berlin.In(utc("2026-07-01T07:00:00Z")); got.Hour() != 9 {
		t.Errorf("In: %v, want 09:00 local", got)
	}
}

func TestTimeZoneAbsoluteDates(t *testing.T) {
	tz := TimeZone{
		Bias:         -60,
		StandardDate: SystemTime{Year: 2026, Month: 10, Day: 4, Hour: 3},
		DaylightDate: SystemTime{Year: 2026, Month: 4, Day: 1, Hour: 2},
		DaylightBias: -60,
	}
	if err := tz.Validate(); err != nil {
		t.Fatal(err)
	}
	if tz.Offset(utc("2026-05-01T00:00:00Z")) != 2*time.Hour || tz.Offset(utc("2026-10-05T00:00:00Z")) != time.Hour {
		t.Error("absolute rule not applied in its year")
	}
	if tz.Offset(utc("2027-05-01T00:00:00Z")) != time.Hour {
		t.Error("absolute rule applied outside its year")
	}
}

// TestTimeZoneForMatchesTZDB builds blobs from the IANA database and checks
// that the blob's offset matches Go's every 30 minutes for two years, in
// both hemispheres, with and without DST, and at half-hour offsets.
func TestTimeZoneForMatchesTZDB(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/St_Johns", "Pacific/Auckland", "America/Santiago", "Europe/Dublin", "America/Sao_Paulo", "Asia/Tehran", "UTC"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, year := range []int{2026, 2027} {
			tz := TimeZoneFor(loc, year)
			if err := tz.Validate(); err != nil {
				t.Fatalf("%s %d: %v", name, year, err)
			}
			if _, err := ParseTimeZone(tz.Base64()); err != nil {
				t.Fatalf("%s %d: %v", name, year, err)
			}
			for at := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() == year; at = at.Add(30 * time.Minute) {
				_, off := at.In(loc).Zone()
				if got := tz.Offset(at); got != time.Duration(off)*time.Second {
					t.Errorf("%s: Offset(%v) = %v, want %ds", name, at, got, off)
					break
				}
			}
		}
	}
}

func FuzzTimeZone(f *testing.F) {
	sogo, _ := base64.StdEncoding.DecodeString(sogoBlob)
	b, _ := berlin.MarshalBinary()
	f.Add(sogo)
	f.Add(b)
	f.Add(make([]byte, TimeZoneSize))
	f.Add([]byte("short"))
	probes := []time.Time{utc("2026-01-01T00:00:00Z"), utc("2026-03-29T01:00:00Z"), utc("2026-10-25T00:30:00Z"), utc("1601-01-01T00:00:00Z"), utc("9999-12-31T23:59:59Z")}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The base64 path must never panic either.
		ParseTimeZone(string(data))
		ParseTimeZone(base64.StdEncoding.EncodeToString(data))

		var tz TimeZone
		if err := tz.UnmarshalBinary(data); err != nil {
			if len(data) == TimeZoneSize {
				t.Fatalf("172 bytes refused: %v", err)
			}
			return
		}
		enc, err := tz.MarshalBinary()
		if err != nil || len(enc) != TimeZoneSize {
			t.Fatalf("MarshalBinary: %d bytes, %v", len(enc), err)
		}
		var again TimeZone
		if err := again.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		if again != tz {
			t.Fatalf("decode->encode->decode changed the zone:\n%+v\n%+v", tz, again)
		}
		if enc2, _ := again.MarshalBinary(); !bytes.Equal(enc, enc2) {
			t.Fatal("encoding is not stable")
		}
		valid := tz.Validate() == nil
		for _, at := range probes {
			off := tz.Offset(at)
			if valid && (off < -48*time.Hour || off > 48*time.Hour) {
				t.Fatalf("offset %v out of range for a valid zone", off)
			}
			tz.In(at)
			tz.Transitions(at.Year())
		}
	})
}
