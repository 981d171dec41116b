package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRenderDirectives(t *testing.T) {
	b, err := Render(Unit{Binary: "/opt/eb/easbridge", Config: "/home/u/.config/easbridge/config.toml"})
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		"\nType=notify\n",
		"\nNotifyAccess=main\n",
		"\nWatchdogSec=120\n",
		"\nRestart=on-failure\n",
		"\nRestartSec=10\n",
		"\nExecStart=/opt/eb/easbridge --config /home/u/.config/easbridge/config.toml run\n",
		"\nStandardError=journal\n",
		"\nNoNewPrivileges=yes\n",
		"\nWantedBy=default.target\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"PrivateTmp", "ProtectHome", "ProtectSystem", "User="} {
		if strings.Contains(text, "\n"+bad) {
			t.Errorf("unit has %s, which breaks or makes no sense in a user unit", bad)
		}
	}
}

func TestRenderIntervals(t *testing.T) {
	b, err := Render(Unit{Binary: "/b", Config: "/c", Watchdog: 30 * time.Second, RestartSec: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nWatchdogSec=30\n") || !strings.Contains(string(b), "\nRestartSec=3\n") {
		t.Errorf("intervals not rendered:\n%s", b)
	}
	if _, err := Render(Unit{Binary: "/b", Config: "/c", Watchdog: time.Millisecond}); err == nil {
		t.Error("sub-second watchdog accepted")
	}
}

func TestRenderRejects(t *testing.T) {
	for _, u := range []Unit{
		{Binary: "easbridge", Config: "/c"},
		{Binary: "/b", Config: "config.toml"},
		{Binary: "/b\nExecStartPre=/bin/evil", Config: "/c"},
		{Binary: "/b", Config: "/c\x00"},
	} {
		if _, err := Render(u); err == nil {
			t.Errorf("Render(%q, %q) accepted", u.Binary, u.Config)
		}
	}
}

func TestQuoteArg(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/usr/bin/easbridge", "/usr/bin/easbridge"},
		{"/home/a b/easbridge", `"/home/a b/easbridge"`},
		{`/x/"q"`, `"/x/\"q\""`},
		{`/x\y`, `"/x\\y"`},
		{"/100%/$HOME", "/100%%/$$HOME"},
		{"/a;b", `"/a;b"`},
	} {
		got, err := quoteArg(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("quoteArg(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestSystemdAnalyzeVerify checks the rendered unit with systemd's own
// parser when it is installed (Debian package systemd); the interop suite
// interop/service.sh runs the same check unconditionally.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin dir", "easbridge")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := Render(Unit{Binary: bin, Config: filepath.Join(dir, "config 100%.toml")})
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, UnitName)
	if err := os.WriteFile(unit, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s\n%s", err, out, b)
	}
}
