package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeIDP is an in-process Microsoft identity platform: the v2.0
// authorize, token and devicecode endpoints of one tenant path, answering
// as Microsoft's do (RFC 6749, 7636, 8628 plus error_codes and AADSTS
// descriptions). Refresh tokens rotate on every use; the old one stays
// redeemable, as Microsoft's do, unless revokeOld is set.
type fakeIDP struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	clientID  string
	n         int
	lifetime  func() int // seconds of each access token; default 3599
	codes     map[string]authCode
	refresh   map[string]bool // redeemable refresh tokens
	access    map[string]bool // valid access tokens
	revokeOld bool
	// refuseAccess makes every access token invalid at the EAS server.
	refuseAccess bool

	// Next answers, consumed in order.
	refreshErrs   []errorResponse // next refresh_token grants fail so
	deviceReplies []string        // "pending", "slow_down", "expired_token", "authorization_declined", "ok"
	authorizeErr  *errorResponse  // authorize redirects with this error

	// Counters.
	tokenRequests, deviceRequests, authorizeRequests, refreshes int
	hold                                                        chan struct{} // when set, refresh grants wait on it
	inRefresh                                                   chan struct{} // signalled when a refresh grant arrives
}

type authCode struct {
	challenge, redirect string
}

func newFakeIDP(t testing.TB) *fakeIDP {
	f := &fakeIDP{t: t, clientID: "test-client", codes: map[string]authCode{}, refresh: map[string]bool{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", f.authorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/devicecode", f.devicecode)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIDP) config() Config {
	return Config{ClientID: f.clientID, Tenant: "organizations", Authority: f.srv.URL}
}

// writeError answers as Entra ID does: HTTP 400 (401 for client errors),
// the AADSTS number leading error_description, trace lines after it.
func writeError(w http.ResponseWriter, er errorResponse) {
	if er.CorrelationID == "" {
		er.CorrelationID = "00000000-0000-0000-0000-00000000c0de"
	}
	if len(er.ErrorCodes) > 0 && !strings.HasPrefix(er.Description, "AADSTS") {
		er.Description = fmt.Sprintf("AADSTS%d: %s", er.ErrorCodes[0], er.Description)
	}
	er.Description += "\r\nTrace ID: 1111\r\nCorrelation ID: " + er.CorrelationID + "\r\nTimestamp: 2026-11-22 02:00:00Z"
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	status := http.StatusBadRequest
	if er.Error == "invalid_client" {
		status = http.StatusUnauthorized
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(er)
}

func (f *fakeIDP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authorizeRequests++
	redir, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redir.Scheme != "http" || (redir.Hostname() != "127.0.0.1" && redir.Hostname() != "localhost") {
		http.Error(w, "AADSTS50011: redirect URI mismatch", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != f.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || !strings.Contains(q.Get("scope"), "offline_access") {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	if e := f.authorizeErr; e != nil {
		back.Set("error", e.Error)
		back.Set("error_description", fmt.Sprintf("AADSTS%d: %s", e.ErrorCodes[0], e.Description))
	} else {
		f.n++
		code := fmt.Sprintf("code-%d", f.n)
		f.codes[code] = authCode{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
		back.Set("code", code)
	}
	redir.RawQuery = back.Encode()
	http.Redirect(w, r, redir.String(), http.StatusFound)
}

// grant issues a new access and refresh token; f.mu is held.
func (f *fakeIDP) grant(w http.ResponseWriter) {
	f.n++
	at, rt := fmt.Sprintf("at-%d", f.n), fmt.Sprintf("rt-%d", f.n)
	f.access[at], f.refresh[rt] = true, true
	life := 3599
	if f.lifetime != nil {
		life = f.lifetime()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{
		"token_type": "Bearer", "scope": ScopeEAS, "expires_in": life, "ext_expires_in": life,
		"access_token": at, "refresh_token": rt,
	})
}

func (f *fakeIDP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, errorResponse{Error: "invalid_request", Description: "bad form", ErrorCodes: []int{900144}})
		return
	}
	if r.PostForm.Get("grant_type") == "refresh_token" {
		f.mu.Lock()
		hold, in := f.hold, f.inRefresh
		f.mu.Unlock()
		if in != nil {
			in <- struct{}{}
		}
		if hold != nil {
			<-hold
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenRequests++
	if r.PostForm.Get("client_id") != f.clientID {
		writeError(w, errorResponse{Error: "unauthorized_client", Description: "Application with identifier was not found in the directory.", ErrorCodes: []int{700016}})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok:
			writeError(w, errorResponse{Error: "invalid_grant", Description: "The provided authorization code is invalid or was already redeemed.", ErrorCodes: []int{70000}})
		case c.redirect != r.PostForm.Get("redirect_uri"):
			writeError(w, errorResponse{Error: "invalid_grant", Description: "redirect_uri does not match.", ErrorCodes: []int{50011}})
		case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
			writeError(w, errorResponse{Error: "invalid_grant", Description: "The code_verifier does not match the code_challenge.", ErrorCodes: []int{501481}})
		default:
			f.grant(w)
		}
	case "refresh_token":
		f.refreshes++
		rt := r.PostForm.Get("refresh_token")
		if len(f.refreshErrs) > 0 {
			e := f.refreshErrs[0]
			f.refreshErrs = f.refreshErrs[1:]
			if e.Error == "server_error" {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			writeError(w, e)
			return
		}
		if !f.refresh[rt] {
			writeError(w, errorResponse{Error: "invalid_grant", Description: "The refresh token has expired or is invalid.", ErrorCodes: []int{70008}})
			return
		}
		if f.revokeOld {
			delete(f.refresh, rt)
		}
		f.grant(w)
	case "urn:ietf:params:oauth:grant-type:device_code":
		if r.PostForm.Get("device_code") != "dev-code" {
			writeError(w, errorResponse{Error: "bad_verification_code", Description: "Device code not found.", ErrorCodes: []int{70019}})
			return
		}
		reply := "ok"
		if len(f.deviceReplies) > 0 {
			reply = f.deviceReplies[0]
			f.deviceReplies = f.deviceReplies[1:]
		}
		switch reply {
		case "ok":
			f.grant(w)
		case "pending":
			writeError(w, errorResponse{Error: "authorization_pending", Description: "The user has not yet completed authorization.", ErrorCodes: []int{70016}})
		case "slow_down":
			writeError(w, errorResponse{Error: "slow_down", Description: "Polling too fast."})
		case "expired_token":
			writeError(w, errorResponse{Error: "expired_token", Description: "Verification code expired.", ErrorCodes: []int{70020}})
		case "authorization_declined":
			writeError(w, errorResponse{Error: "authorization_declined", Description: "The end user denied the authorization request.", ErrorCodes: []int{70000}})
		case "blocked":
			writeError(w, errorResponse{Error: "invalid_grant", Description: "Access has been blocked by Conditional Access policies.", ErrorCodes: []int{53003}})
		case "outage":
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	default:
		writeError(w, errorResponse{Error: "unsupported_grant_type", Description: "grant type not supported", ErrorCodes: []int{70003}})
	}
}

func (f *fakeIDP) devicecode(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deviceRequests++
	if r.PostForm.Get("client_id") != f.clientID {
		writeError(w, errorResponse{Error: "unauthorized_client", Description: "Application not found.", ErrorCodes: []int{700016}})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"device_code": "dev-code", "user_code": "ABCD-EFGH", "verification_uri": "https://microsoft.com/devicelogin",
		"expires_in": 900, "interval": 5,
		"message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.",
	})
}

func (f *fakeIDP) accessValid(at string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.access[at] && !f.refuseAccess
}

func (f *fakeIDP) revokeAccess(at string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.access, at)
}

func (f *fakeIDP) counts() (tokens, refreshes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenRequests, f.refreshes
}
