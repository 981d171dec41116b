package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/eastest"
)

// lockedBuffer is a bytes.Buffer safe for the command's goroutine and the
// test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunServesDAVAndPushes runs the daemon, PUTs an event over CalDAV and
// waits for it on the EAS server, then stops the daemon with its context
// (what SIGTERM does).
func TestRunServesDAVAndPushes(t *testing.T) {
	srv := eastest.New(eastest.Config{HeartbeatUnit: 10 * time.Millisecond})
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, fmt.Sprintf(`[dav]
listen = "127.0.0.1:0"
password_command = "echo davpw"
[[account]]
name = "work"
url = %q
username = "alice"
password_command = "echo secret"
state_dir = %q
maildir = %q
`, ts.URL+"/Microsoft-Server-ActiveSync", filepath.Join(dir, "state"), filepath.Join(dir, "mail")))
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--config", cfgPath, "run"}, &out, &errOut) }()
	var base string
	waitUntil(t, "the DAV URL", func() bool {
		base = strings.TrimSpace(out.String())
		return base != ""
	})
	cal := srv.FolderID("alice", eastest.TypeCalendar)
	waitUntil(t, "the calendar collection", func() bool {
		req, _ := http.NewRequest("PROPFIND", base+"calendars/work/calendar/", nil)
		req.SetBasicAuth("work", "davpw")
		req.Header.Set("Depth", "0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 207
	})
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:run-1\r\nDTSTAMP:20260301T000000Z\r\n" +
		"DTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nSUMMARY:From DAV\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	req, _ := http.NewRequest("PUT", base+"calendars/work/calendar/run-1.ics", strings.NewReader(ics))
	req.SetBasicAuth("work", "davpw")
	req.Header.Set("Content-Type", "text/calendar")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("PUT: %s", resp.Status)
	}
	waitUntil(t, "the event on the server", func() bool { return len(srv.ItemIDs("alice", cal)) == 1 })
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut.String())
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
