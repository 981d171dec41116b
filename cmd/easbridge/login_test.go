package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/oauth"
	"github.com/easbridge/easbridge/secret"
)

// fakeIdP is a small Microsoft identity platform (v2.0 endpoints of any
// tenant) for the command tests: authorize approves at once, token
// redeems codes (checking PKCE), device codes and refresh tokens
// (rotating them), devicecode hands out a code. The oauth package's own
// tests cover every error code; here a refusal is enough.
type fakeIdP struct {
	srv *httptest.Server

	mu         sync.Mutex
	n          int
	codes      map[string]string // code -> PKCE challenge
	refresh    map[string]bool
	access     map[string]bool
	refuse     int // AADSTS number the next refresh grants get, 0 for none
	tokenCalls int
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{codes: map[string]string{}, refresh: map[string]bool{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		f.n++
		code := fmt.Sprintf("code-%d", f.n)
		f.codes[code] = q.Get("code_challenge")
		f.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/devicecode", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"device_code": "dc", "user_code": "WXYZ-1234", "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 1})
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls++
	fail := func(code string, aadsts int, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": code, "error_codes": []int{aadsts},
			"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: 1", aadsts, desc), "correlation_id": "c0ffee00-0000-0000-0000-000000000000"})
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if ch, ok := f.codes[r.PostForm.Get("code")]; !ok || ch != base64.RawURLEncoding.EncodeToString(sum[:]) {
			fail("invalid_grant", 70000, "bad code")
			return
		}
	case "urn:ietf:params:oauth:grant-type:device_code":
	case "refresh_token":
		if f.refuse != 0 {
			fail("invalid_grant", f.refuse, "refused")
			return
		}
		if !f.refresh[r.PostForm.Get("refresh_token")] {
			fail("invalid_grant", 70008, "expired")
			return
		}
	default:
		fail("unsupported_grant_type", 70003, "no")
		return
	}
	f.n++
	at, rt := fmt.Sprintf("at-%d", f.n), fmt.Sprintf("rt-%d", f.n)
	f.access[at], f.refresh[rt] = true, true
	json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": at, "refresh_token": rt, "scope": oauth.ScopeEAS})
}

func (f *fakeIdP) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

// useTokenFile points the commands at a 0600 token file in a temporary
// directory instead of the user's keyring.
func useTokenFile(t *testing.T) oauth.TokenStore {
	path := filepath.Join(t.TempDir(), "secrets.json")
	store := oauth.SecretStore{Secrets: &secret.File{Path: path}}
	old := openTokens
	openTokens = func() (oauth.TokenStore, secret.Choice, error) {
		return store, secret.Choice{Backend: secret.BackendFile, Where: path, Reason: "test"}, nil
	}
	t.Cleanup(func() { openTokens = old })
	return store
}

func oauthConfig(t *testing.T, f *fakeIdP, easURL string) string {
	dir := t.TempDir()
	return writeConfig(t, fmt.Sprintf(`[dav]
password_command = "echo davpw"
[[account]]
name = "work"
url = %q
email = "alice@contoso.example"
auth = "oauth2"
client_id = "00000000-0000-0000-0000-0000000000c1"
tenant = "organizations"
authority = %q
protocol_version = "16.1"
state_dir = %q
maildir = %q
[[account]]
name = "onprem"
url = "https://mail.example.com/Microsoft-Server-ActiveSync"
username = "bob"
password_command = "exit 1"
state_dir = %q
maildir = %q
`, easURL, f.srv.URL, filepath.Join(dir, "state"), filepath.Join(dir, "mail"), filepath.Join(dir, "state2"), filepath.Join(dir, "mail2")))
}

