package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/secret"
)

// setupEnv points every directory setup and run use into a temporary
// home, with the secrets in a file there (never the real keyring).
func setupEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	t.Setenv(passwordEnv, "")
	t.Setenv(davPasswordEnv, "")
	old := openSecrets
	openSecrets = func() (secret.Store, secret.Choice, error) {
		return secret.Open(secret.Options{NoKeyring: true, File: filepath.Join(home, "secrets.json")})
	}
	t.Cleanup(func() { openSecrets = old })
	return home
}

// newSetupServer is an in-process EAS server with user alice.
func newSetupServer(t *testing.T, cfg eastest.Config) (*eastest.Server, string) {
	t.Helper()
	srv := eastest.New(cfg)
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "right-pw", Email: "alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// scripted is a prompter answering from a script (interactive) or taking
// every default (not interactive).
func scripted(answers string, interactive bool, password string) (*prompter, *bytes.Buffer) {
	var out bytes.Buffer
	return &prompter{in: bufio.NewReader(strings.NewReader(answers)), out: &out, interactive: interactive,
		password: func(string) (string, error) { return password, nil }}, &out
}

func TestSetupByFlagsWritesWorkingConfig(t *testing.T) {
	home := setupEnv(t)
	_, base := newSetupServer(t, eastest.Config{})
	cfgPath := filepath.Join(home, ".config", "easbridge", "config.toml")
	pr, out := scripted("", false, "right-pw")
	sf := setupFlags{config: cfgPath, email: "alice@example.test", url: base + "/Microsoft-Server-ActiveSync", user: "alice", mailAge: "1m"}
	if err := setup(context.Background(), sf, pr, out); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	fi, err := os.Stat(cfgPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode: %v %v", fi, err)
	}
	text, _ := os.ReadFile(cfgPath)
	if strings.Contains(string(text), "right-pw") {
		t.Fatal("the password is in the config file")
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ac := cfg.Accounts[0]
	if ac.Name != "example" || ac.Username != "alice" || ac.MailAge != "1m" || ac.PasswordCommand != "" {
		t.Fatalf("account = %+v", ac)
	}
	if fi, err := os.Stat(filepath.Join(home, "Mail")); err != nil || !fi.IsDir() {
		t.Errorf("the Maildir's parent was not created: %v", err)
	}
	// run finds the password without password_command or environment.
	if pw, err := ac.password(context.Background()); err != nil || pw != "right-pw" {
		t.Fatalf("password() = %q, %v", pw, err)
	}
	if pw, err := cfg.davPassword(context.Background()); err != nil || len(pw) < 20 {
		t.Fatalf("davPassword() = %q, %v", pw, err)
	}
	for _, want := range []string{"protocol 16.1", "Password stored: secrets are kept in", "service install", "clients --evolution"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSetupRerunEditsAccount(t *testing.T) {
	home := setupEnv(t)
	_, base := newSetupServer(t, eastest.Config{})
	cfgPath := filepath.Join(home, "config.toml")
	orig := `# my own comment
[dav]
listen = "127.0.0.1:5232"

[[account]]
name = "other"
url = "https://other.example/Microsoft-Server-ActiveSync"
username = "bob"
password_command = "pass other"

[[account]]
# alice's mailbox
name = "work"
url = "https://old.example/Microsoft-Server-ActiveSync"
username = "alice"
password_command = "pass work"
conflict_policy = "client-wins"
`
	if err := os.WriteFile(cfgPath, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		pr, out := scripted("", false, "right-pw")
		sf := setupFlags{config: cfgPath, name: "work", url: base + "/Microsoft-Server-ActiveSync", email: "alice@example.test"}
		if err := setup(context.Background(), sf, pr, out); err != nil {
			t.Fatalf("setup %d: %v\n%s", i, err, out)
		}
		if !strings.Contains(out.String(), `Account "work" updated in`) {
			t.Errorf("run %d: %s", i, out)
		}
	}
	text, _ := os.ReadFile(cfgPath)
	s := string(text)
	for _, want := range []string{"# my own comment", "# alice's mailbox", `password_command = "pass other"`, `conflict_policy = "client-wins"`,
		`listen = "127.0.0.1:5232"`, `url = "` + base} {
		if !strings.Contains(s, want) {
			t.Errorf("config lost %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "[[account]]") != 2 || strings.Contains(s, "\npassword_command = \"pass work\"") {
		t.Errorf("account duplicated or password_command kept:\n%s", s)
	}
}

func TestSetupInteractive(t *testing.T) {
	home := setupEnv(t)
	_, base := newSetupServer(t, eastest.Config{})
	old := autodiscoverCandidates
	autodiscoverCandidates = func(string) []string { return []string{base + "/autodiscover/autodiscover.xml"} }
	t.Cleanup(func() { autodiscoverCandidates = old })
	cfgPath := filepath.Join(home, "config.toml")
	// address, name (default), URL (empty: Autodiscover), user, a bad age
	// then a good one, calendar age (default), a folder the server lacks
	// then one it has (another case), confirm.
	pr, out := scripted("alice@example.test\n\n\nalice\nforever\n2w\n\nSpam\njunk email\nyes\n", true, "right-pw")
	if err := setup(context.Background(), setupFlags{config: cfgPath}, pr, out); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	for _, want := range []string{"E-mail address: ", "Account name [example]: ", "Autodiscover found " + base, `"forever" is not one of the choices`,
		`the server has no folder named "Spam"; its folders are: Calendar, Contacts, Deleted Items, Drafts, Inbox, Junk Email,`, "Write account"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	var cfg config
	if _, err := toml.DecodeFile(cfgPath, &cfg); err != nil || len(cfg.Accounts) != 1 || cfg.Accounts[0].MailAge != "2w" || cfg.Accounts[0].CalendarAge != "6m" ||
		!slices.Equal(cfg.Accounts[0].SkipFolders, []string{"Junk Email"}) {
		t.Fatalf("config = %+v, %v", cfg, err)
	}
}

// TestSetupFailures checks that each failure users meet ends in one line
// that names the cause and the fix, and writes nothing.
func TestSetupFailures(t *testing.T) {
	setupEnv(t)
	_, base := newSetupServer(t, eastest.Config{})
	_, polBase := newSetupServer(t, eastest.Config{Policy: &eastest.Policy{Settings: []eastest.PolicySetting{{Name: "RequireDeviceEncryption", Value: "1"}}}})
	tlsSrv := httptest.NewUnstartedServer(eastest.New(eastest.Config{}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	old := volumeEncryption
	volumeEncryption = func(string) (bool, string) { return false, "test volume" }
	t.Cleanup(func() { volumeEncryption = old })
	for _, tc := range []struct {
		name, url, password string
		want                []string
	}{
		{"wrong password", base, "wrong-pw", []string{"refused the user name or password", "--user"}},
		{"unreachable", "http://" + closed, "right-pw", []string{"cannot connect to " + closed, "check the URL"}},
		{"self-signed", tlsSrv.URL, "right-pw", []string{"TLS certificate", "not trusted", "never turns certificate checks off", "SSL_CERT_FILE"}},
		{"encryption policy", polBase, "right-pw", []string{"RequireDeviceEncryption", "not on an encrypted volume", "Set-MobileDeviceMailboxPolicy", "-RequireDeviceEncryption $false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := filepath.Join(t.TempDir(), "config.toml")
			pr, out := scripted("", false, tc.password)
			err := setup(context.Background(), setupFlags{config: cfgPath, email: "alice@example.test", user: "alice", url: tc.url + "/Microsoft-Server-ActiveSync"}, pr, out)
			if err == nil {
				t.Fatal("setup succeeded")
			}
			msg := explainSetupError(err)
			if strings.Contains(msg, "\n") {
				t.Errorf("message has several lines: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if _, err := os.Stat(cfgPath); err == nil {
				t.Error("a configuration was written")
			}
		})
	}
}

func TestSetupExchangeOnline(t *testing.T) {
	home := setupEnv(t)
	cfgPath := filepath.Join(home, "config.toml")
	pr, out := scripted("", false, "")
	err := setup(context.Background(), setupFlags{config: cfgPath, email: "ann@contoso.onmicrosoft.com", clientID: "00000000-1111-2222-3333-444444444444"}, pr, out)
	if !configHasKey("auth") {
		if err == nil || !strings.Contains(err.Error(), "Microsoft 365") {
			t.Fatalf("err = %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(cfgPath)
	if !strings.Contains(string(text), `auth = "oauth2"`) || !strings.Contains(out.String(), "login contoso") {
		t.Fatalf("config:\n%s\noutput:\n%s", text, out)
	}
}

func TestSetupRunCommandNoTerminal(t *testing.T) {
	home := setupEnv(t)
	_, base := newSetupServer(t, eastest.Config{})
	var stdout, stderr bytes.Buffer
	// The test's stdin is not a terminal: nothing is asked, and without a
	// password source setup says where to give one.
	code := run(context.Background(), []string{"setup", "--config", filepath.Join(home, "c.toml"), "--email", "alice@example.test", "--url", base}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "--password-stdin") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}

func TestEditAccount(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
		set              []setting
	}{
		{"new file", "", newConfigHeader + "\n[[account]]\nname = \"a\"\n", []setting{{"name", `"a"`}, {"password_command", ""}}},
		{"append", "[dav]\nlisten = \"x\"\n", "[dav]\nlisten = \"x\"\n\n[[account]]\nname = \"b\"\n", []setting{{"name", `"b"`}}},
		{"in place", "[[account]]\nname = \"a\" # mine\nurl = \"u\"\n\n[[account]]\nname = \"b\"\n",
			"[[account]]\nname = \"a\"\nurl = \"v\"\nemail = \"e\"\n\n[[account]]\nname = \"b\"\n", []setting{{"name", `"a"`}, {"url", `"v"`}, {"email", `"e"`}}},
		{"comment out", "[[account]]\nname = \"a\"\npassword_command = \"p\"\n",
			"[[account]]\nname = \"a\"\n# password_command = \"p\"  # replaced by easbridge setup\n", []setting{{"password_command", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "a"
			if tc.set[0].Key == "name" {
				name = strings.Trim(tc.set[0].Value, `"`)
			}
			if got := editAccount(tc.text, name, tc.set); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestTOMLString(t *testing.T) {
	for _, s := range []string{`plain`, `q"uo\te`, "ctl\x01\ttab", "ünï"} {
		var v struct{ K string }
		if _, err := toml.Decode("K = "+tomlString(s), &v); err != nil || v.K != s {
			t.Errorf("%q -> %s -> %q, %v", s, tomlString(s), v.K, err)
		}
	}
}

func TestSetupExchangeOnlineNeedsClientID(t *testing.T) {
	home := setupEnv(t)
	pr, out := scripted("", false, "")
	err := setup(context.Background(), setupFlags{config: filepath.Join(home, "c.toml"), email: "ann@contoso.onmicrosoft.com"}, pr, out)
	if err == nil || !strings.Contains(err.Error(), "--client-id") || !strings.Contains(err.Error(), "easbridge login contoso") {
		t.Fatalf("err = %v", err)
	}
}
