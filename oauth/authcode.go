package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strconv"
	"time"
)

// BrowserOptions tune the authorization code flow.
type BrowserOptions struct {
	// Port of the loopback listener; 0 picks a free one. Entra ID ignores
	// the port of loopback redirect URIs, so any port matches.
	Port int
	// RedirectHost is the host of the redirect URI: "127.0.0.1" (default,
	// RFC 8252 8.3) or "localhost", whichever the app registration lists.
	// The listener is on 127.0.0.1 either way.
	RedirectHost string
	// OpenBrowser opens url in the user's browser; default xdg-open on
	// Unix, open on macOS. An error only means the user opens it by hand.
	OpenBrowser func(url string) error
}

// newVerifier returns a PKCE code verifier and its S256 challenge (RFC
// 7636 4.1, 4.2): 32 random bytes, base64url without padding.
func newVerifier() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomState() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// callback is what the redirect brought.
type callback struct {
	code string
	err  error
}

// BrowserLogin runs the authorization code flow with PKCE: it listens on
// loopback, sends the user's browser to the authorize endpoint (printing
// the URL to out as well), waits for the redirect with the code, checks
// the state, and redeems the code. ctx bounds the wait.
func BrowserLogin(ctx context.Context, cfg Config, opt BrowserOptions, out io.Writer) (*Token, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opt.Port)))
	if err != nil {
		return nil, fmt.Errorf("oauth: listening for the sign-in redirect: %w", err)
	}
	defer ln.Close()
	host := opt.RedirectHost
	if host == "" {
		host = "127.0.0.1"
	}
	port := ln.Addr().(*net.TCPAddr).Port
	redirect := "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/"
	verifier, challenge := newVerifier()
	state := randomState()

	q := url.Values{
		"client_id":             {cfg.ClientID},
		"response_type":         {"code"},
		"redirect_uri":          {redirect},
		"response_mode":         {"query"},
		"scope":                 {cfg.scope()},
		"state":                 {state},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
	if cfg.LoginHint != "" {
		q.Set("login_hint", cfg.LoginHint)
	}
	authURL := cfg.AuthorizeURL() + "?" + q.Encode()

	got := make(chan callback, 1)
	srv := &http.Server{Handler: redirectHandler(state, got), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	open := opt.OpenBrowser
	if open == nil {
		open = openBrowser
	}
	fmt.Fprintf(out, "Sign in to Microsoft 365 in your browser. If it does not open, open this address:\n\n  %s\n\n", authURL)
	if err := open(authURL); err != nil {
		cfg.logger().Debug("oauth could not open a browser", "err", err)
	}
	var cb callback
	select {
	case cb = <-got:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth: waiting for the browser sign-in: %w", ctx.Err())
	}
	if cb.err != nil {
		return nil, cb.err
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {cb.code},
		"redirect_uri":  {redirect},
		"code_verifier": {verifier},
	}
	return redeem(ctx, &cfg, form, time.Now())
}

// redirectHandler answers the browser's redirect to the loopback
// listener. A request without the expected state is answered 400 and
// otherwise ignored: only the browser we sent knows the state, and a
// stray local request must not end the sign-in.
func redirectHandler(state string, got chan<- callback) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("state") != state {
			http.Error(w, "easbridge: this sign-in answer does not belong to the sign-in in progress", http.StatusBadRequest)
			return
		}
		var cb callback
		switch {
		case q.Get("error") != "":
			cb.err = newError(0, &errorResponse{Error: q.Get("error"), Description: q.Get("error_description")})
		case q.Get("code") == "":
			cb.err = errors.New("oauth: the sign-in redirect carried no code")
		default:
			cb.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if cb.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>easbridge</title><p>Sign-in failed: %s</p>", html.EscapeString(cb.err.Error()))
		} else {
			io.WriteString(w, "<!doctype html><title>easbridge</title><p>Signed in. You can close this window and return to easbridge.</p>")
		}
		select {
		case got <- cb:
		default: // a second answer: the first one counts
		}
	})
}

// openBrowser starts the desktop's URL opener.
func openBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		p, err := exec.LookPath("xdg-open")
		if err != nil {
			return err
		}
		cmd = exec.Command(p, u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it
	return nil
}
