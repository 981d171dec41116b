package eas

import (
	"context"
	"fmt"
	"net/http"
)

// Credentials authorize each request to the server.
type Credentials interface {
	// Authorize adds the authentication header to req.
	Authorize(ctx context.Context, req *http.Request) error
}

// Basic is HTTP Basic authentication (MS-ASHTTP 2.2.1.1.2.1). User is
// the logon name, often DOMAIN\user or the e-mail address.
type Basic struct {
	User     string
	Password string
}

// Authorize sets the Authorization header.
func (b Basic) Authorize(_ context.Context, req *http.Request) error {
	req.SetBasicAuth(b.User, b.Password)
	return nil
}

// String hides the password, so that printing a Config leaks nothing.
func (b Basic) String() string { return fmt.Sprintf("Basic{User: %q}", b.User) }

// TokenSource hands out bearer tokens, for OAuth2 (Exchange Online's
// "modern authentication"). Implementations cache the token and renew it
// when it expires.
type TokenSource interface {
	// Token returns a valid access token.
	Token(ctx context.Context) (string, error)
}

// TokenRefresher is a TokenSource that can be told its current token was
// rejected. On HTTP 401 the client calls Refresh once and retries the
// request once with the new token.
type TokenRefresher interface {
	TokenSource
	// Refresh discards the cached token and obtains a new one.
	Refresh(ctx context.Context) error
}

// Bearer authenticates with tokens from a TokenSource
// ("Authorization: Bearer ...").
type Bearer struct {
	Source TokenSource
}

// Authorize sets the Authorization header with a fresh token.
func (b Bearer) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := b.Source.Token(ctx)
	if err != nil {
		return fmt.Errorf("eas: getting access token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// refresh asks the token source for a new token, if it can; it reports
// whether the request is worth retrying.
func refreshCredentials(ctx context.Context, c Credentials) (bool, error) {
	b, ok := c.(Bearer)
	if !ok {
		if p, okp := c.(*Bearer); okp && p != nil {
			b, ok = *p, true
		}
	}
	if !ok {
		return false, nil
	}
	r, ok := b.Source.(TokenRefresher)
	if !ok {
		return false, nil
	}
	if err := r.Refresh(ctx); err != nil {
		return false, fmt.Errorf("eas: refreshing access token: %w", err)
	}
	return true, nil
}

// unauthorizedText says what a 401 rejected, by the kind of credentials
// sent.
func unauthorizedText(c Credentials) string {
	switch c.(type) {
	case Basic, *Basic:
		return "eas: the server rejected the user name or password"
	case Bearer, *Bearer:
		return "eas: the server rejected the access token even after a refresh: the account may have no Exchange Online mailbox, ActiveSync may be disabled for it, or the token was issued for another tenant"
	}
	return ErrUnauthorized.Error()
}
