package logx

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactorString(t *testing.T) {
	r := &Redactor{}
	r.Add("hunter2secret", "hunter2", "abc", "")
	for _, tc := range []struct{ in, want string }{
		{"pw hunter2secret!", "pw [REDACTED]!"},
		{"pw hunter2 and hunter2", "pw [REDACTED] and [REDACTED]"},
		{"abc is too short to hunt", "abc is too short to hunt"},
		{"Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [REDACTED]"},
		{"authorization: bearer eyJabc.def-ghi", "authorization: bearer [REDACTED]"},
		{"a basic idea", "a basic idea"},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSensitiveKeys(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "DAVPassword": true, "access_token": true, "client_secret": true,
		"Authorization": true, "user": false, "folder": false, "sync_key": false,
	} {
		if sensitive(key) != want {
			t.Errorf("sensitive(%q) = %v", key, !want)
		}
	}
}

func TestHandlerGroupsAndWith(t *testing.T) {
	var buf bytes.Buffer
	r := &Redactor{}
	r.Add("s3cr3t-value")
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), r))
	log.With("pw_note", "x s3cr3t-value").WithGroup("req").Info("m",
		slog.Group("credentials", "user", "u", "value", "plain"), "n", 3)
	out := buf.String()
	if strings.Contains(out, "s3cr3t-value") || strings.Contains(out, "plain") {
		t.Errorf("secret leaked: %s", out)
	}
	if !strings.Contains(out, "req.n=3") || !strings.Contains(out, "credentials.user=[REDACTED]") {
		t.Errorf("structure lost: %s", out)
	}
}
