package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
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
skip_folders = ["Junk Email", "RSS Feeds"]
`, ""},
		{"skip_folders not a list", "[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\nskip_folders=\"Junk\"\n", "skip_folders"},
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
			if a.CalendarAge != "6m" || a.MailAge != "all" || a.StateDir == "" || a.Maildir == "" || cfg.DAV.Listen != "127.0.0.1:5299" ||
				len(a.SkipFolders) != 2 || a.SkipFolders[1] != "RSS Feeds" {
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

func TestAuthConfig(t *testing.T) {
	const base = "[[account]]\nname=\"m365\"\nurl=\"https://outlook.office365.com/Microsoft-Server-ActiveSync\"\n"
	for _, tc := range []struct {
		name, text, wantErr string
		check               func(a accountConfig) bool
	}{
		{"basic by default", base + "username=\"alice\"\n", "", func(a accountConfig) bool { return a.Auth == authBasic && a.protocolVersion() == 0 }},
		{"oauth2 defaults", base + "email=\"alice@contoso.example\"\nauth=\"oauth2\"\nclient_id=\"11111111-2222-3333-4444-555555555555\"\n", "",
			func(a accountConfig) bool {
				return a.Auth == authOAuth2 && a.Tenant == "common" && a.Username == "alice@contoso.example" && a.oauthConfig(nil).LoginHint == "alice@contoso.example"
			}},
		{"oauth2 tenant domain", base + "username=\"alice@contoso.example\"\nauth=\"oauth2\"\nclient_id=\"c\"\ntenant=\"contoso.onmicrosoft.com\"\n", "",
			func(a accountConfig) bool {
				oc := a.oauthConfig(nil)
				return oc.TokenURL() == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
			}},
		{"organizations", base + "username=\"a@b\"\nauth=\"oauth2\"\nclient_id=\"c\"\ntenant=\"organizations\"\n", "", nil},
		{"protocol version", base + "username=\"a\"\nprotocol_version=\"16.1\"\n", "", func(a accountConfig) bool { return a.protocolVersion() == 161 }},
		{"oauth2 without client id", base + "username=\"a@b\"\nauth=\"oauth2\"\n", "needs client_id", nil},
		{"unknown auth", base + "username=\"a\"\nauth=\"ntlm\"\n", "auth \"ntlm\"", nil},
		{"bad tenant", base + "username=\"a@b\"\nauth=\"oauth2\"\nclient_id=\"c\"\ntenant=\"../x\"\n", "tenant", nil},
		{"http authority", base + "username=\"a@b\"\nauth=\"oauth2\"\nclient_id=\"c\"\nauthority=\"http://login.example\"\n", "https", nil},
		{"client id with basic", base + "username=\"a\"\nclient_id=\"c\"\n", "only with auth", nil},
		{"password command with oauth2", base + "username=\"a@b\"\nauth=\"oauth2\"\nclient_id=\"c\"\npassword_command=\"echo x\"\n", "password_command does not apply", nil},
		{"bad protocol version", base + "username=\"a\"\nprotocol_version=\"2.5\"\n", "protocol_version", nil},
		{"unknown key", base + "username=\"a\"\nclient_secret=\"x\"\n", "unknown key account.client_secret", nil},
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
			if tc.check != nil && !tc.check(cfg.Accounts[0]) {
				t.Errorf("account %+v", cfg.Accounts[0])
			}
		})
	}
}

// The device id is derived once, kept, and never replaced: each new one
// costs a device partnership.
func TestDeviceIDStable(t *testing.T) {
	dir := t.TempDir()
	a := accountConfig{Name: "work", StateDir: filepath.Join(dir, "state")}
	first, err := a.deviceID()
	if err != nil || !regexp.MustCompile(`^EB[0-9A-F]{24}$`).MatchString(first) {
		t.Fatalf("id %q %v", first, err)
	}
	again, _ := a.deviceID()
	// Losing the state directory does not change it on a machine with a
	// machine id.
	os.RemoveAll(a.StateDir)
	lost, _ := a.deviceID()
	other, _ := (&accountConfig{Name: "home", StateDir: filepath.Join(dir, "home")}).deviceID()
	twin, _ := (&accountConfig{Name: "work", StateDir: filepath.Join(dir, "state2")}).deviceID()
	if again != first || other == first || twin == first {
		t.Errorf("ids %s %s %s %s", first, again, other, twin)
	}
	if _, err := os.Stat("/etc/machine-id"); err == nil && lost != first {
		t.Errorf("id changed after the state directory was lost: %s -> %s", first, lost)
	}
}
