package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// TestSyncOnceAndStatus runs `easbridge --config F sync --once` and
// `status --json` against an in-process EAS server.
func TestSyncOnceAndStatus(t *testing.T) {
	srv := eastest.New(eastest.Config{})
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "secret", Email: "alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cal := srv.FolderID("alice", eastest.TypeCalendar)
	for i := range 3 {
		if _, err := srv.AddItem("alice", cal, &eas.Event{Subject: fmt.Sprintf("E%d", i), UID: fmt.Sprintf("e%d", i), StartTime: start, EndTime: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.DeliverMail("alice", []byte("From: x@example.net\r\nSubject: hi\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := writeConfig(t, fmt.Sprintf(`[dav]
listen = "127.0.0.1:5299"
[[account]]
name = "work"
url = %q
username = "alice"
password_command = "echo secret"
state_dir = %q
maildir = %q
calendar_age = "all"
mail_age = "all"
`, ts.URL+"/Microsoft-Server-ActiveSync", filepath.Join(dir, "state"), filepath.Join(dir, "mail")))

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--config", cfgPath, "sync", "--once"}, &out, &errOut); code != 0 {
		t.Fatalf("sync --once exited %d: %s", code, errOut.String())
	}
	entries, err := os.ReadDir(filepath.Join(dir, "mail", "new"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("maildir new/: %v %v", entries, err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"--config", cfgPath, "status", "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("status exited %d: %s", code, errOut.String())
	}
	var st struct {
		Accounts []struct {
			Account string `json:"account"`
			DAVURL  string `json:"dav_url"`
			Folders []struct {
				Name     string     `json:"name"`
				Items    int        `json:"items"`
				SyncedAt *time.Time `json:"synced_at"`
			} `json:"folders"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out.String())
	}
	if len(st.Accounts) != 1 || st.Accounts[0].DAVURL != "http://127.0.0.1:5299/" {
		t.Fatalf("status: %s", out.String())
	}
	found := false
	for _, f := range st.Accounts[0].Folders {
		if f.Name == "calendar" {
			found = f.Items == 3 && f.SyncedAt != nil
		}
	}
	if !found {
		t.Errorf("calendar folder status wrong: %s", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"--config", cfgPath, "status"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "calendar") {
		t.Errorf("status text (%d): %s", code, out.String())
	}
	// An unreachable server makes sync --once fail with the reason.
	ts.Close()
	errOut.Reset()
	if code := run(context.Background(), []string{"--config", cfgPath, "sync", "--once"}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), `account "work"`) {
		t.Errorf("sync against a closed server: exit %d, %s", code, errOut.String())
	}
}
