package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"
)

// Flow chooses how Login obtains the first tokens.
type Flow int

// The flows.
const (
	// FlowAuto uses the browser when the session has a display, else the
	// device code.
	FlowAuto Flow = iota
	// FlowBrowser is the authorization code flow with a loopback redirect.
	FlowBrowser
	// FlowDevice is the device authorization grant.
	FlowDevice
)

// LoginOptions tune Login.
type LoginOptions struct {
	Flow    Flow
	Browser BrowserOptions

	// Tests replace the device flow's waiting and clock.
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
}

// Login signs account in with the chosen flow and saves the tokens in
// store, replacing (and thereby curing) a refused sign-in: a running
// Source picks the new tokens up on its next request. It is what
// `easbridge login ACCOUNT` runs.
func Login(ctx context.Context, cfg Config, store TokenStore, account string, opt LoginOptions, out io.Writer) (*Token, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !validAccount(account) {
		return nil, fmt.Errorf("oauth: account name %q is not valid", account)
	}
	flow := opt.Flow
	if flow == FlowAuto {
		flow = FlowDevice
		if hasDisplay() {
			flow = FlowBrowser
		}
	}
	var t *Token
	var err error
	if flow == FlowBrowser {
		t, err = BrowserLogin(ctx, cfg, opt.Browser, out)
	} else {
		sleep, now := opt.sleep, opt.now
		if sleep == nil {
			sleep, now = sleepCtx, time.Now
		}
		t, err = deviceLogin(ctx, cfg, out, sleep, now)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Account = account
			e.LoginRequired = false // this was the login
		}
		return nil, err
	}
	if t.RefreshToken == "" {
		return nil, fmt.Errorf("oauth: the sign-in of %q granted no refresh token: the scope %s is missing", account, ScopeOfflineAccess)
	}
	if err := store.Save(account, t); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Signed in %s.\n", account)
	return t, nil
}

// hasDisplay tells whether a browser can be opened here: macOS and
// Windows always, elsewhere a graphical session, and never over SSH
// without one.
func hasDisplay() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}
