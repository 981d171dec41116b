package oauth

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// Source must satisfy the EAS client's seam without this package
// importing eas (the test may).
var _ eas.TokenRefresher = (*Source)(nil)

// newEAS returns an eas.Client using src against an in-process EAS server
// that accepts only the access tokens f still considers valid.
func newEAS(t *testing.T, f *fakeIDP, src eas.TokenSource) (*eas.Client, *eastest.Server) {
	t.Helper()
	srv := eastest.New(eastest.Config{Bearer: func(tok string) (string, bool) { return "alice@contoso.example", f.accessValid(tok) }})
	if err := srv.AddUser(eastest.User{Name: "alice@contoso.example", Email: "alice@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := eas.New(eas.Config{
		URL: ts.URL + "/Microsoft-Server-ActiveSync", User: "alice@contoso.example",
		Credentials: eas.Bearer{Source: src}, DeviceID: "oauthtest1", DeviceType: "EasTest", Version: eas.V161,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// The server rejects a token that has not expired by the clock (revoked,
// or the server's clock runs ahead): the client refreshes once and
// retries once, and the rotated refresh token is saved.
func TestEASBearerRefreshOn401(t *testing.T) {
	f := newFakeIDP(t)
	src, store, clk := signedIn(t, f)
	ctx := context.Background()
	stale, _ := src.Token(ctx)
	f.revokeAccess(stale)
	clk.add(10 * time.Minute)
	c, _ := newEAS(t, f, src)
	if _, err := c.FolderSync(ctx, "0"); err != nil {
		t.Fatal(err)
	}
	if _, n := f.counts(); n != 1 {
		t.Errorf("%d refreshes", n)
	}
	fresh, _ := src.Token(ctx)
	saved, _ := store.Load("work")
	if fresh == stale || saved.AccessToken != fresh {
		t.Errorf("token not renewed and saved")
	}
	// A server that refuses even the fresh token: one refresh, one retry,
	// then the EAS error (no loop).
	clk.add(time.Minute) // past the window in which forced refreshes are merged
	f.mu.Lock()
	f.refuseAccess = true
	f.mu.Unlock()
	before, _ := f.counts()
	_, err := c.FolderSync(ctx, "0")
	if !errors.Is(err, eas.ErrUnauthorized) {
		t.Fatalf("err %v", err)
	}
	if after, _ := f.counts(); after-before != 1 {
		t.Errorf("%d refreshes for one rejected request", after-before)
	}
}

// A refresh refused by Conditional Access surfaces through the EAS
// client as the typed error, and no further requests reach the identity
// provider.
func TestEASBearerLoginRequired(t *testing.T) {
	f := newFakeIDP(t)
	src, _, clk := signedIn(t, f)
	clk.add(time.Hour)
	f.refreshErrs = []errorResponse{{Error: "invalid_grant", Description: "Blocked by Conditional Access.", ErrorCodes: []int{53003}}}
	c, srv := newEAS(t, f, src)
	for range 3 {
		_, err := c.FolderSync(context.Background(), "0")
		var oe *Error
		if !errors.As(err, &oe) || oe.AADSTS != 53003 || !errors.Is(err, ErrLoginRequired) {
			t.Fatalf("err %v", err)
		}
	}
	if _, n := f.counts(); n != 1 {
		t.Errorf("%d refresh requests", n)
	}
	if srv.Requests() != 0 {
		t.Errorf("%d EAS requests sent without a token", srv.Requests())
	}
}
