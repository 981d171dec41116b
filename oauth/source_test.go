package oauth

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// signedIn returns a Source for account "work" whose store holds a token
// just granted by f, as after `easbridge login`.
func signedIn(t *testing.T, f *fakeIDP) (*Source, FileStore, *clock) {
	t.Helper()
	clk := &clock{t: time.Unix(2e9, 0)}
	store := FileStore{Dir: t.TempDir()}
	f.deviceReplies = []string{"ok"}
	s := &fakeSleep{now: clk.now()}
	tok, err := deviceLogin(context.Background(), f.config(), &strings.Builder{}, s.sleep, func() time.Time { return clk.now() })
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save("work", tok); err != nil {
		t.Fatal(err)
	}
	src := NewSource(f.config(), store, "work")
	src.now = clk.now
	return src, store, clk
}

func TestSourceRefreshesBeforeExpiry(t *testing.T) {
	f := newFakeIDP(t)
	src, store, clk := signedIn(t, f)
	ctx := context.Background()
	first, _ := store.Load("work")
	at, err := src.Token(ctx)
	if err != nil || at != first.AccessToken {
		t.Fatalf("Token %q %v", at, err)
	}
	clk.add(3599*time.Second - DefaultSkew - time.Second) // just before the skew
	if at, _ := src.Token(ctx); at != first.AccessToken {
		t.Fatalf("refreshed too early")
	}
	clk.add(time.Second)
	at, err = src.Token(ctx)
	if err != nil || at == first.AccessToken || !f.accessValid(at) {
		t.Fatalf("Token after skew %q %v", at, err)
	}
	saved, _ := store.Load("work")
	if saved.AccessToken != at || saved.RefreshToken == first.RefreshToken || !saved.Expiry.Equal(clk.now().Add(3599*time.Second)) {
		t.Errorf("rotated token not saved: %v", saved)
	}
	if _, refreshes := f.counts(); refreshes != 1 {
		t.Errorf("%d refreshes", refreshes)
	}
}

func TestSourceOneRefreshInFlight(t *testing.T) {
	f := newFakeIDP(t)
	src, _, clk := signedIn(t, f)
	clk.add(time.Hour)
	f.hold, f.inRefresh = make(chan struct{}), make(chan struct{}, 100)
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				got[i], err = src.Token(context.Background())
			} else if err = src.Refresh(context.Background()); err == nil {
				got[i], err = src.Token(context.Background())
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	<-f.inRefresh // the first refresh is at the identity provider
	close(f.hold)
	wg.Wait()
	if _, n := f.counts(); n != 1 {
		t.Errorf("%d refreshes for 20 concurrent callers", n)
	}
	for _, g := range got {
		if g != got[0] || !f.accessValid(g) {
			t.Fatalf("tokens %v", got)
		}
	}
}

// The refusals that need a new login: typed, explained, sticky (no second
// request), and cured by a new login.
func TestSourceRefusals(t *testing.T) {
	tests := []struct {
		name   string
		er     errorResponse
		aadsts int
		says   string
	}{
		{"conditional access", errorResponse{Error: "invalid_grant", Description: "Access has been blocked by Conditional Access policies.", ErrorCodes: []int{53003}}, 53003, "Conditional Access"},
		{"consent revoked", errorResponse{Error: "invalid_grant", Description: "The user or administrator has not consented.", ErrorCodes: []int{65001}}, 65001, "consent"},
		{"inactive 90 days", errorResponse{Error: "invalid_grant", Description: "The refresh token has expired due to inactivity.", ErrorCodes: []int{700082}}, 700082, "90 days"},
		{"tokens revoked", errorResponse{Error: "invalid_grant", Description: "The provided grant has expired due to it being revoked.", ErrorCodes: []int{50173}}, 50173, "revoked"},
		{"tenant blocks client", errorResponse{Error: "unauthorized_client", Description: "Application not found in the directory.", ErrorCodes: []int{700016}}, 700016, "tenant"},
		{"client disabled", errorResponse{Error: "unauthorized_client", Description: "Application is disabled.", ErrorCodes: []int{7000112}}, 7000112, "disabled"},
		{"mfa now required", errorResponse{Error: "interaction_required", Description: "you must use multi-factor authentication.", ErrorCodes: []int{50076}}, 50076, "multi-factor"},
		{"AADSTS only in text", errorResponse{Error: "invalid_grant", Description: "AADSTS70043: The refresh token has expired due to sign-in frequency checks."}, 70043, "sign-in frequency"},
		{"unknown code", errorResponse{Error: "invalid_grant", Description: "Something new.", ErrorCodes: []int{99999999}}, 99999999, "no longer accepts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIDP(t)
			src, store, clk := signedIn(t, f)
			clk.add(time.Hour)
			f.refreshErrs = []errorResponse{tt.er}
			ctx := context.Background()
			_, err := src.Token(ctx)
			var oe *Error
			if !errors.As(err, &oe) || oe.AADSTS != tt.aadsts || !errors.Is(err, ErrLoginRequired) {
				t.Fatalf("err %v", err)
			}
			msg := err.Error()
			if tt.aadsts == 53003 {
				t.Logf("message: %s", msg)
			}
			if !strings.Contains(msg, tt.says) || !strings.Contains(msg, "easbridge login work") || strings.Contains(msg, "Trace ID") || !strings.Contains(msg, "correlation id 00000000-0000-0000-0000-00000000c0de") {
				t.Errorf("message %q", msg)
			}
			if st := src.State(); st.SignedIn || !errors.Is(st.Err, ErrLoginRequired) {
				t.Errorf("state %+v", st)
			}
			// No loop: further calls and forced refreshes fail without a request.
			for range 5 {
				clk.add(time.Minute)
				src.Token(ctx)
				src.Refresh(ctx)
			}
			if _, n := f.counts(); n != 1 {
				t.Errorf("%d refresh requests after a refusal", n)
			}
			// easbridge login (another process) writes new tokens: cured.
			f.deviceReplies = []string{"ok"}
			fs := &fakeSleep{now: clk.now()}
			tok, err := Login(ctx, f.config(), store, "work", LoginOptions{Flow: FlowDevice, sleep: fs.sleep, now: clk.now}, &strings.Builder{})
			if err != nil {
				t.Fatal(err)
			}
			at, err := src.Token(ctx)
			if err != nil || at != tok.AccessToken || !src.State().SignedIn {
				t.Fatalf("after login: %q %v", at, err)
			}
		})
	}
}

