package oauth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/secret"
)

func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	s := FileStore{Dir: dir}
	if _, err := s.Load("work"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("empty store: %v", err)
	}
	tok := &Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Unix(2e9, 0).UTC(), ClientID: "c"}
	if err := s.Save("work", tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("work")
	if err != nil || *got != *tok {
		t.Fatalf("Load %v %v", got, err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "work.json"): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, fi.Mode().Perm(), want, err)
		}
	}
	if strings.Contains(tok.String(), "rt") || strings.Contains(tok.String(), "at\"") {
		t.Errorf("String leaks a secret: %s", tok)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "a b"} {
		if err := s.Save(bad, tok); err == nil {
			t.Errorf("account %q accepted", bad)
		}
	}
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"refresh_tok`), 0o600)
	if _, err := s.Load("broken"); err == nil || errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged file: %v", err)
	}
	if err := s.Delete("work"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("work"); !errors.Is(err, ErrNoToken) {
		t.Errorf("after Delete: %v", err)
	}
	if err := s.Delete("work"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

// crashChild is the environment variable that makes the test binary act
// as the child that is killed.
const crashChild = "EB_OAUTH_CRASH_CHILD"

// TestCrashChild is not a test on its own: run by TestKillDuringRefresh
// in a child process, it refreshes the token of the store in
// $EB_OAUTH_CRASH_CHILD and stops for good between writing the new file
// and renaming it over the old one, after saying "ready".
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChild)
	if dir == "" {
		t.Skip("child process of TestKillDuringRefresh")
	}
	mode := os.Getenv(crashChild + "_MODE")
	var store TokenStore = FileStore{Dir: dir}
	if mode == "secretloop" {
		store, mode = SecretStore{Secrets: &secret.File{Path: filepath.Join(dir, "secrets.json")}}, "loop"
	}
	if mode == "loop" {
		// Save rotated tokens as fast as possible until killed.
		for i := 1; ; i++ {
			pad := strings.Repeat("x", 4096)
			store.Save("work", &Token{AccessToken: pad, RefreshToken: fmt.Sprintf("rt-%d", i), Expiry: time.Now()})
			if i == 1 {
				fmt.Println("ready")
			}
		}
	}
	f := newFakeIDP(t)
	old, err := store.Load("work")
	if err != nil {
		t.Fatal(err)
	}
	f.refresh[old.RefreshToken] = true
	f.clientID = old.ClientID
	testHookBeforeRename = func() {
		fmt.Println("ready")
		select {} // the parent kills us here
	}
	src := NewSource(f.config(), store, "work")
	src.Refresh(context.Background())
	t.Fatal("not killed")
}

func startChild(t *testing.T, dir, mode string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChild+"="+dir, crashChild+"_MODE="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	return cmd, br
}

// A kill -9 in the middle of a refresh (the identity provider has
// answered, the new file is written but not yet renamed) leaves the old
// token whole; the old refresh token stays redeemable at Microsoft, so the
// account can go on without a new login.
func TestKillDuringRefresh(t *testing.T) {
	if os.Getenv(crashChild) != "" {
		t.Skip()
	}
	dir := t.TempDir()
	store := FileStore{Dir: dir}
	old := &Token{AccessToken: "at-old", RefreshToken: "rt-old", Expiry: time.Now().Add(-time.Hour).UTC(), ClientID: "test-client", Tenant: "organizations"}
	if err := store.Save("work", old); err != nil {
		t.Fatal(err)
	}
	cmd, _ := startChild(t, dir, "refresh")
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	got, err := store.Load("work")
	if err != nil || got.RefreshToken != "rt-old" {
		t.Fatalf("after kill -9: %v %v", got, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".work.json.tmp-*"))
	if len(left) != 1 {
		t.Errorf("expected the dead child's temporary file, found %v", left)
	}
	// The next refresh works from the old token and replaces it.
	f := newFakeIDP(t)
	f.refresh["rt-old"] = true
	src := NewSource(f.config(), store, "work")
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Load("work"); got.RefreshToken == "rt-old" {
		t.Errorf("rotated token not saved")
	}
}

// Kills at arbitrary instants of a stream of saves: every time, the file
// holds one whole token.
func TestKillDuringSaves(t *testing.T) {
	if os.Getenv(crashChild) != "" {
		t.Skip()
	}
	dir := t.TempDir()
	store := FileStore{Dir: dir}
	for i := range 5 {
		cmd, _ := startChild(t, dir, "loop")
		time.Sleep(time.Duration(i*3) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		got, err := store.Load("work")
		if err != nil || !strings.HasPrefix(got.RefreshToken, "rt-") || len(got.AccessToken) != 4096 {
			t.Fatalf("kill %d: %v %v", i, got, err)
		}
	}
}

// The same through the store the daemon uses where no keyring answers:
// SecretStore over secret's 0600 file, shared with `easbridge login`.
func TestKillDuringSecretFileSaves(t *testing.T) {
	if os.Getenv(crashChild) != "" {
		t.Skip()
	}
	dir := t.TempDir()
	store := SecretStore{Secrets: &secret.File{Path: filepath.Join(dir, "secrets.json")}}
	for i := range 5 {
		cmd, _ := startChild(t, dir, "secretloop")
		time.Sleep(time.Duration(i*3) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		got, err := store.Load("work")
		if err != nil || !strings.HasPrefix(got.RefreshToken, "rt-") || len(got.AccessToken) != 4096 {
			t.Fatalf("kill %d: %v %v", i, got, err)
		}
	}
}
