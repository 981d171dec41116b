package oauth

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzErrorResponse feeds arbitrary token endpoint error bodies to the
// decoder: never a panic, and the message never carries the trace lines.
func FuzzErrorResponse(f *testing.F) {
	f.Add(`{"error":"invalid_grant","error_description":"AADSTS53003: Blocked.\r\nTrace ID: x\r\nCorrelation ID: y","error_codes":[53003],"correlation_id":"y"}`)
	f.Add(`{"error":"authorization_pending","error_description":"AADSTS70016: pending"}`)
	f.Add(`{"error":"invalid_grant","error_description":"AADSTS99999999999999999999: overflow"}`)
	f.Add(`{"error":"x","error_codes":[]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var er errorResponse
		if json.Unmarshal([]byte(body), &er) != nil || er.Error == "" {
			return
		}
		e := newError(400, &er)
		msg := e.Error()
		if strings.Contains(msg, "\n") && !strings.Contains(er.Error, "\n") && !strings.Contains(e.Explanation, "\n") {
			t.Errorf("multi-line message %q", msg)
		}
		if e.LoginRequired && e.Temporary {
			t.Errorf("both login-required and temporary: %+v", e)
		}
	})
}

// FuzzExpiresIn: any expires_in gives a bounded duration or an error.
func FuzzExpiresIn(f *testing.F) {
	for _, s := range []string{`3599`, `"3599"`, `null`, `-1`, `1e9`, `"abc"`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := expiresIn(json.RawMessage(s))
		if err == nil && (n < 0 || n > 366*24*3600) {
			t.Errorf("expiresIn(%q) = %d", s, n)
		}
	})
}
