package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeClientsConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	cfg := `[dav]
listen = "127.0.0.1:5232"
password_command = "echo dav-secret-123"

[[account]]
name = "work"
url = "https://mail.example.com/Microsoft-Server-ActiveSync"
username = "u@example.com"
maildir = "` + filepath.Join(dir, "Mail", "work") + `"
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClientsText(t *testing.T) {
	path := writeClientsConfig(t)
	var out, errOut bytes.Buffer
	if code := printClients(context.Background(), []string{"--config", path}, &out, &errOut); code != 0 {
		t.Fatalf("clients = %d: %s", code, errOut.String())
	}
	s := out.String()
	for _, want := range []string{
		"CalDAV (calendars, tasks):  http://127.0.0.1:5232/calendars/work/",
		"CardDAV (address books):    http://127.0.0.1:5232/contacts/work/",
		"user name:                  work",
		"Thunderbird", "Evolution", `type = "caldav"`,
		"set mbox_type=Maildir folder=\"" + filepath.Join(filepath.Dir(path), "Mail", "work"),
		// vdirsyncer runs easbridge itself: it must find this configuration.
		fmt.Sprintf(`password.fetch = ["command", "easbridge", "--config", %q, "clients", "--print-password"]`, path),
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "dav-secret-123") {
		t.Error("password printed without --show-password")
	}
	out.Reset()
	if code := printClients(context.Background(), []string{"--config", path, "--show-password"}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "password:                   dav-secret-123") {
		t.Errorf("--show-password = %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := printClients(context.Background(), []string{"--config", path, "--print-password"}, &out, &errOut); code != 0 ||
		out.String() != "dav-secret-123\n" {
		t.Errorf("--print-password = %d: %q", code, out.String())
	}
}

func TestClientsBadConfig(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := printClients(context.Background(), []string{"--config", filepath.Join(t.TempDir(), "none.toml")}, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "none.toml") {
		t.Errorf("missing config = %d: %s", code, errOut.String())
	}
}
