package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder stands in for the systemctl/launchctl call only: it records
// each command line and answers from a table.
type recorder struct {
	calls   []string
	answers map[string]error
	output  map[string]string
}

func (r *recorder) run(_ context.Context, name string, args ...string) ([]byte, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	r.calls = append(r.calls, line)
	for prefix, err := range r.answers {
		if strings.HasPrefix(line, prefix) {
			return []byte(r.output[prefix]), err
		}
	}
	return []byte(r.output[line]), nil
}

type svcFixture struct {
	env    *serviceEnv
	rec    *recorder
	out    *bytes.Buffer
	errOut *bytes.Buffer
	config string
}

func newSvcFixture(t *testing.T, goos string) *svcFixture {
	t.Helper()
	home := t.TempDir()
	cfg := filepath.Join(home, ".config", "easbridge", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("# test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &svcFixture{rec: &recorder{answers: map[string]error{}, output: map[string]string{}},
		out: &bytes.Buffer{}, errOut: &bytes.Buffer{}, config: cfg}
	f.env = &serviceEnv{
		goos: goos, home: home, configHome: filepath.Join(home, ".config"), uid: 1000,
		binary: "/opt/easbridge dir/easbridge", run: f.rec.run, stdout: f.out, stderr: f.errOut,
	}
	return f
}

func (f *svcFixture) do(args ...string) int {
	f.out.Reset()
	f.errOut.Reset()
	return f.env.main(context.Background(), append(args, "--config", f.config))
}

func TestServiceInstallUninstallNoActivate(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		f := newSvcFixture(t, goos)
		path := f.env.servicePath()
		want := map[string]string{
			"linux":  filepath.Join(f.env.home, ".config", "systemd", "user", "easbridge.service"),
			"darwin": filepath.Join(f.env.home, "Library", "LaunchAgents", "org.easbridge.easbridge.plist"),
		}[goos]
		if path != want {
			t.Fatalf("%s: service path %s, want %s", goos, path, want)
		}
		for i := 0; i < 2; i++ { // a second install replaces its own file
			if code := f.do("install", "--no-activate"); code != 0 {
				t.Fatalf("%s: install #%d = %d: %s", goos, i, code, f.errOut)
			}
		}
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), "easbridge dir/easbridge") || !strings.Contains(string(b), f.config) {
			t.Fatalf("%s: service file %v:\n%s", goos, err, b)
		}
		if len(f.rec.calls) != 0 {
			t.Errorf("%s: --no-activate ran %q", goos, f.rec.calls)
		}
		if code := f.do("uninstall", "--no-activate"); code != 0 {
			t.Fatalf("%s: uninstall = %d: %s", goos, code, f.errOut)
		}
		if fileExists(path) || fileExists(f.env.manifestPath()) {
			t.Errorf("%s: uninstall left files behind", goos)
		}
		if !fileExists(f.config) {
			t.Errorf("%s: uninstall removed the config", goos)
		}
		if code := f.do("uninstall", "--no-activate"); code != 0 || !strings.Contains(f.out.String(), "nothing to uninstall") {
			t.Errorf("%s: second uninstall = %d: %s%s", goos, code, f.out, f.errOut)
		}
	}
}

func TestServiceRefusesForeignFiles(t *testing.T) {
	f := newSvcFixture(t, "linux")
	path := f.env.servicePath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("[Service]\nExecStart=/usr/bin/mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := f.do("install", "--no-activate"); code == 0 || !strings.Contains(f.errOut.String(), "not written by") {
		t.Errorf("install over a foreign unit = %d: %s", code, f.errOut)
	}
	if code := f.do("uninstall", "--no-activate"); code == 0 || !strings.Contains(f.errOut.String(), "not written by") {
		t.Errorf("uninstall of a foreign unit = %d: %s", code, f.errOut)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "/usr/bin/mine") {
		t.Error("foreign unit was changed")
	}
}

