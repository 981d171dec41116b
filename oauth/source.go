package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// Refresh timing.
const (
	// DefaultSkew is how long before expiry a token is renewed, so that a
	// request never leaves with a token about to expire in flight.
	DefaultSkew = 5 * time.Minute
	// retryAfterTemporary spaces attempts after an outage of the identity
	// provider, so a daemon asking on every request cannot flood it.
	retryAfterTemporary = time.Minute
	// recentRefresh: a forced refresh this soon after the last one is
	// answered with the token just obtained. Several requests rejected
	// with the same stale token then cost one refresh, not one each.
	recentRefresh = 30 * time.Second
)

// Source hands out access tokens for one account (eas.TokenRefresher).
// It is safe for concurrent use; at most one request to the identity
// provider is in flight at a time.
type Source struct {
	cfg     Config
	store   TokenStore
	account string
	skew    time.Duration
	now     func() time.Time

	sem chan struct{} // held while loading or refreshing

	mu          sync.Mutex
	tok         *Token
	failed      *Error    // a refusal that needs a new login; sticky
	failedRT    string    // the refresh token that was refused
	tempErr     error     // the last temporary failure
	tempUntil   time.Time // no new attempt before this
	refreshedAt time.Time
	unsaved     bool // tok is newer than the store (a save failed)
}

// NewSource returns a Source for account, whose tokens are in store. It
// reads the store on first use.
func NewSource(cfg Config, store TokenStore, account string) *Source {
	return &Source{cfg: cfg, store: store, account: account, skew: DefaultSkew, now: time.Now, sem: make(chan struct{}, 1)}
}

// Token returns an access token valid for at least the skew, refreshing
// it first if needed.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if t := s.tok; t != nil && s.failed == nil && s.now().Before(t.Expiry.Add(-s.skew)) {
		s.saveIfUnsaved()
		s.mu.Unlock()
		return t.AccessToken, nil
	}
	s.mu.Unlock()
	return s.obtain(ctx, false)
}

// Refresh obtains a new access token even though the cached one has not
// expired: the server refused it (HTTP 401).
func (s *Source) Refresh(ctx context.Context) error {
	_, err := s.obtain(ctx, true)
	return err
}

// State describes the sign-in for `easbridge status`.
type State struct {
	// SignedIn: tokens are saved and the last refresh did not need a new
	// login.
	SignedIn bool
	// Expiry of the cached access token.
	Expiry time.Time
	// Err is the failure that needs `easbridge login`, or the last
	// temporary one; nil when all is well.
	Err error
}

// State reports the sign-in state without contacting anyone.
func (s *Source) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{SignedIn: s.tok != nil && s.failed == nil}
	if s.tok != nil {
		st.Expiry = s.tok.Expiry
	}
	switch {
	case s.failed != nil:
		st.Err = s.failed
	case s.tempErr != nil && s.now().Before(s.tempUntil):
		st.Err = s.tempErr
	}
	return st
}

// obtain loads or refreshes the token under the semaphore.
func (s *Source) obtain(ctx context.Context, force bool) (string, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("oauth: waiting for a token refresh: %w", ctx.Err())
	}
	defer func() { <-s.sem }()

	// The store may hold newer tokens: a login in another process, or
	// the first use.
	if err := s.reload(); err != nil {
		return "", err
	}
	s.mu.Lock()
	t, now := s.tok, s.now()
	if s.failed != nil {
		err := s.failed
		s.mu.Unlock()
		return "", err
	}
	valid := now.Before(t.Expiry.Add(-s.skew))
	if valid && (!force || now.Sub(s.refreshedAt) < recentRefresh) {
		s.mu.Unlock()
		return t.AccessToken, nil
	}
	if now.Before(s.tempUntil) {
		err := s.tempErr
		s.mu.Unlock()
		if !force && now.Before(t.Expiry) {
			return t.AccessToken, nil // still usable during the outage
		}
		return "", err
	}
	s.mu.Unlock()
	return s.refresh(ctx, t, force)
}