func TestSourceTemporaryFailure(t *testing.T) {
	f := newFakeIDP(t)
	src, _, clk := signedIn(t, f)
	ctx := context.Background()
	old, _ := src.Token(ctx)
	clk.add(3599*time.Second - 2*time.Minute) // inside the skew, still valid
	f.refreshErrs = []errorResponse{{Error: "server_error"}, {Error: "temporarily_unavailable", Description: "try later", ErrorCodes: []int{90033}}}
	at, err := src.Token(ctx)
	if err != nil || at != old {
		t.Fatalf("during an outage the valid token is used: %q %v", at, err)
	}
	src.Token(ctx) // within a minute: no new attempt
	if _, n := f.counts(); n != 1 {
		t.Fatalf("%d attempts", n)
	}
	clk.add(3 * time.Minute) // expired, outage continues
	_, err = src.Token(ctx)
	var oe *Error
	if !errors.As(err, &oe) || !oe.Temporary || errors.Is(err, ErrLoginRequired) {
		t.Fatalf("err %v", err)
	}
	clk.add(time.Minute)
	if at, err := src.Token(ctx); err != nil || !f.accessValid(at) {
		t.Fatalf("after the outage: %q %v", at, err)
	}
}

func TestSourceNotSignedIn(t *testing.T) {
	f := newFakeIDP(t)
	src := NewSource(f.config(), FileStore{Dir: t.TempDir()}, "work")
	_, err := src.Token(context.Background())
	if !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "easbridge login work") {
		t.Fatalf("err %v", err)
	}
}

func TestSourceClientIDChanged(t *testing.T) {
	f := newFakeIDP(t)
	src, _, _ := signedIn(t, f)
	src.cfg.ClientID = "another"
	_, err := src.Token(context.Background())
	if !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "client id") {
		t.Fatalf("err %v", err)
	}
	if tokens, _ := f.counts(); tokens != 1 { // the login only
		t.Errorf("%d token requests", tokens)
	}
}

// TestIdleDay counts the identity provider requests of one day of idle
// running: the daemon asks for a token before every request, here every
// minute (a Ping every minute is the worst case; Exchange Online allows
// heartbeats of up to about an hour), and access tokens live 60 to 90
// minutes as Microsoft issues them.
func TestIdleDay(t *testing.T) {
	tests := []struct {
		name     string
		lifetime func() int
		every    time.Duration
		min, max int
	}{
		// 60 min tokens, renewed 5 min early: one refresh per 55 min.
		{"60 min tokens, calls every minute", func() int { return 3600 }, time.Minute, 26, 26},
		// 90 min tokens: one refresh per 85 min.
		{"90 min tokens, calls every minute", func() int { return 5400 }, time.Minute, 16, 16},
		{"60-90 min tokens, calls every minute", randomLifetime(), time.Minute, 16, 26},
		{"60 min tokens, Ping every 29 min", func() int { return 3600 }, 29 * time.Minute, 24, 26},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIDP(t)
			f.lifetime = tt.lifetime
			src, _, clk := signedIn(t, f)
			before, _ := f.counts()
			ctx := context.Background()
			for el := time.Duration(0); el < 24*time.Hour; el += tt.every {
				if _, err := src.Token(ctx); err != nil {
					t.Fatal(err)
				}
				clk.add(tt.every)
			}
			after, _ := f.counts()
			n := after - before
			t.Logf("%s: %d identity provider requests per day", tt.name, n)
			if n < tt.min || n > tt.max {
				t.Errorf("%d requests, want %d..%d", n, tt.min, tt.max)
			}
		})
	}
}

func randomLifetime() func() int {
	r := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return 3600 + r.IntN(1801)
	}
}
