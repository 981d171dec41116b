package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// TestTwoAccounts runs `sync --once`, `status --json` and `run` with two
// [[account]] entries (two users of one server): each account has its own
// state, Maildir and DAV principal, and neither's data shows through the
// other's principal or credentials.
func TestTwoAccounts(t *testing.T) {
	const davPW = "dav-two-accounts"
	srv := eastest.New(eastest.Config{HeartbeatUnit: 10 * time.Millisecond})
	users := map[string]string{"work": "alice", "home": "bob"}
	for acct, u := range users {
		if err := srv.AddUser(eastest.User{Name: u, Password: "pw-" + u, Email: u + "@example.test"}); err != nil {
			t.Fatal(err)
		}
		cal := srv.FolderID(u, eastest.TypeCalendar)
		start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		if _, err := srv.AddItem(u, cal, &eas.Event{Subject: "event of " + acct, UID: "uid-" + acct, StartTime: start, EndTime: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.DeliverMail(u, []byte("From: x@example.net\r\nSubject: mail of "+acct+"\r\n\r\nbody\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("[dav]\nlisten = \"127.0.0.1:0\"\npassword_command = \"echo %s\"\n", davPW)
	for _, acct := range []string{"work", "home"} {
		u := users[acct]
		cfg += fmt.Sprintf(`[[account]]
name = %q
url = %q
username = %q
password_command = "echo pw-%s"
state_dir = %q
maildir = %q
calendar_age = "all"
mail_age = "all"
`, acct, ts.URL+"/Microsoft-Server-ActiveSync", u, u, filepath.Join(dir, acct, "state"), filepath.Join(dir, acct, "mail"))
	}
	cfgPath := writeConfig(t, cfg)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--config", cfgPath, "sync", "--once"}, &out, &errOut); code != 0 {
		t.Fatalf("sync --once exited %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "work: synced") || !strings.Contains(out.String(), "home: synced") {
		t.Errorf("sync output %q", out.String())
	}
	for _, acct := range []string{"work", "home"} {
		entries, err := os.ReadDir(filepath.Join(dir, acct, "mail", "new"))
		if err != nil || len(entries) != 1 {
			t.Fatalf("%s: maildir new/ %v %v", acct, entries, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, acct, "mail", "new", entries[0].Name()))
		if err != nil || !strings.Contains(string(b), "mail of "+acct) {
			t.Errorf("%s: the Maildir holds %q (%v)", acct, b, err)
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"--config", cfgPath, "status", "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("status exited %d: %s", code, errOut.String())
	}
	var st struct {
		Accounts []struct {
			Account string `json:"account"`
			Maildir string `json:"maildir"`
			Folders []struct {
				Name  string `json:"name"`
				Items int    `json:"items"`
			} `json:"folders"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || len(st.Accounts) != 2 {
		t.Fatalf("status JSON (%v): %s", err, out.String())
	}
	for _, a := range st.Accounts {
		if a.Maildir != filepath.Join(dir, a.Account, "mail") {
			t.Errorf("account %s: maildir %s", a.Account, a.Maildir)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rout, rerr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--config", cfgPath, "run"}, &rout, &rerr) }()
	var base string
	waitUntil(t, "the DAV URL", func() bool {
		base = strings.TrimSpace(rout.String())
		return base != ""
	})
	dav := func(method, path, user, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.SetBasicAuth(user, davPW)
		req.Header.Set("Depth", "1")
		if method == "PUT" {
			req.Header.Set("Content-Type", "text/calendar")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, acct := range []string{"work", "home"} {
		other := map[string]string{"work": "home", "home": "work"}[acct]
		code, body := dav("PROPFIND", "/calendars/"+acct+"/calendar/", acct, "")
		if code != 207 || !strings.Contains(body, "uid-"+acct) || strings.Contains(body, "uid-"+other) {
			t.Errorf("%s's own calendar: %d %s", acct, code, body)
		}
		if code, body := dav("PROPFIND", "/calendars/"+other+"/calendar/", acct, ""); code != http.StatusNotFound || strings.Contains(body, "uid-") {
			t.Errorf("%s reading %s's calendar: %d %s", acct, other, code, body)
		}
		if code, _ := dav("GET", "/calendars/"+other+"/calendar/uid-"+other+".ics", acct, ""); code != http.StatusNotFound {
			t.Errorf("%s fetching %s's event: %d", acct, other, code)
		}
	}
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:home-new\r\nDTSTAMP:20260301T000000Z\r\n" +
		"DTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z\r\nSUMMARY:new at home\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if code, body := dav("PUT", "/calendars/home/calendar/home-new.ics", "home", ics); code != http.StatusCreated {
		t.Fatalf("PUT as home: %d %s", code, body)
	}
	waitUntil(t, "the event on bob's server calendar", func() bool {
		return len(srv.ItemIDs("bob", srv.FolderID("bob", eastest.TypeCalendar))) == 2
	})
	if n := len(srv.ItemIDs("alice", srv.FolderID("alice", eastest.TypeCalendar))); n != 1 {
		t.Errorf("alice's calendar has %d events, want 1", n)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run exited %d: %s", code, rerr.String())
	}
}
