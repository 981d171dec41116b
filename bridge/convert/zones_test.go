package convert

import (
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// TestZoneTableLoads: every IANA name of the generated table resolves
// with the embedded tzdata, so a TZID we write always loads.
func TestZoneTableLoads(t *testing.T) {
	if len(windowsToIANA) < 100 {
		t.Fatalf("table has %d Windows zones", len(windowsToIANA))
	}
	for win, z := range windowsToIANA {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("%s -> %s: %v", win, z, err)
		}
	}
	for _, c := range []struct{ win, iana string }{
		{"W. Europe Standard Time", "Europe/Berlin"}, {"India Standard Time", "Asia/Kolkata"},
		{"Eastern Standard Time", "America/New_York"}, {"AUS Eastern Standard Time", "Australia/Sydney"},
	} {
		if got := windowsToIANA[c.win]; got != c.iana {
			t.Errorf("%s -> %s, want %s", c.win, got, c.iana)
		}
	}
}

func TestZoneOf(t *testing.T) {
	berlin, sydney := mustLoad(t, "Europe/Berlin"), mustLoad(t, "Australia/Sydney")
	named := func(loc *time.Location, name string) *eas.TimeZone {
		tz := eas.TimeZoneFor(loc, 2026)
		tz.StandardName, tz.DaylightName = name, name
		return &tz
	}
	unnamed := func(loc *time.Location) *eas.TimeZone {
		tz := eas.TimeZoneFor(loc, 2026)
		tz.StandardName, tz.DaylightName = "", ""
		return &tz
	}
	for _, c := range []struct {
		name  string
		tz    *eas.TimeZone
		local *time.Location
		want  string
	}{
		{"nil", nil, nil, "UTC"},
		{"all zero, no local", &eas.TimeZone{}, nil, "UTC"},
		{"all zero, local", &eas.TimeZone{}, berlin, "Europe/Berlin"},
		{"windows name", named(berlin, "W. Europe Standard Time"), nil, "Europe/Berlin"},
		{"iana name", named(sydney, "Australia/Sydney"), nil, "Australia/Sydney"},
		{"unnamed, rules", unnamed(berlin), nil, "Europe/Berlin"},
		{"unnamed, southern", unnamed(sydney), nil, "Australia/Sydney"},
		{"unnamed, us", unnamed(mustLoad(t, "America/New_York")), nil, "America/New_York"},
		{"unnamed, kolkata", unnamed(mustLoad(t, "Asia/Kolkata")), nil, "Asia/Kolkata"},
		{"localized name", named(berlin, "Mitteleuropäische Zeit"), nil, "Europe/Berlin"},
		{"name contradicts rules", named(sydney, "W. Europe Standard Time"), nil, "Australia/Sydney"},
		{"no match, whole hours", &eas.TimeZone{Bias: 60 * 11, StandardName: "Nowhere"}, nil, "Etc/GMT+11"},
	} {
		loc, err := ZoneOf(c.tz, 2026, c.local)
		if err != nil || loc.String() != c.want {
			t.Errorf("%s: ZoneOf = %v, %v; want %s", c.name, loc, err, c.want)
		}
	}
	if _, err := ZoneOf(&eas.TimeZone{Bias: 17, StandardName: "odd"}, 2026, nil); err == nil {
		t.Error("a zone 17 minutes off UTC matched something")
	}
}

func TestBlobForRoundTrip(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Auckland", "Europe/Dublin", "America/Santiago", "Asia/Tehran", "Europe/London", "Pacific/Chatham"} {
		loc := mustLoad(t, name)
		blob := BlobFor(loc, 2026)
		got, err := ZoneOf(blob, 2026, nil)
		if err != nil {
			t.Fatal(err)
		}
		for d := 0; d < 365; d += 5 {
			at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d)
			_, o1 := at.In(loc).Zone()
			_, o2 := at.In(got).Zone()
			if o1 != o2 {
				t.Fatalf("%s -> blob -> %s: offsets differ on %s", name, got, at)
			}
		}
	}
}

func TestResolveTZID(t *testing.T) {
	for tzid, want := range map[string]string{
		"Europe/Berlin": "Europe/Berlin", "W. Europe Standard Time": "Europe/Berlin",
		"/freeassociation.sourceforge.net/Tzfile/Europe/Berlin": "Europe/Berlin", `"India Standard Time"`: "Asia/Kolkata",
	} {
		loc, err := resolveTZID(tzid, nil, 2026)
		if err != nil || loc.String() != want {
			t.Errorf("resolveTZID(%q) = %v, %v", tzid, loc, err)
		}
	}
	if _, err := resolveTZID("Nowhere/Special", nil, 2026); err == nil {
		t.Error("unknown TZID resolved")
	}
}

// TestParseICalPanics: the go-ical input that panics its decoder is an
// error through ParseICal.
func TestParseICalPanics(t *testing.T) {
	if _, err := ParseICal(strings.NewReader("0;0=")); err == nil {
		t.Fatal("no error")
	}
}