// `easbridge login work` in a session with a display: the browser (here a
// client following the redirects) signs in, the PKCE code is redeemed on
// the loopback listener, and the tokens land in the store.
func TestLoginBrowser(t *testing.T) {
	f := newFakeIdP(t)
	store := useTokenFile(t)
	t.Setenv("DISPLAY", ":0")
	loginBrowser = func(u string) error {
		go func() {
			if resp, err := http.Get(u); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		return nil
	}
	t.Cleanup(func() { loginBrowser = nil })
	cfg := oauthConfig(t, f, "https://outlook.office365.com/Microsoft-Server-ActiveSync")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--config", cfg, "login", "--redirect-host", "localhost", "work"}, &out, &errOut); code != 0 {
		t.Fatalf("login exited %d: %s", code, errOut.String())
	}
	for _, want := range []string{"redirect_uri=http%3A%2F%2Flocalhost%3A", "Tokens are kept in", "(mode 0600)", f.srv.URL + "/organizations/oauth2/v2.0/authorize?", "login_hint=alice%40contoso.example", "Signed in work."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	tok, err := store.Load("work")
	if err != nil || !strings.HasPrefix(tok.RefreshToken, "rt-") || tok.Refused != nil {
		t.Fatalf("saved %v %v", tok, err)
	}
}

// --device prints the code and address and polls until approved.
func TestLoginDevice(t *testing.T) {
	f := newFakeIdP(t)
	store := useTokenFile(t)
	cfg := oauthConfig(t, f, "https://outlook.office365.com/Microsoft-Server-ActiveSync")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--config", cfg, "login", "work", "--device"}, &out, &errOut); code != 0 {
		t.Fatalf("login exited %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "WXYZ-1234") || !strings.Contains(out.String(), "https://microsoft.com/devicelogin") {
		t.Errorf("output:\n%s", out.String())
	}
	if _, err := store.Load("work"); err != nil {
		t.Fatal(err)
	}
}

func TestLoginUsage(t *testing.T) {
	f := newFakeIdP(t)
	useTokenFile(t)
	cfg := oauthConfig(t, f, "https://outlook.office365.com/Microsoft-Server-ActiveSync")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"login"}, "usage: easbridge login"},
		{[]string{"login", "a", "b"}, "usage: easbridge login"},
		{[]string{"login", "nobody"}, `no account "nobody"`},
		{[]string{"login", "onprem"}, `signs in with a password (auth = "basic")`},
		{[]string{"login", "--redirect-host", "example.com", "work"}, "--redirect-host must be"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"--config", cfg}, tc.args...), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errOut.String())
		}
	}
}

