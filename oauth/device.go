package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"
)

// DeviceCode is the answer of the device authorization endpoint (RFC 8628
// 3.2): the user opens VerificationURI anywhere and types UserCode.
type DeviceCode struct {
	DeviceCode      string `json:"device_code"`
	UserCode        string `json:"user_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

// Polling of RFC 8628 3.5.
const (
	defaultInterval = 5 * time.Second // when the answer names none
	slowDownStep    = 5 * time.Second // added on slow_down
)

// DeviceLogin runs the device authorization grant: it prints the code and
// the address to out and polls the token endpoint until the user has
// signed in, declined, or the code expired.
func DeviceLogin(ctx context.Context, cfg Config, out io.Writer) (*Token, error) {
	return deviceLogin(ctx, cfg, out, sleepCtx, time.Now)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func deviceLogin(ctx context.Context, cfg Config, out io.Writer, sleep func(context.Context, time.Duration) error, now func() time.Time) (*Token, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var dc DeviceCode
	form := url.Values{"client_id": {cfg.ClientID}, "scope": {cfg.scope()}}
	if err := postForm(ctx, &cfg, cfg.DeviceCodeURL(), form, &dc); err != nil {
		return nil, fmt.Errorf("oauth: starting the device sign-in: %w", err)
	}
	if dc.DeviceCode == "" || dc.UserCode == "" || dc.VerificationURI == "" {
		return nil, errors.New("oauth: the device sign-in answer lacks the code or the address")
	}
	fmt.Fprintf(out, "To sign in to Microsoft 365, open %s on any device and enter the code %s\n", dc.VerificationURI, dc.UserCode)
	interval := time.Duration(dc.Interval) * time.Second
	if interval <= 0 {
		interval = defaultInterval
	}
	life := time.Duration(dc.ExpiresIn) * time.Second
	if life <= 0 {
		life = 15 * time.Minute
	}
	deadline := now().Add(life)
	for {
		if err := sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("oauth: waiting for the device sign-in: %w", err)
		}
		if !now().Before(deadline) {
			return nil, &Error{Code: "expired_token", LoginRequired: true, Explanation: "the sign-in code expired before the sign-in was completed"}
		}
		grant := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc.DeviceCode}}
		t, err := redeem(ctx, &cfg, grant, now())
		if err == nil {
			return t, nil
		}
		var oe *Error
		if !errors.As(err, &oe) {
			return nil, err
		}
		switch {
		case oe.Code == "authorization_pending":
			continue
		case oe.Code == "slow_down":
			interval += slowDownStep
			continue
		case oe.Temporary && ctx.Err() == nil:
			continue // an outage: keep polling until the code expires
		case oe.Code == "expired_token" || oe.Code == "code_expired":
			oe.Explanation = "the sign-in code expired before the sign-in was completed"
		case oe.Code == "access_denied" || oe.Code == "authorization_declined":
			oe.Explanation = "the sign-in was declined"
		}
		return nil, err
	}
}
