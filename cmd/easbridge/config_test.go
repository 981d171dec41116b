package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfig(t *testing.T) {
	for _, tc := range []struct {
		name, text, wantErr string
	}{
		{"ok", `[dav]
listen = "127.0.0.1:5299"
[[account]]
name = "work"
url = "https://mail.example.com/Microsoft-Server-ActiveSync"
username = "alice"
conflict_policy = "client-wins"
mail_age = "all"
`, ""},
		{"unknown top key", "colour = 1\n[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\n", "unknown key colour"},
		{"unknown account key", "[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\npasword=\"p\"\n", "unknown key account.pasword"},
		{"unknown dav key", "[dav]\nport=1\n[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\n", "unknown key dav.port"},
		{"no account", "[dav]\nlisten=\"127.0.0.1:1\"\n", "no [[account]]"},
		{"bad policy", "[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\nconflict_policy=\"newest\"\n", "conflict_policy"},
		{"bad age", "[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\nmail_age=\"1y\"\n", "mail_age"},
		{"duplicate", "[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\n[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\n", "twice"},
		{"bad name", "[[account]]\nname=\"../a\"\nurl=\"u\"\nusername=\"x\"\n", "name"},
		{"syntax", "[[account]\n", "config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(writeConfig(t, tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := cfg.Accounts[0]
			if a.CalendarAge != "6m" || a.MailAge != "all" || a.StateDir == "" || a.Maildir == "" || cfg.DAV.Listen != "127.0.0.1:5299" {
				t.Errorf("defaults: %+v", a)
			}
		})
	}
}

func TestDeviceIDKept(t *testing.T) {
	a := accountConfig{Name: "a", StateDir: t.TempDir()}
	first, err := a.deviceID()
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.deviceID()
	if err != nil || second != first || len(first) > 32 || first == "" {
		t.Fatalf("device ids %q then %q (%v)", first, second, err)
	}
}

func TestPasswordSources(t *testing.T) {
	ctx := t.Context()
	a := accountConfig{Name: "a", PasswordCommand: "printf 's3cret\\nignored'"}
	if p, err := a.password(ctx); err != nil || p != "s3cret" {
		t.Fatalf("password command: %q %v", p, err)
	}
	t.Setenv(passwordEnv, "")
	b := accountConfig{Name: "b"}
	if _, err := b.password(ctx); err == nil || !strings.Contains(err.Error(), passwordEnv) {
		t.Fatalf("no password source: %v", err)
	}
	t.Setenv(passwordEnv, "fromenv")
	if p, err := b.password(ctx); err != nil || p != "fromenv" {
		t.Fatalf("env: %q %v", p, err)
	}
	c := accountConfig{Name: "c", PasswordCommand: "exit 3"}
	if _, err := c.password(ctx); err == nil {
		t.Fatal("failing command accepted")
	}
}

func TestMoveGlobalConfig(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"--config", "f", "sync", "--once"}, []string{"sync", "--config", "f", "--once"}},
		{[]string{"--config=f", "status"}, []string{"status", "--config=f"}},
		{[]string{"probe", "x"}, []string{"probe", "x"}},
		{[]string{"--config", "f"}, nil},
	} {
		if got := moveGlobalConfig(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestHomeExpanded: "~/" in maildir and state_dir is the home directory,
// as people type it; other paths are left as written.
func TestHomeExpanded(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg, err := loadConfig(writeConfig(t, `[[account]]
name = "work"
url = "https://mail.example.com/Microsoft-Server-ActiveSync"
username = "alice"
maildir = "~/Mail/work"
state_dir = "/srv/state/~/x"
`))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Accounts[0]
	if a.Maildir != filepath.Join(home, "Mail", "work") || a.StateDir != "/srv/state/~/x" {
		t.Errorf("maildir %q, state_dir %q", a.Maildir, a.StateDir)
	}
}
