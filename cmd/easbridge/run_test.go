package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
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

// TestRunServesDAVAndPushes runs the daemon under a fake service manager
// socket, PUTs an event over CalDAV and waits for it on the EAS server,
// then stops the daemon with its context (what SIGTERM does). The daemon
// reports READY and STOPPING, and no password reaches its trace log.
func TestRunServesDAVAndPushes(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	notifyConn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notifyConn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	notes := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := notifyConn.Read(buf)
			if err != nil {
				return
			}
			notes <- string(buf[:n])
		}
	}()
	const exchangePW, davPW = "xch-Pw-4471", "dav-Pw-9302"
	srv := eastest.New(eastest.Config{HeartbeatUnit: 10 * time.Millisecond})
	if err := srv.AddUser(eastest.User{Name: "alice", Password: exchangePW}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, fmt.Sprintf(`[dav]
listen = "127.0.0.1:0"
password_command = "echo %s"
[[account]]
name = "work"
url = %q
username = "alice"
password_command = "echo %s"
state_dir = %q
maildir = %q
`, davPW, ts.URL+"/Microsoft-Server-ActiveSync", exchangePW, filepath.Join(dir, "state"), filepath.Join(dir, "mail")))
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--config", cfgPath, "run", "-v"}, &out, &errOut) }()
	var base string
	waitUntil(t, "the DAV URL", func() bool {
		base = strings.TrimSpace(out.String())
		return base != ""
	})
	cal := srv.FolderID("alice", eastest.TypeCalendar)
	waitUntil(t, "the calendar collection", func() bool {
		req, _ := http.NewRequest("PROPFIND", base+"calendars/work/calendar/", nil)
		req.SetBasicAuth("work", davPW)
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
	req.SetBasicAuth("work", davPW)
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
	expectNote(t, notes, "READY=1")
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut.String())
	}
	expectNote(t, notes, "STOPPING=1")
	for _, pw := range []string{exchangePW, davPW} {
		if strings.Contains(errOut.String(), pw) {
			t.Errorf("the log holds the password %q", pw)
		}
	}
	if !strings.Contains(errOut.String(), "eas request") {
		t.Error("-v logged no EAS request, so the redaction check proves little")
	}
}

// expectNote waits for a service manager notification holding want.
func expectNote(t *testing.T, notes <-chan string, want string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case n := <-notes:
			if strings.Contains(n, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no %s notification", want)
		}
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
