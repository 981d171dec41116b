package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/internal/logx"
)

// The secrets a daemon holds: the Exchange password, an OAuth bearer
// token and the local DAV password.
const (
	testPassword    = "Exch@nge-Pa55word!"
	testBearer      = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
	testDAVPassword = "dav-local-7f3a9c"
)

func logEverything(log *slog.Logger) {
	ctx := context.Background()
	req, _ := http.NewRequest("POST", "https://mail.example.com/Microsoft-Server-ActiveSync", nil)
	req.SetBasicAuth("user@example.com", testPassword)
	req.Header.Set("X-Token", testBearer)
	levels := []slog.Level{logx.LevelTrace, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
	for _, l := range levels {
		log.Log(ctx, l, "request", "password", testPassword, "token", testBearer, "dav_password", testDAVPassword)
		log.Log(ctx, l, "trace", "headers", fmt.Sprint(req.Header), "body", "<Password>"+testPassword+"</Password>")
		log.Log(ctx, l, "header line", "line", "Authorization: Bearer "+testBearer)
		log.Log(ctx, l, "failed", "err", errors.New("login with "+testPassword+" refused"))
		log.Log(ctx, l, "bytes", "raw", []byte("dav "+testDAVPassword))
		log.Log(ctx, l, "grouped", slog.Group("auth", "user", "u", "secret", testDAVPassword),
			slog.Group("http", "dump", "Authorization: Basic "+testDAVPassword))
		log.Log(ctx, l, "struct", "value", struct{ A, B string }{"x", testPassword})
		log.Log(ctx, l, "message with "+testDAVPassword)
		log.With("access_token", testBearer, "note", "pw="+testPassword).WithGroup("g").Log(ctx, l, "with", "k", testBearer)
	}
}

func TestLogsNeverCarrySecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		red := &logx.Redactor{}
		red.Add(testPassword, testDAVPassword, testBearer)
		o := logOptions{format: format, verbose: true}
		log, err := o.newLogger(&buf, red)
		if err != nil {
			t.Fatal(err)
		}
		logEverything(log)
		out := buf.String()
		basic := base64.StdEncoding.EncodeToString([]byte("user@example.com:" + testPassword))
		for _, s := range []string{testPassword, testBearer, testDAVPassword, "c2lnbmF0dXJl", basic} {
			if strings.Contains(out, s) {
				t.Errorf("%s: log carries %q:\n%s", format, s, out)
			}
		}
		if n := strings.Count(out, "\n"); n != 45 {
			t.Errorf("%s: %d lines, want 45 (9 records at 5 levels)", format, n)
		}
		for _, want := range []string{logx.Redacted, "TRACE"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: log lacks %q", format, want)
			}
		}
		if !strings.Contains(out, "login with "+logx.Redacted+" refused") {
			t.Errorf("%s: redaction destroyed the surrounding text:\n%s", format, out)
		}
		if format == "json" {
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("invalid JSON line %q", line)
				}
			}
		}
	}
}

func TestLogLevels(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		trace, err bool
	}{
		{nil, false, false},
		{[]string{"-v"}, true, false},
		{[]string{"--log-format", "json", "-v"}, true, false},
		{[]string{"--log-format", "xml"}, false, true},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var o logOptions
		o.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		log, err := o.newLogger(&buf, nil)
		if (err != nil) != tc.err {
			t.Fatalf("%q: err %v", tc.args, err)
		}
		if err != nil {
			continue
		}
		log.Log(context.Background(), logx.LevelTrace, "trace line")
		log.Info("info line")
		if got := strings.Contains(buf.String(), "trace line"); got != tc.trace {
			t.Errorf("%q: trace logged = %v", tc.args, got)
		}
		if !strings.Contains(buf.String(), "info line") {
			t.Errorf("%q: info not logged", tc.args)
		}
	}
}
