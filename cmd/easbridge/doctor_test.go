package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/eastest"
)

// doctorCase is one doctor run against a sample server.
type doctorCase struct {
	name string
	// tls serves the sample server with httptest's self-signed certificate.
	tls bool
	// dateShift moves the server's Date header.
	dateShift time.Duration
	policy    *eastest.Policy
	password  string // the account's password ("xpw" is right)
	// prepare changes the account directories or the config text.
	prepare func(t *testing.T, dirs [2]string) string
	// want lines (substrings) and the exit code.
	want []string
	code int
}

func TestDoctor(t *testing.T) {
	for _, tc := range []doctorCase{
		{name: "healthy", code: 0, want: []string{
			"ok    config:", "ok    dav password: present", "dav port 127.0.0.1:0: free", "password: present (password_command printed one)",
			"maildir: ", "does not exist yet", "server: 127.0.0.1", "clock: within", "protocol: server", "easbridge uses 16.1",
			"policy: the server demands no security policy", "all checks passed"}},
		{name: "wrong password", password: "nope", code: 1, want: []string{
			"FAIL  account work: protocol: the server rejected the credentials (HTTP 401) — fix: check username alice"}},
		{name: "self-signed", tls: true, code: 1, want: []string{
			"FAIL  account work: tls: the certificate of 127.0.0.1:", "signed by an unknown authority", "fix: install the CA certificate"}},
		{name: "clock skew", dateShift: 2 * time.Hour, code: 1, want: []string{
			"FAIL  account work: clock: this machine's clock is 2h0m0s behind the server's", "fix: turn on time synchronisation"}},
		{name: "policy", code: 1, policy: &eastest.Policy{Settings: []eastest.PolicySetting{{Name: "DevicePasswordEnabled", Value: "1"}}},
			want: []string{"FAIL  account work: policy:", "DevicePasswordEnabled", "Set-MobileDeviceMailboxPolicy"}},
		{name: "world-readable maildir", code: 1, prepare: func(t *testing.T, dirs [2]string) string {
			mkdir(t, dirs[0], 0o755)
			mkdir(t, dirs[1], 0o750)
			return ""
		}, want: []string{"FAIL  account work: maildir:", "readable by others (mode 755) — fix: chmod 700",
			"warn  account work: state:", "(mode 750)"}},
		{name: "private dirs", code: 0, prepare: func(t *testing.T, dirs [2]string) string {
			mkdir(t, dirs[0], 0o700)
			mkdir(t, dirs[1], 0o700)
			return ""
		}, want: []string{"maildir: ", "writable and private"}},
		{name: "bad config", code: 1, prepare: func(*testing.T, [2]string) string { return "colour = \"blue\"\n" },
			want: []string{"FAIL  config:", "unknown key colour"}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t) })
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func (tc doctorCase) run(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	srv := eastest.New(eastest.Config{Policy: tc.policy})
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "xpw"}); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if tc.dateShift != 0 {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", time.Now().Add(tc.dateShift).UTC().Format(http.TimeFormat))
			srv.ServeHTTP(w, r)
		})
	}
	ts := httptest.NewUnstartedServer(h)
	if tc.tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	defer ts.Close()
	pw := tc.password
	if pw == "" {
		pw = "xpw"
	}
	dir := t.TempDir()
	dirs := [2]string{filepath.Join(dir, "mail"), filepath.Join(dir, "state")}
	extra := ""
	if tc.prepare != nil {
		extra = tc.prepare(t, dirs)
	}
	path := writeConfig(t, fmt.Sprintf(`%s[dav]
listen = "127.0.0.1:0"
password_command = "echo dav-secret-1"
[[account]]
name = "work"
url = %q
username = "alice"
password_command = "echo %s"
maildir = %q
state_dir = %q
`, extra, ts.URL+"/Microsoft-Server-ActiveSync", pw, dirs[0], dirs[1]))
	var out, errOut lockedBuffer
	code := run(context.Background(), []string{"--config", path, "doctor"}, &out, &errOut)
	text := out.String()
	if code != tc.code {
		t.Errorf("exit %d, want %d\n%s%s", code, tc.code, text, errOut.String())
	}
	for _, w := range tc.want {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
	for _, secret := range []string{"dav-secret-1", pw} {
		if strings.Contains(text, secret) {
			t.Errorf("output holds the secret %q", secret)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(l, "FAIL") && !strings.Contains(l, " — fix: ") {
			t.Errorf("a failure without a fix: %s", l)
		}
	}
}

// TestDoctorDAVPortBusy names a port another program holds.
func TestDoctorDAVPortBusy(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf(`[dav]
listen = %q
password_command = "echo d"
[[account]]
name = "work"
url = "http://127.0.0.1:1/Microsoft-Server-ActiveSync"
username = "alice"
password_command = "echo x"
maildir = %q
state_dir = %q
`, ln.Addr().String(), filepath.Join(dir, "m"), filepath.Join(dir, "s")))
	var out, errOut lockedBuffer
	if code := run(context.Background(), []string{"--config", path, "doctor"}, &out, &errOut); code != 1 {
		t.Errorf("exit %d", code)
	}
	for _, w := range []string{"FAIL  dav port " + ln.Addr().String() + ": in use by another program", "FAIL  account work: server: cannot reach 127.0.0.1:1"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestDoctorNoConfig points at the setup command.
func TestDoctorNoConfig(t *testing.T) {
	var out, errOut lockedBuffer
	code := run(context.Background(), []string{"--config", filepath.Join(t.TempDir(), "none.toml"), "doctor"}, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), "FAIL  config:") || !strings.Contains(out.String(), "run `easbridge setup`") {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}

// TestDoctorDAVPortOurs accepts the DAV port when this configuration's
// daemon holds it.
func TestDoctorDAVPortOurs(t *testing.T) {
	f := newControlFixture(t)
	port, err := demoListen(0)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfgText := strings.Replace(string(text), `listen = "127.0.0.1:0"`, fmt.Sprintf("listen = %q", port), 1)
	if err := os.WriteFile(f.cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--config", f.cfgPath, "run"}, &out, &errOut) }()
	waitUntil(t, "the daemon's control socket", func() bool {
		_, err := askDaemon(ctx, f.cfgPath, f.cfg)
		return err == nil
	})
	var dout, derr lockedBuffer
	run(context.Background(), []string{"--config", f.cfgPath, "doctor"}, &dout, &derr)
	if want := "ok    dav port " + port + ": served by the running easbridge (pid "; !strings.Contains(dout.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, dout.String())
	}
	cancel()
	<-done
}
