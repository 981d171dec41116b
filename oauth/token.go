package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Token is what the token endpoint grants. RefreshToken and AccessToken
// are secrets: String leaves them out.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	TokenType    string    `json:"token_type,omitempty"`
	Scope        string    `json:"scope,omitempty"`
	Expiry       time.Time `json:"expiry"`
	// ClientID and Tenant record which registration issued the refresh
	// token: it can only be redeemed by the same client.
	ClientID string `json:"client_id,omitempty"`
	Tenant   string `json:"tenant,omitempty"`
	// Refused, when set, records that the identity provider refused this
	// refresh token for good: `easbridge status` shows it and a restarted
	// daemon waits for a new login instead of asking again. Login saves
	// tokens without it.
	Refused *Refusal `json:"refused,omitempty"`
}

// Refusal is a saved login-required *Error, without secrets.
type Refusal struct {
	Code          string    `json:"code,omitempty"`
	AADSTS        int       `json:"aadsts,omitempty"`
	Description   string    `json:"description,omitempty"`
	Explanation   string    `json:"explanation,omitempty"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	At            time.Time `json:"at"`
}

// Err rebuilds the refusal as the *Error that caused it.
func (r *Refusal) Err(account string) *Error {
	return &Error{Account: account, Code: r.Code, AADSTS: r.AADSTS, Description: r.Description,
		Explanation: r.Explanation, CorrelationID: r.CorrelationID, LoginRequired: true}
}

func refusalOf(e *Error, at time.Time) *Refusal {
	return &Refusal{Code: e.Code, AADSTS: e.AADSTS, Description: e.Description, Explanation: e.Explanation,
		CorrelationID: e.CorrelationID, At: at.UTC()}
}

// String describes the token without its secrets.
func (t *Token) String() string {
	return fmt.Sprintf("Token{Expiry: %s, Refresh: %t}", t.Expiry.Format(time.RFC3339), t.RefreshToken != "")
}

// tokenResponse is the body of a successful answer (RFC 6749 5.1).
// expires_in is a number in v2.0 but a string in v1.0; both are read.
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	Scope        string          `json:"scope"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
}

// errorResponse is the body of a failure (RFC 6749 5.2), with Microsoft's
// additions.
type errorResponse struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	ErrorCodes    []int  `json:"error_codes"`
	SubError      string `json:"suberror"`
	CorrelationID string `json:"correlation_id"`
	TraceID       string `json:"trace_id"`
}

// maxBody bounds what is read from the identity provider.
const maxBody = 1 << 20

// postForm posts a form to an endpoint of the identity provider and
// decodes a JSON answer into ok on HTTP 200; any other answer becomes an
// *Error.
func postForm(ctx context.Context, cfg *Config, endpoint string, form url.Values, ok any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("oauth: building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := cfg.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("oauth: contacting the identity provider: %w", ctx.Err())
		}
		return &Error{Temporary: true, Description: "the identity provider could not be reached", err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &Error{Temporary: true, StatusCode: resp.StatusCode, Description: "the answer of the identity provider was cut off", err: err}
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, ok); err != nil {
			return fmt.Errorf("oauth: the identity provider answered with invalid JSON (%s): %w", mt, err)
		}
		return nil
	}
	var er errorResponse
	if json.Unmarshal(body, &er) != nil || er.Error == "" {
		// Not an OAuth error: a proxy page, an outage.
		e := &Error{StatusCode: resp.StatusCode, Description: fmt.Sprintf("the identity provider answered %s", resp.Status)}
		e.Temporary = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return e
	}
	return newError(resp.StatusCode, &er)
}

// redeem posts a grant to the token endpoint and returns the token.
func redeem(ctx context.Context, cfg *Config, form url.Values, now time.Time) (*Token, error) {
	form.Set("client_id", cfg.ClientID)
	if form.Get("scope") == "" {
		form.Set("scope", cfg.scope())
	}
	var tr tokenResponse
	if err := postForm(ctx, cfg, cfg.TokenURL(), form, &tr); err != nil {
		return nil, err
	}
	if tr.AccessToken == "" {
		return nil, errors.New("oauth: the identity provider granted no access token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return nil, fmt.Errorf("oauth: the identity provider granted a %q token, not a bearer token", tr.TokenType)
	}
	secs, err := expiresIn(tr.ExpiresIn)
	if err != nil {
		return nil, err
	}
	return &Token{
		AccessToken:  tr.AccessToken,
		RefreshToken: tr.RefreshToken,
		TokenType:    "Bearer",
		Scope:        tr.Scope,
		Expiry:       now.Add(time.Duration(secs) * time.Second),
		ClientID:     cfg.ClientID,
		Tenant:       cfg.tenant(),
	}, nil
}

// expiresIn reads expires_in as a number or a string of digits; absent,
// the token is taken to last one hour, Microsoft's usual minimum.
func expiresIn(raw json.RawMessage) (int64, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return 3600, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 366*24*3600 {
		return 0, fmt.Errorf("oauth: the identity provider sent an invalid expires_in %q", s)
	}
	return n, nil
}
