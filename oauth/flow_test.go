package oauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// browser follows the authorize URL as a browser would: the fake
// identity provider approves at once and redirects to the loopback
// listener.
func browser(t *testing.T, extra func(authURL string)) func(string) error {
	return func(authURL string) error {
		go func() {
			if extra != nil {
				extra(authURL)
			}
			resp, err := http.Get(authURL)
			if err != nil {
				t.Errorf("browser: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
		return nil
	}
}

func TestBrowserLoginEndToEnd(t *testing.T) {
	f := newFakeIDP(t)
	store := FileStore{Dir: t.TempDir()}
	var out bytes.Buffer
	strays := 0
	// A stray local request with a wrong state is refused and does not end
	// the sign-in.
	stray := func(authURL string) {
		u, _ := url.Parse(authURL)
		redir := u.Query().Get("redirect_uri")
		if u.Query().Get("code_challenge_method") != "S256" || !strings.HasPrefix(redir, "http://127.0.0.1:") {
			t.Errorf("authorize URL %s", authURL)
		}
		resp, err := http.Get(redir + "?code=evil&state=wrong")
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusBadRequest {
			strays++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok, err := Login(ctx, f.config(), store, "work", LoginOptions{Flow: FlowBrowser, Browser: BrowserOptions{OpenBrowser: browser(t, stray)}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if strays != 1 {
		t.Errorf("stray redirect with a wrong state was not refused")
	}
	if !f.accessValid(tok.AccessToken) || tok.RefreshToken == "" {
		t.Errorf("token %+v", tok)
	}
	if !strings.Contains(out.String(), f.srv.URL+"/organizations/oauth2/v2.0/authorize?") {
		t.Errorf("the URL was not printed: %q", out.String())
	}
	saved, err := store.Load("work")
	if err != nil || saved.RefreshToken != tok.RefreshToken || saved.ClientID != "test-client" {
		t.Fatalf("saved %v, %v", saved, err)
	}
	// A fresh Source uses the saved token without asking anyone.
	before, _ := f.counts()
	at, err := NewSource(f.config(), store, "work").Token(ctx)
	if after, _ := f.counts(); err != nil || at != tok.AccessToken || after != before {
		t.Errorf("Token %q %v, requests %d -> %d", at, err, before, after)
	}
}

func TestBrowserLoginRefused(t *testing.T) {
	f := newFakeIDP(t)
	f.authorizeErr = &errorResponse{Error: "access_denied", Description: "The user has declined to consent.", ErrorCodes: []int{65004}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := BrowserLogin(ctx, f.config(), BrowserOptions{OpenBrowser: browser(t, nil)}, io.Discard)
	var oe *Error
	if !errors.As(err, &oe) || oe.AADSTS != 65004 || oe.Code != "access_denied" {
		t.Fatalf("err %v", err)
	}
}

func TestBrowserLoginCancelled(t *testing.T) {
	f := newFakeIDP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := BrowserLogin(ctx, f.config(), BrowserOptions{OpenBrowser: func(string) error { return errors.New("no browser") }}, io.Discard)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

// fakeSleep records the waits and advances a fake clock by them.
type fakeSleep struct {
	now   time.Time
	waits []time.Duration
}

func (s *fakeSleep) sleep(_ context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	s.now = s.now.Add(d)
	return nil
}

func (s *fakeSleep) clock() time.Time { return s.now }

func TestDeviceLogin(t *testing.T) {
	tests := []struct {
		name    string
		replies []string
		waits   []time.Duration // seconds
		code    string          // expected OAuth error, "" for success
		aadsts  int
	}{
		{"approved at once", []string{"ok"}, []time.Duration{5}, "", 0},
		{"pending then approved", []string{"pending", "pending", "ok"}, []time.Duration{5, 5, 5}, "", 0},
		{"slow_down adds 5 s", []string{"pending", "slow_down", "pending", "slow_down", "ok"}, []time.Duration{5, 5, 10, 10, 15}, "", 0},
		{"outage keeps polling", []string{"outage", "ok"}, []time.Duration{5, 5}, "", 0},
		{"expired", []string{"pending", "expired_token"}, []time.Duration{5, 5}, "expired_token", 70020},
		{"declined", []string{"authorization_declined"}, []time.Duration{5}, "authorization_declined", 70000},
		{"conditional access", []string{"pending", "blocked"}, []time.Duration{5, 5}, "invalid_grant", 53003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIDP(t)
			f.deviceReplies = tt.replies
			s := &fakeSleep{now: time.Unix(1e9, 0)}
			var out bytes.Buffer
			tok, err := deviceLogin(context.Background(), f.config(), &out, s.sleep, s.clock)
			if !strings.Contains(out.String(), "ABCD-EFGH") || !strings.Contains(out.String(), "https://microsoft.com/devicelogin") {
				t.Errorf("prompt %q", out.String())
			}
			var want []time.Duration
			for _, w := range tt.waits {
				want = append(want, w*time.Second)
			}
			if len(s.waits) != len(want) {
				t.Fatalf("waits %v, want %v", s.waits, want)
			}
			for i := range want {
				if s.waits[i] != want[i] {
					t.Fatalf("waits %v, want %v", s.waits, want)
				}
			}
			if tt.code == "" {
				if err != nil || !f.accessValid(tok.AccessToken) || !tok.Expiry.Equal(s.now.Add(3599*time.Second)) {
					t.Fatalf("tok %v err %v", tok, err)
				}
				return
			}
			var oe *Error
			if !errors.As(err, &oe) || oe.Code != tt.code || oe.AADSTS != tt.aadsts || oe.Explanation == "" {
				t.Fatalf("err %#v", err)
			}
		})
	}
}

// The code's own lifetime ends the polling even if the server keeps
// saying authorization_pending.
func TestDeviceLoginLocalExpiry(t *testing.T) {
	f := newFakeIDP(t)
	for range 1000 {
		f.deviceReplies = append(f.deviceReplies, "pending")
	}
	s := &fakeSleep{now: time.Unix(1e9, 0)}
	_, err := deviceLogin(context.Background(), f.config(), io.Discard, s.sleep, s.clock)
	var oe *Error
	if !errors.As(err, &oe) || oe.Code != "expired_token" {
		t.Fatalf("err %v", err)
	}
	if len(s.waits) != 180 { // 900 s / 5 s
		t.Errorf("%d polls", len(s.waits))
	}
}

func TestLoginConfigErrors(t *testing.T) {
	f := newFakeIDP(t)
	store := FileStore{Dir: t.TempDir()}
	tests := []struct {
		name string
		cfg  Config
		acc  string
		want string
	}{
		{"no client id", Config{}, "work", "no client id"},
		{"bad tenant", Config{ClientID: "x", Tenant: "../x"}, "work", "tenant"},
		{"plain http authority", Config{ClientID: "x", Authority: "http://login.example"}, "work", "https"},
		{"bad account", f.config(), "../etc", "account name"},
	}
	for _, tt := range tests {
		_, err := Login(context.Background(), tt.cfg, store, tt.acc, LoginOptions{Flow: FlowDevice}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	// A client id the tenant does not know.
	cfg := f.config()
	cfg.ClientID = "other"
	_, err := Login(context.Background(), cfg, store, "work", LoginOptions{Flow: FlowDevice}, io.Discard)
	var oe *Error
	if !errors.As(err, &oe) || oe.AADSTS != 700016 || !strings.Contains(err.Error(), "client id") {
		t.Errorf("unknown client: %v", err)
	}
}

func TestEndpoints(t *testing.T) {
	c := Config{ClientID: "id"}
	if got := c.TokenURL(); got != "https://login.microsoftonline.com/common/oauth2/v2.0/token" {
		t.Errorf("token URL %s", got)
	}
	c = Config{ClientID: "id", Tenant: "contoso.onmicrosoft.com", Authority: "https://login.example/"}
	if got := c.DeviceCodeURL(); got != "https://login.example/contoso.onmicrosoft.com/oauth2/v2.0/devicecode" {
		t.Errorf("devicecode URL %s", got)
	}
	if got := c.scope(); got != "https://outlook.office.com/EAS.AccessAsUser.All offline_access" {
		t.Errorf("scope %q", got)
	}
}

// A refused login explains itself without telling the user to run the
// login they just ran, and saves nothing.
func TestLoginRefused(t *testing.T) {
	f := newFakeIDP(t)
	f.deviceReplies = []string{"pending", "blocked"}
	store := FileStore{Dir: t.TempDir()}
	s := &fakeSleep{now: time.Unix(1e9, 0)}
	_, err := Login(context.Background(), f.config(), store, "work", LoginOptions{Flow: FlowDevice, sleep: s.sleep, now: s.clock}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "AADSTS53003") || !strings.Contains(err.Error(), `"work"`) || strings.Contains(err.Error(), "run `easbridge login") {
		t.Fatalf("err %v", err)
	}
	if _, err := store.Load("work"); !errors.Is(err, ErrNoToken) {
		t.Errorf("something was saved: %v", err)
	}
}
