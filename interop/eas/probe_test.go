//go:build interop

package eas_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbe runs the real easbridge binary's probe command against the
// server and expects the folder tree, for every protocol version.
func TestProbe(t *testing.T) {
	e := loadEnv(t)
	bin := filepath.Join(t.TempDir(), "easbridge")
	build := exec.Command("go", "build", "-o", bin, "github.com/easbridge/easbridge/cmd/easbridge")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, v := range versions(t, e) {
		t.Run(v.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "probe", "--url", e.url, "--user", e.user, "--version", v.String(), "--device-id", "ebitprobe"+runID)
			cmd.Env = append(os.Environ(), "EASBRIDGE_PASSWORD="+e.password)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("probe: %v\n%s", err, out)
			}
			s := string(out)
			for _, want := range []string{"Using:     " + v.String(), "Policy:", "Folders (", "[inbox]", "[calendar]", "[contacts]", "[tasks]", " items)"} {
				if !strings.Contains(s, want) {
					t.Errorf("probe output lacks %q:\n%s", want, s)
				}
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		cmd := exec.Command(bin, "probe", "--url", e.url, "--user", e.user)
		cmd.Env = append(os.Environ(), "EASBRIDGE_PASSWORD=wrong-"+runID)
		out, err := cmd.CombinedOutput()
		if err == nil || strings.TrimSpace(string(out)) != "easbridge probe: eas: the server rejected the user name or password (HTTP 401)" {
			t.Errorf("exit %v, output %q", err, out)
		}
	})
}