// reload adopts the stored token when it differs from the cached one.
func (s *Source) reload() error {
	st, err := s.store.Load(s.account)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.tok != nil && !errors.Is(err, ErrNoToken) {
			return nil // keep working from memory; the store is unreadable
		}
		if errors.Is(err, ErrNoToken) {
			e := &Error{Account: s.account, LoginRequired: true, Explanation: "there are no saved tokens for this account"}
			if s.tok == nil {
				return e
			}
			if s.failed == nil {
				return nil // deleted under us: keep what works
			}
			return s.failed
		}
		return fmt.Errorf("oauth: loading tokens of %q: %w", s.account, err)
	}
	if s.unsaved {
		return nil // memory is newer
	}
	if s.tok == nil || st.RefreshToken != s.tok.RefreshToken || st.AccessToken != s.tok.AccessToken {
		if s.failed != nil && st.RefreshToken == s.failedRT {
			return nil // still the refused grant
		}
		s.tok, s.failed, s.tempErr, s.tempUntil = st, nil, nil, time.Time{}
		if st.Refused != nil {
			// Refused before (by this daemon before a restart, say):
			// wait for a login instead of asking again.
			s.failed, s.failedRT = st.Refused.Err(s.account), st.RefreshToken
		}
	}
	if s.failed == nil && s.tok.ClientID != "" && s.tok.ClientID != s.cfg.ClientID {
		s.failed = &Error{Account: s.account, LoginRequired: true, Explanation: "the configured client id differs from the one you signed in with"}
		s.failedRT = s.tok.RefreshToken
	}
	return nil
}

// refresh redeems t's refresh token; it runs under the semaphore.
func (s *Source) refresh(ctx context.Context, t *Token, force bool) (string, error) {
	log := s.cfg.logger()
	if t.RefreshToken == "" {
		return "", s.fail(t, &Error{Account: s.account, LoginRequired: true, Explanation: "the saved sign-in has no refresh token"})
	}
	// redeem asks for the configured scopes again: offline_access never
	// appears in the granted scope but keeps the refresh token coming.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}}
	nt, err := redeem(ctx, &s.cfg, form, s.now())
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) && oe.LoginRequired {
			oe.Account = s.account
			log.Warn("oauth refresh refused, login required", "account", s.account, "aadsts", oe.AADSTS, "code", oe.Code, "correlation_id", oe.CorrelationID)
			err := s.fail(t, oe)
			s.saveRefusal(t, oe)
			return "", err
		}
		if ctx.Err() != nil {
			return "", err
		}
		log.Warn("oauth refresh failed, will retry", "account", s.account, "err", err)
		s.mu.Lock()
		s.tempErr, s.tempUntil = err, s.now().Add(retryAfterTemporary)
		s.mu.Unlock()
		if !force && s.now().Before(t.Expiry) {
			return t.AccessToken, nil
		}
		return "", err
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = t.RefreshToken // not rotated this time
	}
	if nt.Tenant == "" || t.Tenant != "" {
		nt.Tenant = t.Tenant
	}
	// Save before use: the old refresh token may be spent. A failed save
	// keeps the new token in memory and tries again on the next call.
	serr := s.store.Save(s.account, nt)
	s.mu.Lock()
	s.tok, s.refreshedAt, s.tempErr, s.tempUntil = nt, s.now(), nil, time.Time{}
	s.unsaved = serr != nil
	s.mu.Unlock()
	if serr != nil {
		log.Error("oauth could not save the rotated token", "account", s.account, "err", serr)
	}
	log.Debug("oauth token refreshed", "account", s.account, "expiry", nt.Expiry)
	return nt.AccessToken, nil
}

// fail records a refusal that needs a new login.
func (s *Source) fail(t *Token, e *Error) error {
	s.mu.Lock()
	s.failed, s.failedRT = e, t.RefreshToken
	s.mu.Unlock()
	return e
}

// saveIfUnsaved retries a failed save; s.mu is held.
func (s *Source) saveIfUnsaved() {
	if s.unsaved && s.store.Save(s.account, s.tok) == nil {
		s.unsaved = false
	}
}

// saveRefusal records a refusal in the store, for `easbridge status` and
// for the next start of the daemon, unless the store already holds other
// tokens (a login got there first: it must not be overwritten).
func (s *Source) saveRefusal(t *Token, e *Error) {
	cur, err := s.store.Load(s.account)
	if err != nil || cur.RefreshToken != t.RefreshToken || cur.Refused != nil {
		return
	}
	nt := *cur
	nt.Refused = refusalOf(e, s.now())
	if err := s.store.Save(s.account, &nt); err != nil {
		s.cfg.logger().Warn("oauth could not record the refusal", "account", s.account, "err", err)
	}
}

// WaitForLogin returns nil once the store holds tokens that are not the
// refused ones (after `easbridge login`, in this process or another), or
// ctx's error when it ends first. It reads only the store, every poll; it
// never contacts the identity provider.
func (s *Source) WaitForLogin(ctx context.Context, poll time.Duration) error {
	for {
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		err := s.reload()
		s.mu.Lock()
		ok := err == nil && s.failed == nil && s.tok != nil
		s.mu.Unlock()
		<-s.sem
		if ok {
			return nil
		}
		if err := sleepCtx(ctx, poll); err != nil {
			return err
		}
	}
}
