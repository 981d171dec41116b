package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// guardedRun starts `easbridge run` on an eastest server and returns the
// account's directories, the exit code channel and the log.
type guardedRun struct {
	srv              *eastest.Server
	dir, state, mail string
	cfgPath          string
	done             chan int
	errOut           *lockedBuffer
	cancel           context.CancelFunc
}

func startGuardedRun(t *testing.T, cfg eastest.Config) *guardedRun {
	t.Helper()
	setupEnv(t)
	cfg.HeartbeatUnit = 10 * time.Millisecond
	g := &guardedRun{srv: eastest.New(cfg), dir: t.TempDir(), done: make(chan int, 1), errOut: &lockedBuffer{}}
	if err := g.srv.AddUser(eastest.User{Name: "alice", Password: "xch-pw"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(g.srv)
	t.Cleanup(ts.Close)
	g.state, g.mail = filepath.Join(g.dir, "work", "state"), filepath.Join(g.dir, "work", "mail")
	start := time.Now().Add(24 * time.Hour)
	if _, err := g.srv.AddItem("alice", g.srv.FolderID("alice", eastest.TypeCalendar), &eas.Event{Subject: "Kept", UID: "w1", StartTime: start, EndTime: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Sentinels beside and above the account's directories.
	for _, p := range []string{filepath.Join(g.dir, "work", "sentinel"), filepath.Join(g.dir, "sentinel")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	g.cfgPath = writeConfig(t, fmt.Sprintf(`[dav]
listen = "127.0.0.1:0"
password_command = "echo dav-pw"
[imap]
listen = "off"
[smtp]
listen = "off"
[[account]]
name = "work"
url = %q
username = "alice"
password_command = "echo xch-pw"
state_dir = %q
maildir = %q
`, ts.URL+"/Microsoft-Server-ActiveSync", g.state, g.mail))
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	t.Cleanup(cancel)
	go func() { g.done <- run(ctx, []string{"--config", g.cfgPath, "run"}, io.Discard, g.errOut) }()
	return g
}

func (g *guardedRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-g.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("run did not stop; log:\n%s", g.errOut)
	}
	return -1
}

func TestRunRemoteWipe(t *testing.T) {
	g := startGuardedRun(t, eastest.Config{})
	db := filepath.Join(g.state, "state.db")
	waitUntil(t, "the first sync", func() bool {
		ents, _ := os.ReadDir(filepath.Join(g.mail))
		_, err := os.Stat(db)
		return err == nil && len(ents) > 0
	})
	cfg, err := loadConfig(g.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := cfg.Accounts[0].deviceID()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.srv.RequestWipe("alice", dev); err != nil {
		t.Fatal(err)
	}
	// A change ends the Ping; the next request meets the wipe.
	start := time.Now().Add(48 * time.Hour)
	if _, err := g.srv.AddItem("alice", g.srv.FolderID("alice", eastest.TypeCalendar), &eas.Event{Subject: "Wake", UID: "w2", StartTime: start, EndTime: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if code := g.wait(t); code != 1 {
		t.Fatalf("run exited %d, want 1; log:\n%s", code, g.errOut)
	}
	if !g.srv.WipeAcknowledged("alice", dev) {
		t.Error("the wipe was not acknowledged")
	}
	for _, p := range []string{g.state, g.mail} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
	for _, p := range []string{filepath.Join(g.dir, "work", "sentinel"), filepath.Join(g.dir, "sentinel"), g.cfgPath} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("wipe touched %s: %v", p, err)
		}
	}
	log := g.errOut.String()
	for _, want := range []string{"remote wipe acknowledged", "remote wipe removed", db, `account "work" stopped`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestRunStopsOnPolicy(t *testing.T) {
	g := startGuardedRun(t, eastest.Config{Policy: &eastest.Policy{Settings: []eastest.PolicySetting{
		{Name: "DevicePasswordEnabled", Value: "1"}, {Name: "MinDevicePasswordLength", Value: "6"}}}})
	if code := g.wait(t); code != 1 {
		t.Fatalf("run exited %d, want 1", code)
	}
	log := g.errOut.String()
	for _, want := range []string{"easbridge run: account \"work\": the Exchange server's security policy cannot be honoured: DevicePasswordEnabled", "-PasswordEnabled $false"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	cfg, _ := loadConfig(g.cfgPath)
	dev, _ := cfg.Accounts[0].deviceID()
	if g.srv.PolicyKey("alice", dev) != "" {
		t.Error("the refused policy was acknowledged")
	}
	if !strings.Contains(g.srv.DeviceInformation("alice", dev), "easbridge") {
		t.Errorf("device information: %s", g.srv.DeviceInformation("alice", dev))
	}
}

func TestSafeToWipe(t *testing.T) {
	home, _ := os.UserHomeDir()
	for _, tc := range []struct {
		dir     string
		protect []string
		ok      bool
	}{
		{"/srv/x/work/state", []string{"/srv/x/other/state"}, true},
		{"relative/dir", nil, false},
		{"/", nil, false},
		{home, nil, false},
		{filepath.Dir(home), nil, false},
		{"/srv/x", []string{"/srv/x/other/state"}, false},
		{"/srv/x/work", []string{"/srv/x/work/config.toml"}, false},
		{"/srv/x/work2", []string{"/srv/x/work"}, true},
	} {
		if err := safeToWipe(tc.dir, tc.protect); (err == nil) != tc.ok {
			t.Errorf("safeToWipe(%q, %q) = %v, want ok=%v", tc.dir, tc.protect, err, tc.ok)
		}
	}
}

func TestWipeDirRefusesHome(t *testing.T) {
	home := setupEnv(t)
	keep := filepath.Join(home, "keep")
	if err := os.WriteFile(keep, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := wipeDir(home, nil, "work", slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("wipeDir emptied the home directory")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatal(err)
	}
}

// TestSyncOnceGuard: sync --once carries out a remote wipe too, and
// reports a refused policy by its setting.
func TestSyncOnceGuard(t *testing.T) {
	setupEnv(t)
	srv := eastest.New(eastest.Config{})
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "xch-pw"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	state, mail := filepath.Join(dir, "state"), filepath.Join(dir, "mail")
	cfgPath := writeConfig(t, fmt.Sprintf(`[[account]]
name = "work"
url = %q
username = "alice"
password_command = "echo xch-pw"
state_dir = %q
maildir = %q
`, ts.URL+"/Microsoft-Server-ActiveSync", state, mail))
	sync := func() (int, string) {
		var out, errOut lockedBuffer
		code := run(context.Background(), []string{"sync", "--once", "--config", cfgPath}, &out, &errOut)
		return code, errOut.String()
	}
	if code, msg := sync(); code != 0 {
		t.Fatalf("first sync: %d %s", code, msg)
	}
	cfg, _ := loadConfig(cfgPath)
	dev, _ := cfg.Accounts[0].deviceID()
	if err := srv.RequestWipe("alice", dev); err != nil {
		t.Fatal(err)
	}
	code, msg := sync()
	if code != 1 || !strings.Contains(msg, "wiped this account remotely: its local data was deleted") || !srv.WipeAcknowledged("alice", dev) {
		t.Fatalf("wipe sync: %d %s", code, msg)
	}
	for _, p := range []string{state, mail} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists", p)
		}
	}
	if _, err := os.Stat(cfgPath); err != nil {
		t.Error("the wipe removed the configuration")
	}
}

// TestAccountOnlyWipe: the 16.1 account-only wipe is spotted like a full
// one and acknowledged with its own element.
func TestAccountOnlyWipe(t *testing.T) {
	var acked *wbxml.Node
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("MS-ASProtocolVersions", "14.1,16.1")
			w.Header().Set("MS-ASProtocolCommands", "Provision,FolderSync")
			return
		}
		body, err := wbxml.Parse(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.ms-sync.wbxml")
		resp := &wbxml.Node{Tag: wbxml.ProvisionProvision, Children: []*wbxml.Node{{Tag: wbxml.ProvisionStatus, Text: []byte("1")}}}
		if len(body.Children) > 0 && body.Children[0].Tag == wbxml.ProvisionAccountOnlyRemoteWipe {
			acked = body
		} else {
			resp.Children = append(resp.Children, &wbxml.Node{Tag: wbxml.ProvisionAccountOnlyRemoteWipe})
		}
		_ = resp.Encode(w)
	}))
	defer ts.Close()
	cfg := eas.Config{URL: ts.URL, User: "alice", Credentials: eas.Basic{User: "alice", Password: "pw"}, DeviceID: "EB1", DeviceType: "easbridge"}
	g := guardAccount(&cfg, accountConfig{Name: "work", StateDir: t.TempDir(), Maildir: t.TempDir()})
	c, err := eas.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Provision(context.Background())
	if reason, wipe := g.stopped(); !wipe || reason == nil {
		t.Fatalf("not stopped for a wipe: %v %v", reason, wipe)
	}
	if err := g.acknowledgeWipe(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if acked == nil || len(acked.Children[0].Children) == 0 || string(acked.Children[0].Children[0].Text) != "1" {
		t.Fatalf("acknowledgement: %+v", acked)
	}
}
