package eas

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an ActiveSync protocol version as major*10+minor: 121 is
// 12.1, 161 is 16.1. The zero Version is unknown.
type Version uint16

// The protocol versions the client speaks, newest first. Exchange Online
// accepts only 16.1 and later since 2026, so negotiation prefers it.
const (
	V161 Version = 161
	V160 Version = 160
	V141 Version = 141
	V140 Version = 140
	V121 Version = 121
)

// SupportedVersions lists the versions the client can speak, in order of
// preference.
var SupportedVersions = []Version{V161, V160, V141, V140, V121}

// String returns the version in the form of the MS-ASProtocolVersion
// header, such as "16.1".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d", v/10, v%10)
}

// ParseVersion parses a version such as "14.1", as found in the
// MS-ASProtocolVersions header.
func ParseVersion(s string) (Version, error) {
	major, minor, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok {
		return 0, fmt.Errorf("eas: malformed protocol version %q", s)
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma < 1 || ma > 99 || mi < 0 || mi > 9 {
		return 0, fmt.Errorf("eas: malformed protocol version %q", s)
	}
	return Version(ma*10 + mi), nil
}
