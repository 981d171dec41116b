package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/bridge"
	"github.com/easbridge/easbridge/eas/eastest"
)

// controlFixture is a sample server and a configuration for one account.
type controlFixture struct {
	srv     *eastest.Server
	cfgPath string
	cfg     *config
}

func newControlFixture(t *testing.T) *controlFixture {
	t.Helper()
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	srv := eastest.New(eastest.Config{HeartbeatUnit: 10 * time.Millisecond, EmptySyncWhenUnchanged: true})
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "xpw"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Seed("alice", time.Now(), time.UTC); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf(`[dav]
listen = "127.0.0.1:0"
password_command = "echo dpw"
[imap]
listen = "off"
[smtp]
listen = "off"
[[account]]
name = "work"
url = %q
username = "alice"
password_command = "echo xpw"
state_dir = %q
maildir = %q
`, ts.URL+"/Microsoft-Server-ActiveSync", filepath.Join(dir, "state"), filepath.Join(dir, "mail")))
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return &controlFixture{srv: srv, cfgPath: path, cfg: cfg}
}

func (f *controlFixture) status(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut lockedBuffer
	code := run(context.Background(), append([]string{"--config", f.cfgPath, "status"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestStatusFromDaemon runs the daemon and reads its status over the
// control socket: the socket is private, push shows live once a Ping is
// outstanding, and after shutdown status falls back to the store.
func TestStatusFromDaemon(t *testing.T) {
	f := newControlFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--config", f.cfgPath, "run"}, &out, &errOut) }()
	var ds *daemonStatus
	waitUntil(t, "a live push reported by the daemon", func() bool {
		var err error
		ds, err = askDaemon(ctx, f.cfgPath, f.cfg)
		return err == nil && len(ds.Accounts) == 1 && ds.Accounts[0].Live != nil && ds.Accounts[0].Live.PushLive
	})
	if ds.PID != os.Getpid() || !strings.HasPrefix(ds.DAVURL, "http://127.0.0.1:") {
		t.Errorf("daemon status: %+v", ds)
	}
	sock := controlPath(f.cfgPath, f.cfg)
	for path, want := range map[string]os.FileMode{sock: 0o600, filepath.Dir(sock): 0o700} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", path, fi.Mode().Perm(), want)
		}
	}
	code, text, stderr := f.status(t)
	if code != 0 {
		t.Fatalf("status: %d %s", code, stderr)
	}
	for _, want := range []string{"daemon: running", "push: live", "calendar", "contacts"} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
	code, text, _ = f.status(t, "--json")
	var js struct {
		Daemon   map[string]any `json:"daemon"`
		Accounts []struct {
			Account string      `json:"account"`
			Live    *liveStatus `json:"live"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(text), &js); err != nil || code != 0 {
		t.Fatalf("status --json: %d %v\n%s", code, err, text)
	}
	if js.Daemon["running"] != true || len(js.Accounts) != 1 || js.Accounts[0].Live == nil || js.Accounts[0].Account != "work" {
		t.Errorf("status --json: %s", text)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run: %d %s", code, errOut.String())
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket outlived the daemon: %v", err)
	}
	code, text, stderr = f.status(t)
	if code != 0 || !strings.Contains(text, "no daemon is running; read from the store") || strings.Contains(text, "  push: ") {
		t.Errorf("status without a daemon: %d %s\n%s", code, stderr, text)
	}
}

// TestStaleControlSocket leaves a socket file as kill -9 does: status
// says so and reads the store, and the next daemon replaces the file.
func TestStaleControlSocket(t *testing.T) {
	f := newControlFixture(t)
	var out, errOut lockedBuffer
	if code := run(context.Background(), []string{"--config", f.cfgPath, "sync", "--once"}, &out, &errOut); code != 0 {
		t.Fatalf("sync --once: %d %s", code, errOut.String())
	}
	sock := controlPath(f.cfgPath, f.cfg)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	code, text, stderr := f.status(t)
	if code != 0 || !strings.Contains(text, "stale control socket") || !strings.Contains(text, "INBOX") {
		t.Errorf("status with a stale socket: %d %s\n%s", code, stderr, text)
	}
	ln2, err := listenControl(sock)
	if err != nil {
		t.Fatalf("a new daemon cannot replace the stale socket: %v", err)
	}
	defer ln2.Close()
	// A socket someone answers on is not taken over.
	go func() {
		for {
			c, err := ln2.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := listenControl(sock); err == nil || !strings.Contains(err.Error(), "another easbridge run") {
		t.Errorf("listening over a live socket: %v", err)
	}
}

// TestControlPath puts the socket under $XDG_RUNTIME_DIR, else beside
// the state, with a name per configuration.
func TestControlPath(t *testing.T) {
	cfg := &config{Accounts: []accountConfig{{StateDir: "/home/u/.local/share/easbridge/work"}}}
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	a, b := controlPath("/a/config.toml", cfg), controlPath("/b/config.toml", cfg)
	if !strings.HasPrefix(a, "/run/user/1000/easbridge/control-") || a == b {
		t.Errorf("paths %q %q", a, b)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	if p := controlPath("/a/config.toml", cfg); !strings.HasPrefix(p, "/home/u/.local/share/easbridge/run/control-") {
		t.Errorf("fallback %q", p)
	}
}

// TestPrintProgress shows only the initial syncs still under way.
func TestPrintProgress(t *testing.T) {
	var b strings.Builder
	printProgress(&b, []bridge.FolderStatus{
		{Name: "INBOX", Progress: &bridge.FolderProgress{Estimate: 7000, Done: 1200}},
		{Name: "calendar", Progress: &bridge.FolderProgress{Estimate: 20, Done: 20, Complete: true}},
		{Name: "contacts"},
	})
	if got, want := b.String(), "  initial sync: INBOX 1200 of about 7000\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
