package oauth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultPoll is how often a parked account re-reads the token store.
const DefaultPoll = 10 * time.Second

// Parking wraps a Source for the daemon (eas.TokenRefresher). While the
// sign-in works it is the Source. When the identity provider refuses the
// sign-in for good (ErrLoginRequired), Parking reports it once through
// OnRefused and then holds every Token and Refresh call, asking nobody and
// sending nothing, until `easbridge login` stores new tokens; then it
// reports OnResumed and carries on with them. The account is parked, not
// retried in a loop. Only callers without a deadline wait; the others get
// the refusal at once (see park).
//
// Only the daemon parks: a one-shot command (`sync --once`) uses the
// Source itself and fails with the error.
type Parking struct {
	Source *Source
	// Poll is how often the store is re-read while parked; default
	// DefaultPoll.
	Poll time.Duration
	// OnRefused is called once per refusal with the error (the AADSTS
	// code and what to do); OnResumed once when new tokens arrive. Either
	// may be nil.
	OnRefused func(*Error)
	OnResumed func()

	mu     sync.Mutex
	parked bool
}

// Token returns an access token, waiting while the account is parked.
func (p *Parking) Token(ctx context.Context) (string, error) {
	for {
		tok, err := p.Source.Token(ctx)
		if !errors.Is(err, ErrLoginRequired) {
			if err == nil {
				p.resumed()
			}
			return tok, err
		}
		if err := p.park(ctx, err); err != nil {
			return "", err
		}
	}
}

// Refresh renews the token after a 401, waiting while the account is
// parked; after a new login it returns nil, so the request is retried
// with the new token.
func (p *Parking) Refresh(ctx context.Context) error {
	err := p.Source.Refresh(ctx)
	if !errors.Is(err, ErrLoginRequired) {
		if err == nil {
			p.resumed()
		}
		return err
	}
	return p.park(ctx, err)
}

// Parked reports whether the account waits for a login.
func (p *Parking) Parked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.parked
}

// park waits for a login; it returns ctx's error if ctx ends first. A
// caller whose ctx has a deadline (an SMTP submission, a Ping bounded by
// its heartbeat) gets the refusal at once instead: it has somewhere else
// to go (the Outbox, the next cycle), and the wait could outlast it.
func (p *Parking) park(ctx context.Context, cause error) error {
	p.mu.Lock()
	if !p.parked {
		p.parked = true
		var e *Error
		if errors.As(cause, &e) && p.OnRefused != nil {
			p.OnRefused(e)
		}
	}
	p.mu.Unlock()
	if _, bounded := ctx.Deadline(); bounded {
		return cause
	}
	poll := p.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	if err := p.Source.WaitForLogin(ctx, poll); err != nil {
		return errors.Join(cause, err)
	}
	p.resumed()
	return nil
}

// resumed ends a parking, reporting it once.
func (p *Parking) resumed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.parked {
		p.parked = false
		if p.OnResumed != nil {
			p.OnResumed()
		}
	}
}
