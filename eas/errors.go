package eas

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Sentinel errors. Every error the client returns for these conditions
// matches them with errors.Is, whatever type carries the details.
var (
	// ErrUnauthorized: the server rejected the credentials (HTTP 401).
	// The HTTPError that carries it names the kind: the user name or
	// password (Basic), or the access token (Bearer).
	ErrUnauthorized = errors.New("eas: the server rejected the credentials")
	// ErrForbidden: the account may not use ActiveSync, or this device is
	// blocked or quarantined (HTTP 403).
	ErrForbidden = errors.New("eas: the server refused access to ActiveSync for this account or device")
	// ErrNotFound: the URL does not lead to an ActiveSync server (HTTP 404).
	ErrNotFound = errors.New("eas: no ActiveSync server answers at this URL")
	// ErrNotWBXML: a reply that should be WBXML is something else, such as
	// an HTML login page sent with status 200. It is wbxml.ErrNotWBXML.
	ErrNotWBXML = wbxml.ErrNotWBXML
	// ErrInvalidSyncKey: the server does not know the SyncKey (Sync status
	// 3, FolderSync status 9, MS-ASCMD 2.2.3.177.16); start over with "0".
	ErrInvalidSyncKey = errors.New("eas: invalid sync key, the collection must be synced again from key 0")
	// ErrHierarchyChanged: the folder hierarchy changed or is unknown to
	// the server (Sync status 12, Ping status 7); run FolderSync first.
	ErrHierarchyChanged = errors.New("eas: the folder hierarchy changed, a FolderSync is needed")
	// ErrPolicyRefused: the caller's policy callback refused the security
	// policy the server demands.
	ErrPolicyRefused = errors.New("eas: the server's security policy was refused")
	// ErrRemoteWipe: the server asked this device to wipe itself. The client
	// never acts on it; the caller decides.
	ErrRemoteWipe = errors.New("eas: the server requested a remote wipe of this device")
	// ErrThrottled: the server is throttling this client; see
	// ThrottledError for the delay.
	ErrThrottled = errors.New("eas: the server is throttling requests")
	// ErrUnavailable: the server is temporarily unavailable (HTTP 503 or a
	// transient status); see ThrottledError for the delay.
	ErrUnavailable = errors.New("eas: the server is temporarily unavailable")
	// ErrTLS: the TLS connection to the server failed, for example because
	// its certificate is not trusted.
	ErrTLS = errors.New("eas: the server's TLS certificate could not be verified")
	// ErrProvisionNeeded: the server demands provisioning and the client
	// could not satisfy it.
	ErrProvisionNeeded = errors.New("eas: the server demands provisioning")
	// ErrTooManyDevices: the mailbox has as many ActiveSync device
	// partnerships as the server allows (common status 177,
	// MaximumDevicesReached, MS-ASCMD 2.2.2).
	ErrTooManyDevices = errors.New("eas: the mailbox has reached the server's limit of ActiveSync devices: remove devices no longer used (Outlook on the web: Settings > General > Mobile devices) or ask the Exchange admin to raise the limit (EasMaxDevices of the throttling policy); easbridge keeps one device id per machine and account, so it needs one partnership")
	// ErrEmptyResponse: the server answered with an empty body where a
	// document was due.
	ErrEmptyResponse = errors.New("eas: the server sent an empty response")
)

// HTTPError is a failing HTTP status. Err is the sentinel it maps to
// (ErrUnauthorized, ErrForbidden, ErrNotFound...), or nil.
type HTTPError struct {
	Command    string
	StatusCode int
	Status     string
	Err        error
	// Msg, when set, replaces the sentinel's text: it says more than the
	// sentinel can, such as which credentials a 401 rejected.
	Msg string
}

func (e *HTTPError) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Msg, e.StatusCode)
	}
	if e.Err != nil {
		return fmt.Sprintf("%v (HTTP %d)", e.Err, e.StatusCode)
	}
	return fmt.Sprintf("eas: %s failed: the server answered HTTP %s", e.Command, e.Status)
}

// Unwrap returns the sentinel the status maps to.
func (e *HTTPError) Unwrap() error { return e.Err }

// StatusError is an EAS status code that reports a failure, for the whole
// command or for one collection, folder or item of it.
type StatusError struct {
	Command string // "Sync", "FolderSync", ...
	Status  int
	Err     error // a sentinel such as ErrInvalidSyncKey, or nil
}

func (e *StatusError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v (%s status %d)", e.Err, e.Command, e.Status)
	}
	return fmt.Sprintf("eas: %s failed with status %d (%s)", e.Command, e.Status, statusText(e.Status))
}

// Unwrap returns the sentinel the status maps to.
func (e *StatusError) Unwrap() error { return e.Err }

