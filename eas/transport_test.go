package eas

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// decodeBase64Query parses the base64 query value of MS-ASHTTP
// 2.2.1.1.1.1, independently of the encoder.
func decodeBase64Query(raw string) (decodedQuery, error) {
	var q decodedQuery
	s, err := url.QueryUnescape(raw)
	if err != nil {
		return q, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return q, err
	}
	if len(b) < 5 {
		return q, errors.New("short")
	}
	q.version = fmt.Sprintf("%d.%d", b[0]/10, b[0]%10)
	q.cmd = cmdNames[b[1]]
	b = b[4:]
	take := func() (string, error) {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return "", errors.New("truncated")
		}
		v := string(b[1 : 1+int(b[0])])
		b = b[1+int(b[0]):]
		return v, nil
	}
	if q.deviceID, err = take(); err != nil {
		return q, err
	}
	pk, err := take()
	if err != nil {
		return q, err
	}
	if len(pk) == 4 {
		q.policyKey = strconv.FormatUint(uint64(binary.LittleEndian.Uint32([]byte(pk))), 10)
	}
	if q.deviceType, err = take(); err != nil {
		return q, err
	}
	q.params = map[byte]string{}
	for len(b) > 0 {
		tag := b[0]
		b = b[1:]
		v, err := take()
		if err != nil {
			return q, err
		}
		if tag == 7 && len(v) == 1 {
			q.options = v[0]
			continue
		}
		q.params[tag] = v
	}
	return q, nil
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"-3", 0},
		{"Sun, 22 Nov 2026 10:00:30 GMT", 30 * time.Second},
		{"Sun, 22 Nov 2026 09:00:00 GMT", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRedirectURL(t *testing.T) {
	tests := []struct {
		cur, loc, want string
		err            bool
	}{
		{"https://a/Microsoft-Server-ActiveSync", "https://b/Microsoft-Server-ActiveSync", "https://b/Microsoft-Server-ActiveSync", false},
		{"https://a/Microsoft-Server-ActiveSync", "https://b/Microsoft-Server-ActiveSync?Cmd=Sync", "https://b/Microsoft-Server-ActiveSync", false},
		{"https://a/Microsoft-Server-ActiveSync", "http://b/Microsoft-Server-ActiveSync", "", true},
		{"https://a/x", "ftp://b/", "", true},
	}
	for _, tt := range tests {
		got, err := redirectURL(tt.cur, tt.loc)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("redirectURL(%q, %q) = %q, %v", tt.cur, tt.loc, got, err)
		}
	}
}
