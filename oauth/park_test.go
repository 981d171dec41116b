package oauth

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// parkLog records Parking's callbacks.
type parkLog struct {
	mu       sync.Mutex
	refused  []*Error
	resumed  int
	refusedC chan struct{}
}

func newParking(src *Source) (*Parking, *parkLog) {
	l := &parkLog{refusedC: make(chan struct{}, 8)}
	p := &Parking{Source: src, Poll: 2 * time.Millisecond,
		OnRefused: func(e *Error) {
			l.mu.Lock()
			l.refused = append(l.refused, e)
			l.mu.Unlock()
			l.refusedC <- struct{}{}
		},
		OnResumed: func() {
			l.mu.Lock()
			l.resumed++
			l.mu.Unlock()
		},
	}
	return p, l
}

// relogin signs "work" in again through the fake's device flow, as
// `easbridge login work` in another process would.
func relogin(t *testing.T, f *fakeIDP, store TokenStore, clk *clock) {
	t.Helper()
	f.mu.Lock()
	f.deviceReplies = []string{"ok"}
	f.mu.Unlock()
	s := &fakeSleep{now: clk.now()}
	if _, err := Login(context.Background(), f.config(), store, "work", LoginOptions{Flow: FlowDevice, sleep: s.sleep, now: s.clock}, io.Discard); err != nil {
		t.Fatal(err)
	}
}

// A refresh refused by Conditional Access parks the account: one request
// to the identity provider, none to Exchange, the refusal reported once
// and saved; a login in "another process" resumes the same request.
func TestParkingWaitsForLogin(t *testing.T) {
	f := newFakeIDP(t)
	src, store, clk := signedIn(t, f)
	clk.add(time.Hour)
	f.refreshErrs = []errorResponse{{Error: "invalid_grant", Description: "Blocked by Conditional Access.", ErrorCodes: []int{53003}}}
	p, l := newParking(src)
	c, srv := newEAS(t, f, p)
	done := make(chan error, 1)
	go func() {
		_, err := c.FolderSync(context.Background(), "0")
		done <- err
	}()
	<-l.refusedC
	if !p.Parked() {
		t.Error("not parked")
	}
	// Give the parked request many polls: nothing may leave.
	for range 20 {
		if err := src.WaitForLogin(cancelled(), time.Millisecond); err == nil {
			t.Fatal("WaitForLogin succeeded without a login")
		}
		time.Sleep(time.Millisecond)
	}
	if _, n := f.counts(); n != 1 || srv.Requests() != 0 {
		t.Fatalf("%d refreshes, %d EAS requests while parked", n, srv.Requests())
	}
	saved, err := store.Load("work")
	if err != nil || saved.Refused == nil || saved.Refused.AADSTS != 53003 || saved.Refused.CorrelationID == "" {
		t.Fatalf("refusal not saved: %+v %v", saved, err)
	}
	if len(l.refused) != 1 || l.refused[0].AADSTS != 53003 || !errors.Is(l.refused[0], ErrLoginRequired) {
		t.Fatalf("refused %v", l.refused)
	}
	select {
	case err := <-done:
		t.Fatalf("request ended while parked: %v", err)
	default:
	}
	relogin(t, f, store, clk)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if l.resumed != 1 || p.Parked() {
		t.Errorf("resumed %d, parked %t", l.resumed, p.Parked())
	}
	if saved, _ := store.Load("work"); saved.Refused != nil {
		t.Errorf("the new login kept the refusal")
	}
}

// A 401 whose refresh is refused (tokens revoked) parks too; after the
// login the request is retried once with the new token.
func TestParkingOn401(t *testing.T) {
	f := newFakeIDP(t)
	src, store, clk := signedIn(t, f)
	stale, _ := src.Token(context.Background())
	f.revokeAccess(stale)
	clk.add(time.Minute)
	f.refreshErrs = []errorResponse{{Error: "invalid_grant", Description: "The refresh token was revoked.", ErrorCodes: []int{50173}}}
	p, l := newParking(src)
	c, srv := newEAS(t, f, p)
	done := make(chan error, 1)
	go func() {
		_, err := c.FolderSync(context.Background(), "0")
		done <- err
	}()
	<-l.refusedC
	if l.refused[0].AADSTS != 50173 {
		t.Errorf("refused %v", l.refused[0])
	}
	relogin(t, f, store, clk)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if srv.Requests() != 2 { // the rejected one and its retry
		t.Errorf("%d EAS requests", srv.Requests())
	}
}

// Shutting down while parked ends the request with both reasons.
func TestParkingCancelled(t *testing.T) {
	f := newFakeIDP(t)
	src, _, clk := signedIn(t, f)
	clk.add(time.Hour)
	f.refreshErrs = []errorResponse{{Error: "invalid_grant", Description: "Consent revoked.", ErrorCodes: []int{65001}}}
	p, l := newParking(src)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Token(ctx)
		done <- err
	}()
	<-l.refusedC
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("err %v", err)
	}
}

// A daemon restarted after a refusal does not ask the identity provider
// again: the saved refusal stands until a login.
func TestRefusalSurvivesRestart(t *testing.T) {
	f := newFakeIDP(t)
	src, store, clk := signedIn(t, f)
	clk.add(time.Hour)
	f.refreshErrs = []errorResponse{{Error: "unauthorized_client", Description: "Application is blocked by the tenant.", ErrorCodes: []int{700016}}}
	if _, err := src.Token(context.Background()); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("err %v", err)
	}
	_, before := f.counts()
	again := NewSource(f.config(), store, "work")
	again.now = clk.now
	_, err := again.Token(context.Background())
	var oe *Error
	if !errors.As(err, &oe) || oe.AADSTS != 700016 || !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("err %v", err)
	}
	if _, after := f.counts(); after != before {
		t.Errorf("%d refreshes after the restart", after-before)
	}
	relogin(t, f, store, clk)
	if _, err := again.Token(context.Background()); err != nil {
		t.Fatalf("after login: %v", err)
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// A caller with a deadline (an SMTP submission) gets the refusal at once,
// reported once however often it asks; it gets tokens again after the
// login.
func TestParkingBoundedCaller(t *testing.T) {
	f := newFakeIDP(t)
	src, store, clk := signedIn(t, f)
	clk.add(time.Hour)
	f.refreshErrs = []errorResponse{{Error: "invalid_grant", Description: "Blocked.", ErrorCodes: []int{53003}}}
	p, l := newParking(src)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for range 3 {
		if _, err := p.Token(ctx); !errors.Is(err, ErrLoginRequired) {
			t.Fatalf("err %v", err)
		}
	}
	if len(l.refused) != 1 || !p.Parked() {
		t.Errorf("%d refusal reports, parked %t", len(l.refused), p.Parked())
	}
	relogin(t, f, store, clk)
	if _, err := p.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if l.resumed != 1 || p.Parked() {
		t.Errorf("resumed %d, parked %t", l.resumed, p.Parked())
	}
}