// ThrottledError reports that the server wants the client to wait: HTTP
// 503 (or 429) with Retry-After, X-MS-ASThrottle, or status 111
// (ServerErrorRetryLater, MS-ASCMD 2.2.2). RetryAfter is zero when the
// server gave no delay. (Statuses 139, 140 and 177 are not throttling:
// they map to ErrPolicyRefused, ErrRemoteWipe and ErrTooManyDevices.)
type ThrottledError struct {
	Command    string
	RetryAfter time.Duration
	Reason     string // X-MS-ASThrottle value or status text
	Status     int    // EAS status, or 0 for HTTP 503
	Err        error  // ErrThrottled or ErrUnavailable
}

func (e *ThrottledError) Error() string {
	var b strings.Builder
	if errors.Is(e.Err, ErrThrottled) {
		b.WriteString("eas: the server is throttling requests")
	} else {
		b.WriteString("eas: the server is temporarily unavailable")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	} else {
		b.WriteString(", retry later")
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	return b.String()
}

// Unwrap returns ErrThrottled or ErrUnavailable.
func (e *ThrottledError) Unwrap() error { return e.Err }

// transportError classifies a failed HTTP round trip, so that the user
// reads one sentence that says what went wrong.
func transportError(u string, err error) error {
	host := u
	if p, perr := url.Parse(u); perr == nil {
		host = p.Host
	}
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var tve *tls.CertificateVerificationError
	var rhe tls.RecordHeaderError
	switch {
	case errors.As(err, &uae), errors.As(err, &tve), errors.As(err, &cie):
		return &netError{ErrTLS, fmt.Sprintf("eas: the TLS certificate of %s is not trusted", host), err}
	case errors.As(err, &hne):
		return &netError{ErrTLS, fmt.Sprintf("eas: the TLS certificate of %s is for another host name", host), err}
	case errors.As(err, &rhe):
		return &netError{ErrTLS, fmt.Sprintf("eas: %s does not speak TLS", host), err}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &netError{nil, fmt.Sprintf("eas: the server name %s cannot be resolved", host), err}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &netError{nil, fmt.Sprintf("eas: cannot connect to %s", host), err}
	}
	return fmt.Errorf("eas: request to %s failed: %w", host, err)
}

// netError carries a readable sentence while still matching the sentinel
// and the underlying error.
type netError struct {
	kind  error
	msg   string
	cause error
}

func (e *netError) Error() string { return e.msg }

func (e *netError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// needsProvisioning reports whether a status asks for a new Provision
// (MS-ASCMD 2.2.2: 141 legacy device on strict policy, 142 device not
// provisioned, 143 policy refresh, 144 invalid policy key).
func needsProvisioning(status int) bool {
	return status >= 141 && status <= 144
}

// throttleStatus maps the statuses that ask the client to back off
// (MS-ASCMD 2.2.2: 111 ServerErrorRetryLater; Exchange throttles with HTTP
// 503 and X-MS-ASThrottle instead, see transport.go).
func throttleStatus(command string, status int) error {
	if status == 111 {
		return &ThrottledError{Command: command, Status: status, Reason: statusText(status), Err: ErrUnavailable}
	}
	return nil
}

// commandStatusError turns a failing top-level status into an error,
// covering the common statuses of MS-ASCMD 2.2.2.
func commandStatusError(command string, status int) error {
	if err := throttleStatus(command, status); err != nil {
		return err
	}
	switch {
	case status == 177:
		return &StatusError{Command: command, Status: status, Err: ErrTooManyDevices}
	case status == 126 || status == 129 || status == 130 || status == 131:
		return &StatusError{Command: command, Status: status, Err: ErrForbidden}
	case status == 139:
		return &StatusError{Command: command, Status: status, Err: ErrPolicyRefused}
	case status == 140:
		return &StatusError{Command: command, Status: status, Err: ErrRemoteWipe}
	case needsProvisioning(status):
		return &StatusError{Command: command, Status: status, Err: ErrProvisionNeeded}
	}
	return &StatusError{Command: command, Status: status}
}

// statusText names the common statuses of MS-ASCMD 2.2.2.
func statusText(status int) string {
	switch status {
	case 101:
		return "invalid content"
	case 102:
		return "invalid WBXML"
	case 103:
		return "invalid XML"
	case 110:
		return "server error"
	case 111:
		return "server error, retry later"
	case 126:
		return "user disabled for sync"
	case 129:
		return "device blocked"
	case 130:
		return "access denied"
	case 131:
		return "account disabled"
	case 139:
		return "device not fully provisionable"
	case 140:
		return "remote wipe requested"
	case 141:
		return "legacy device on strict policy"
	case 142:
		return "device not provisioned"
	case 143:
		return "policy refresh"
	case 144:
		return "invalid policy key"
	case 150:
		return "item not found"
	case 177:
		return "maximum number of devices reached"
	}
	return "see MS-ASCMD"
}