func TestServiceKeepsEditedFile(t *testing.T) {
	f := newSvcFixture(t, "linux")
	if code := f.do("install", "--no-activate"); code != 0 {
		t.Fatal(f.errOut)
	}
	path := f.env.servicePath()
	if err := os.WriteFile(path, []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := f.do("uninstall", "--no-activate"); code == 0 || !strings.Contains(f.errOut.String(), "changed after install") {
		t.Errorf("uninstall of an edited unit = %d: %s", code, f.errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != "edited\n" {
		t.Error("edited unit removed or changed")
	}
	if !fileExists(f.env.manifestPath()) {
		t.Error("manifest dropped while a file it records remains")
	}
}

func TestServiceMissingConfig(t *testing.T) {
	f := newSvcFixture(t, "linux")
	f.config = filepath.Join(f.env.home, "absent.toml")
	if code := f.do("install", "--no-activate"); code == 0 || !strings.Contains(f.errOut.String(), "easbridge setup") {
		t.Errorf("install without config = %d: %s", code, f.errOut)
	}
	if fileExists(f.env.servicePath()) {
		t.Error("unit written without a config")
	}
}

func TestServiceSystemctlCalls(t *testing.T) {
	f := newSvcFixture(t, "linux")
	if code := f.do("install"); code != 0 {
		t.Fatalf("install = %d: %s", code, f.errOut)
	}
	f.rec.output["systemctl --user is-enabled easbridge.service"] = "enabled\n"
	f.rec.output["systemctl --user is-active easbridge.service"] = "active\n"
	if code := f.do("status"); code != 0 {
		t.Fatal(f.errOut)
	}
	for _, want := range []string{"installed: yes", "enabled: enabled", "active: active"} {
		if !strings.Contains(f.out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, f.out)
		}
	}
	if code := f.do("uninstall"); code != 0 {
		t.Fatalf("uninstall = %d: %s", code, f.errOut)
	}
	want := []string{
		"systemctl --user daemon-reload",
		"systemctl --user enable --now easbridge.service",
		"systemctl --user is-enabled easbridge.service",
		"systemctl --user is-active easbridge.service",
		"systemctl --user disable --now easbridge.service",
		"systemctl --user daemon-reload",
	}
	if strings.Join(f.rec.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.rec.calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestServiceNoUserBus(t *testing.T) {
	f := newSvcFixture(t, "linux")
	busErr := errors.New("exit status 1")
	f.rec.answers["systemctl"] = busErr
	f.rec.output["systemctl"] = "Failed to connect to bus: No medium found"
	if code := f.do("install"); code != 3 {
		t.Fatalf("install without a user bus = %d, want 3: %s", code, f.errOut)
	}
	msg := f.errOut.String()
	for _, want := range []string{"cannot reach your user service manager", "No medium found", f.env.servicePath(),
		"systemctl --user daemon-reload && systemctl --user enable --now easbridge.service"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if !fileExists(f.env.servicePath()) {
		t.Error("unit not left in place for a later activation")
	}
	if code := f.do("status"); code != 0 || !strings.Contains(f.out.String(), "unknown (systemctl --user not reachable") {
		t.Errorf("status = %d:\n%s", code, f.out)
	}
	// enable's symlink, made by hand here, goes with the unit.
	link := filepath.Join(f.env.configHome, "systemd", "user", "default.target.wants", "easbridge.service")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.env.servicePath(), link); err != nil {
		t.Fatal(err)
	}
	if code := f.do("uninstall"); code != 3 {
		t.Errorf("uninstall without a user bus = %d, want 3: %s", code, f.errOut)
	}
	if fileExists(f.env.servicePath()) || fileExists(link) {
		t.Error("unit or its wants link left behind")
	}
}

func TestServiceLaunchctlCalls(t *testing.T) {
	f := newSvcFixture(t, "darwin")
	if code := f.do("install"); code != 0 {
		t.Fatalf("install = %d: %s", code, f.errOut)
	}
	path := f.env.servicePath()
	want := []string{
		"launchctl bootout gui/1000/org.easbridge.easbridge",
		"launchctl bootstrap gui/1000 " + path,
	}
	if strings.Join(f.rec.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.rec.calls, "\n"), strings.Join(want, "\n"))
	}
	if !fileExists(filepath.Join(f.env.home, "Library", "Logs")) {
		t.Error("~/Library/Logs not created")
	}
}

func TestServiceEnvXDG(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	e, err := defaultServiceEnv(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.configHome != filepath.Join(dir, "xdg") || !filepath.IsAbs(e.binary) {
		t.Errorf("configHome %s binary %s", e.configHome, e.binary)
	}
	t.Setenv("XDG_CONFIG_HOME", "relative")
	if e, _ := defaultServiceEnv(nil, nil); e.configHome != filepath.Join(dir, ".config") {
		t.Errorf("relative XDG_CONFIG_HOME used: %s", e.configHome)
	}
}

func TestServiceUsage(t *testing.T) {
	f := newSvcFixture(t, "linux")
	for _, args := range [][]string{{}, {"frobnicate"}, {"install", "extra"}} {
		f.out.Reset()
		f.errOut.Reset()
		if code := f.env.main(context.Background(), args); code != 2 {
			t.Errorf("%q = %d, want 2", args, code)
		}
	}
	f.env.goos = "windows"
	if code := f.do("install"); code != 1 || !strings.Contains(f.errOut.String(), "windows") {
		t.Errorf("windows = %d: %s", code, f.errOut)
	}
}
