package oauth

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrLoginRequired matches (errors.Is) every *Error that only a new
// interactive sign-in can cure: `easbridge login ACCOUNT`.
var ErrLoginRequired = errors.New("oauth: a new sign-in is required")

// ErrNoToken: the store holds no tokens for the account.
var ErrNoToken = errors.New("oauth: not signed in")

// Error is a failure reported by, or on the way to, the identity provider.
type Error struct {
	// Account is the easbridge account name, when known.
	Account string
	// Code is the OAuth error code (RFC 6749 5.2, RFC 8628 3.5), such as
	// invalid_grant; empty when the provider gave none.
	Code string
	// AADSTS is Microsoft Entra ID's error number (AADSTS53003 -> 53003),
	// 0 if none.
	AADSTS int
	// Description is the first line of error_description, without the
	// trace and correlation ids.
	Description string
	// Explanation is one sentence for the user: what happened and what to
	// do.
	Explanation string
	// CorrelationID identifies the request for the tenant's admin (it is
	// shown in the Entra sign-in logs); not a secret.
	CorrelationID string
	// StatusCode is the HTTP status, 0 when no answer came.
	StatusCode int
	// LoginRequired is set when retrying cannot help.
	LoginRequired bool
	// Temporary is set for outages and network errors: a later attempt
	// may succeed.
	Temporary bool

	err error
}

// Error reads, for example: oauth: sign-in of "work" failed (AADSTS53003):
// a Conditional Access policy of your organisation blocks ...; run
// `easbridge login work` ...
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth: ")
	if e.Account != "" {
		fmt.Fprintf(&b, "sign-in of %q", e.Account)
	} else {
		b.WriteString("sign-in")
	}
	b.WriteString(" failed")
	switch {
	case e.AADSTS != 0:
		fmt.Fprintf(&b, " (AADSTS%d)", e.AADSTS)
	case e.Code != "":
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	b.WriteString(": ")
	switch {
	case e.Explanation != "":
		b.WriteString(e.Explanation)
	case e.Description != "":
		b.WriteString(e.Description)
	default:
		b.WriteString("the identity provider refused the request")
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " (correlation id %s)", e.CorrelationID)
	}
	if e.LoginRequired {
		acc := e.Account
		if acc == "" {
			acc = "ACCOUNT"
		}
		fmt.Fprintf(&b, "; run `easbridge login %s` to sign in again", acc)
	}
	if e.err != nil {
		fmt.Fprintf(&b, ": %v", e.err)
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrLoginRequired) true for login failures.
func (e *Error) Is(target error) bool { return target == ErrLoginRequired && e.LoginRequired }

// loginCodes are the OAuth error codes after which only a new sign-in
// helps.
var loginCodes = map[string]bool{
	"invalid_grant": true, "interaction_required": true, "consent_required": true,
	"login_required": true, "unauthorized_client": true, "invalid_client": true,
	"access_denied": true, "authorization_declined": true, "expired_token": true,
	"bad_verification_code": true, "invalid_scope": true, "invalid_request": true,
}

// aadsts explains the Microsoft Entra error numbers a user of easbridge
// meets; the texts are ours, from Microsoft's published list of codes.
var aadsts = map[int]string{
	50011:   "the redirect URI is not registered for this application: add http://127.0.0.1 (or http://localhost, with redirect host localhost) as a \"Mobile and desktop applications\" redirect URI of the app registration",
	50020:   "this account does not belong to the tenant configured for easbridge: set tenant = \"common\" or the account's own tenant",
	50034:   "the user account does not exist in this directory",
	50053:   "the account is locked after too many failed sign-ins; wait, or ask your admin to unlock it",
	50055:   "your password has expired: change it in the browser first",
	50057:   "the user account is disabled",
	50058:   "you are not signed in any more",
	50076:   "your organisation now requires multi-factor authentication for this sign-in",
	50079:   "your organisation requires you to register for multi-factor authentication",
	50097:   "your organisation requires device authentication, which easbridge cannot provide; ask your admin for an exception",
	50105:   "your admin has not assigned you to this application in Entra ID (\"Assignment required\")",
	50126:   "the user name or password is wrong",
	50132:   "your session ended after a password change or expiry",
	50133:   "your session ended after a password change or expiry",
	50173:   "your tokens were revoked (a password change, or an admin or you signed out all sessions)",
	53000:   "a Conditional Access policy requires a compliant or managed device, which easbridge cannot prove; ask your admin for an exception",
	53001:   "a Conditional Access policy requires a domain-joined device; ask your admin for an exception",
	53003:   "a Conditional Access policy of your organisation blocks this sign-in; your admin finds which one in the Entra sign-in logs by the correlation id",
	65001:   "consent to this application was never given or has been revoked: sign in again and accept, or ask your admin to grant consent",
	65004:   "you declined the consent to this application",
	70000:   "the grant is invalid or was already used",
	70008:   "the refresh token has expired or was revoked",
	70011:   "the requested scope is not valid for this application",
	70043:   "the sign-in frequency set by a Conditional Access policy has passed",
	90094:   "this application needs an admin's consent in your organisation: ask your admin to grant it",
	90095:   "this application needs an admin's consent in your organisation: ask your admin to grant it",
	650057:  "the app registration does not list the Exchange Online permission EAS.AccessAsUser.All (Office 365 Exchange Online, delegated)",
	700016:  "the application (client id) is not known in your tenant or your tenant blocks it: check the client id, or ask your admin to allow the application",
	700082:  "the refresh token expired after 90 days without use",
	7000112: "the application has been disabled by your admin",
	7000218: "the app registration is not a public client: turn on \"Allow public client flows\" in its Authentication settings",
}

var aadstsInText = regexp.MustCompile(`AADSTS(\d+)`)

// newError builds an *Error from an OAuth error answer.
func newError(status int, er *errorResponse) *Error {
	e := &Error{Code: er.Error, StatusCode: status, CorrelationID: er.CorrelationID}
	desc := strings.TrimSpace(er.Description)
	if i := strings.IndexAny(desc, "\r\n"); i >= 0 {
		desc = strings.TrimSpace(desc[:i]) // Trace ID, Correlation ID, Timestamp follow
	}
	e.Description = desc
	if len(er.ErrorCodes) > 0 {
		e.AADSTS = er.ErrorCodes[0]
	} else if m := aadstsInText.FindStringSubmatch(desc); m != nil {
		e.AADSTS, _ = strconv.Atoi(m[1])
	}
	e.Explanation = aadsts[e.AADSTS]
	if e.Explanation == "" {
		e.Explanation = codeExplanation(er.Error, desc)
	}
	switch er.Error {
	case "temporarily_unavailable", "server_error":
		e.Temporary = true
	default:
		e.LoginRequired = loginCodes[er.Error] || aadsts[e.AADSTS] != ""
	}
	return e
}

// codeExplanation explains an error without a known AADSTS number.
func codeExplanation(code, desc string) string {
	switch code {
	case "invalid_grant":
		return "the identity provider no longer accepts the saved sign-in (revoked, expired or blocked)"
	case "interaction_required", "login_required":
		return "your organisation requires you to sign in interactively again"
	case "consent_required":
		return "consent to this application is missing"
	case "access_denied", "authorization_declined":
		return "the sign-in was declined"
	case "expired_token":
		return "the sign-in code expired before it was used"
	case "unauthorized_client", "invalid_client":
		return "your tenant does not accept this application (client id)"
	}
	return desc
}
