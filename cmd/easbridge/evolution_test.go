package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/bridge/store"
)

func TestClientsEvolution(t *testing.T) {
	home := setupEnv(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	state := filepath.Join(home, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(state, "state.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Collection{
		{Name: "calendar", Kind: store.KindEvents, DisplayName: "Calendar"},
		{Name: "tasks", Kind: store.KindTasks, DisplayName: "Tasks"},
		{Name: "notes", Kind: store.KindJournal, DisplayName: "Notes"},
		{Name: "contacts", Kind: store.KindContacts, DisplayName: "Contacts"},
		{Name: "INBOX", Kind: store.KindMail, DisplayName: "Inbox"},
	} {
		if _, err := st.CreateCollection(ctx, c, false); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	cfgPath := writeConfig(t, `[dav]
listen = "127.0.0.1:5232"
password_command = "echo dav-pw"
[[account]]
name = "work"
url = "https://mail.example/Microsoft-Server-ActiveSync"
username = "alice"
state_dir = "`+state+`"
`)
	dir := filepath.Join(home, "sources")
	stale := filepath.Join(dir, evolutionUID("work", "gone")+".source")
	other := filepath.Join(dir, "someone-else.source")
	for _, p := range []string{stale, other} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("[Data Source]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"clients", "--config", cfgPath, "--evolution", "--sources-dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.source"))
	if len(files) != 5 { // four sources and the foreign one
		t.Fatalf("files %v\n%s", files, out.String())
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("the stale source was kept")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a source easbridge did not write was removed")
	}
	for coll, want := range map[string][]string{
		"calendar": {"[Calendar]\nBackendName=caldav", "Parent=caldav-stub", "ResourcePath=/calendars/work/calendar/", "Port=5232", "User=work", "DisplayName=Calendar (work)"},
		"tasks":    {"[Task List]\nBackendName=caldav", "ResourcePath=/calendars/work/tasks/"},
		"notes":    {"[Memo List]\nBackendName=caldav"},
		"contacts": {"[Address Book]\nBackendName=carddav", "Parent=carddav-stub", "ResourcePath=/contacts/work/contacts/"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, evolutionUID("work", coll)+".source"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q:\n%s", coll, w, b)
			}
		}
		if strings.Contains(string(b), "dav-pw") {
			t.Errorf("%s holds the password", coll)
		}
	}
	if !strings.Contains(out.String(), "Evolution will ask once for the password") {
		t.Errorf("no keyring fallback reported:\n%s", out.String())
	}
}

func TestClientsEvolutionNotSynced(t *testing.T) {
	home := setupEnv(t)
	cfgPath := writeConfig(t, `[[account]]
name = "work"
url = "https://mail.example/Microsoft-Server-ActiveSync"
username = "alice"
state_dir = "`+filepath.Join(home, "none")+`"
`)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"clients", "--config", cfgPath, "--evolution", "--sources-dir", filepath.Join(home, "s")}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "has not synced yet") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