// sync --once with auth = oauth2 sends bearer tokens, refreshes an
// expired one (saving the rotated refresh token), and, when the identity
// provider refuses, fails naming the AADSTS code and the login to run;
// status says the same, and a second run asks the identity provider
// nothing.
func TestSyncOnceOAuth(t *testing.T) {
	f := newFakeIdP(t)
	store := useTokenFile(t)
	srv := eastest.New(eastest.Config{Bearer: func(tok string) (string, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return "alice@contoso.example", f.access[tok]
	}})
	if err := srv.AddUser(eastest.User{Name: "alice@contoso.example", Email: "alice@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := oauthConfig(t, f, ts.URL+"/Microsoft-Server-ActiveSync")
	// As after a login an hour ago: the access token has expired.
	f.refresh["rt-0"] = true
	if err := store.Save("work", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Minute), ClientID: "00000000-0000-0000-0000-0000000000c1", Tenant: "organizations"}); err != nil {
		t.Fatal(err)
	}
	syncWork := func() (int, string) {
		var out, errOut bytes.Buffer
		// Only the oauth account: the other has no server.
		code := run(context.Background(), []string{"--config", cfg, "sync", "--once"}, &out, &errOut)
		return code, errOut.String()
	}
	code, errText := syncWork()
	if !strings.Contains(errText, "password command failed") || strings.Contains(errText, `account "work"`) || code != 1 {
		t.Fatalf("sync: exit %d, %s", code, errText)
	}
	tok, _ := store.Load("work")
	if f.calls() != 1 || tok.RefreshToken == "rt-0" || srv.Requests() == 0 {
		t.Fatalf("%d token calls, saved %v, %d EAS requests", f.calls(), tok, srv.Requests())
	}
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"--config", cfg, "status"}, &out, &errOut)
	if !strings.Contains(out.String(), "sign-in: Microsoft 365, signed in (tokens in the file") {
		t.Errorf("status:\n%s%s", out.String(), errOut.String())
	}

	// Conditional Access now blocks the refresh.
	f.mu.Lock()
	f.refuse = 53003
	f.mu.Unlock()
	tok.Expiry = time.Now().Add(-time.Minute)
	store.Save("work", tok)
	_, errText = syncWork()
	for _, want := range []string{`account "work"`, "AADSTS53003", "Conditional Access", "run `easbridge login work`"} {
		if !strings.Contains(errText, want) {
			t.Errorf("sync error lacks %q: %s", want, errText)
		}
	}
	calls := f.calls()
	syncWork()
	if f.calls() != calls {
		t.Errorf("the refused sign-in was tried again")
	}
	out.Reset()
	run(context.Background(), []string{"--config", cfg, "status", "--json"}, &out, &errOut)
	var st struct {
		Accounts []struct {
			SignIn *signInStatus `json:"sign_in"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || len(st.Accounts) == 0 || st.Accounts[0].SignIn == nil {
		t.Fatalf("status --json: %v\n%s", err, out.String())
	}
	if s := st.Accounts[0].SignIn; s.State != "refused" || s.AADSTS != 53003 || !strings.Contains(s.Error, "easbridge login work") {
		t.Errorf("sign-in status %+v", s)
	}
}

// The daemon parks an account whose sign-in is refused: one log record
// with the AADSTS code and the login to run, no request to Exchange and
// none more to the identity provider; the tokens of a login (here saved
// as `easbridge login` saves them) resume it without a restart.
func TestRunParksUntilLogin(t *testing.T) {
	f := newFakeIdP(t)
	store := useTokenFile(t)
	old := signInPoll
	signInPoll = 5 * time.Millisecond
	t.Cleanup(func() { signInPoll = old })
	srv := eastest.New(eastest.Config{HeartbeatUnit: 10 * time.Millisecond, Bearer: func(tok string) (string, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return "alice@contoso.example", f.access[tok]
	}})
	if err := srv.AddUser(eastest.User{Name: "alice@contoso.example", Email: "alice@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf(`[dav]
listen = "127.0.0.1:0"
password_command = "echo davpw"
[imap]
listen = "off"
[smtp]
listen = "off"
[[account]]
name = "work"
url = %q
email = "alice@contoso.example"
auth = "oauth2"
client_id = "c1"
authority = %q
state_dir = %q
maildir = %q
`, ts.URL+"/Microsoft-Server-ActiveSync", f.srv.URL, filepath.Join(dir, "state"), filepath.Join(dir, "mail")))
	f.refuse = 50173
	if err := store.Save("work", &oauth.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Minute), ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--config", cfg, "run", "-v"}, &out, &errOut) }()
	waitUntil(t, "the refusal in the log", func() bool {
		return strings.Contains(errOut.String(), "sign-in refused, account waits for easbridge login")
	})
	// Many polls of the store later: still nothing sent anywhere.
	time.Sleep(50 * time.Millisecond)
	log := errOut.String()
	for _, want := range []string{"aadsts=50173", "run `easbridge login work`", "revoked"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "sign-in refused"); n != 1 || f.calls() != 1 || srv.Requests() != 0 {
		t.Fatalf("%d refusal records, %d token calls, %d EAS requests while parked", n, f.calls(), srv.Requests())
	}
	// `easbridge login work` in another terminal.
	f.mu.Lock()
	f.refuse = 0
	f.access["at-new"] = true
	f.mu.Unlock()
	if err := store.Save("work", &oauth.Token{AccessToken: "at-new", RefreshToken: "rt-new", Expiry: time.Now().Add(time.Hour), ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the account to resume", func() bool {
		return strings.Contains(errOut.String(), "new sign-in found, account resumes") && srv.Requests() > 0
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut.String())
	}
	for _, secret := range []string{"at-0", "rt-0", "at-new", "rt-new"} {
		if strings.Contains(errOut.String(), secret) {
			t.Errorf("the trace log holds the token %q", secret)
		}
	}
	if !strings.Contains(errOut.String(), "eas request") {
		t.Error("-v logged no EAS request, so the token check proves little")
	}
}
