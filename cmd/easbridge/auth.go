package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/internal/logx"
	"github.com/easbridge/easbridge/oauth"
	"github.com/easbridge/easbridge/secret"
)

// The sign-in methods of an account (the auth key).
const (
	// authBasic sends the user name and password (password_command or
	// $EASBRIDGE_PASSWORD) with every request: on-premises Exchange.
	authBasic = "basic"
	// authOAuth2 signs in to Microsoft 365 (Exchange Online) with OAuth 2.0
	// (`easbridge login NAME`) and sends bearer tokens.
	authOAuth2 = "oauth2"
)

// checkAuth validates the sign-in keys of an account (auth, client_id,
// tenant, authority, protocol_version) and fills in their defaults.
//
// There is no default client_id: easbridge has no application
// registration of its own in Microsoft Entra ID, and borrowing another
// program's would misrepresent easbridge to tenant admins (see package
// oauth). auth = "oauth2" therefore needs client_id.
func (a *accountConfig) checkAuth() error {
	switch a.Auth {
	case "":
		a.Auth = authBasic
	case authBasic, authOAuth2:
	default:
		return fmt.Errorf("account %q: auth %q is not basic or oauth2", a.Name, a.Auth)
	}
	if a.ProtocolVersion != "" {
		v, err := eas.ParseVersion(a.ProtocolVersion)
		if err != nil || !slices.Contains(eas.SupportedVersions, v) {
			return fmt.Errorf("account %q: protocol_version %q is not one of 16.1, 16.0, 14.1, 14.0, 12.1", a.Name, a.ProtocolVersion)
		}
	}
	if a.Auth == authBasic {
		if a.ClientID != "" || a.Tenant != "" || a.Authority != "" {
			return fmt.Errorf("account %q: client_id, tenant and authority apply only with auth = %q", a.Name, authOAuth2)
		}
		return nil
	}
	if a.PasswordCommand != "" {
		return fmt.Errorf("account %q: password_command does not apply with auth = %q (run `easbridge login %s` instead)", a.Name, authOAuth2, a.Name)
	}
	if a.Tenant == "" {
		a.Tenant = oauth.DefaultTenant
	}
	oc := a.oauthConfig(nil)
	if err := oc.Validate(); err != nil {
		if errors.Is(err, oauth.ErrNoClientID) {
			return fmt.Errorf("account %q: auth = %q needs client_id, the Application (client) ID of a public client app registered in Microsoft Entra ID with the delegated permission EAS.AccessAsUser.All of Office 365 Exchange Online (easbridge has no registration of its own)", a.Name, authOAuth2)
		}
		return fmt.Errorf("account %q: %w", a.Name, err)
	}
	return nil
}

// oauthConfig is the account's sign-in configuration.
func (a *accountConfig) oauthConfig(log *slog.Logger) oauth.Config {
	hint := a.Email
	if hint == "" && strings.Contains(a.Username, "@") {
		hint = a.Username
	}
	return oauth.Config{ClientID: a.ClientID, Tenant: a.Tenant, Authority: a.Authority, LoginHint: hint, Logger: log}
}

// protocolVersion is the configured EAS version, or zero to negotiate
// (which picks 16.1 whenever the server offers it, as Exchange Online
// does).
func (a *accountConfig) protocolVersion() eas.Version {
	v, _ := eas.ParseVersion(a.ProtocolVersion) // checked by checkAuth
	return v
}

// openTokens opens the store of OAuth tokens: the secrets store of setup
// (the OS keyring where one answers, else the 0600 file), under the
// service oauth.SecretService. Tests replace it.
var openTokens = func() (oauth.TokenStore, secret.Choice, error) {
	s, choice, err := openSecrets()
	if err != nil {
		return nil, choice, err
	}
	return oauth.SecretStore{Secrets: s}, choice, nil
}

// signInPoll is how often a parked account re-reads the token store for
// the tokens of a new login (local reads only). Tests shorten it.
var signInPoll = oauth.DefaultPoll

// credentials returns what authorizes the account's EAS requests: Basic
// with the password (added to red), or Bearer with the account's OAuth
// tokens. In the daemon (a.park) a sign-in the identity provider refuses
// parks the account until `easbridge login NAME`; elsewhere the command
// fails with the refusal.
func (a *accountConfig) credentials(ctx context.Context, log *slog.Logger, red *logx.Redactor) (eas.Credentials, error) {
	if a.Auth != authOAuth2 {
		pw, err := a.password(ctx)
		if err != nil {
			return nil, err
		}
		red.Add(pw)
		return eas.Basic{User: a.Username, Password: pw}, nil
	}
	store, choice, err := openTokens()
	if err != nil {
		return nil, fmt.Errorf("account %q: opening the token store: %w", a.Name, err)
	}
	log.Debug("oauth token store", "account", a.Name, "backend", string(choice.Backend))
	src := oauth.NewSource(a.oauthConfig(log), store, a.Name)
	if !a.park {
		return eas.Bearer{Source: src}, nil
	}
	name := a.Name
	return eas.Bearer{Source: &oauth.Parking{
		Source: src, Poll: signInPoll,
		OnRefused: func(e *oauth.Error) {
			log.Error("sign-in refused, account waits for easbridge login", "account", name,
				"aadsts", e.AADSTS, "code", e.Code, "correlation_id", e.CorrelationID, "err", e.Error())
		},
		OnResumed: func() { log.Info("new sign-in found, account resumes", "account", name) },
	}}, nil
}

// newDeviceID derives the account's EAS DeviceId from the machine's id
// and key (the account's name and state directory), so that it stays the
// same on this machine even when the state directory is lost: every new
// DeviceId costs the user one of the mailbox's device partnerships. Two
// configurations of one mailbox on one machine differ by their state
// directories, so they do not share (and corrupt) one partnership.
// Without a machine id it is random. Either way deviceID keeps it.
func newDeviceID(key string) (string, error) {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil {
			if m := strings.TrimSpace(string(b)); m != "" {
				sum := sha256.Sum256([]byte("easbridge device id\x00" + m + "\x00" + key))
				return "EB" + strings.ToUpper(hex.EncodeToString(sum[:12])), nil
			}
		}
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "EB" + strings.ToUpper(hex.EncodeToString(b[:])), nil
}

// signInStatus is an OAuth account's sign-in in `easbridge status`, read
// from the token store without contacting anyone.
type signInStatus struct {
	// State is "signed-in", "refused" (waits for `easbridge login`),
	// "not-signed-in" or "unknown" (the store could not be read).
	State string `json:"state"`
	// Expiry of the saved access token; it is renewed before then.
	Expiry *time.Time `json:"access_token_expiry,omitempty"`
	// AADSTS is Microsoft Entra ID's error number of a refusal.
	AADSTS int    `json:"aadsts,omitempty"`
	Error  string `json:"error,omitempty"`
	// Store is where the tokens are: "keyring" or "file".
	Store string `json:"store,omitempty"`
}

// readSignIn reports the account's sign-in; nil for password accounts.
func readSignIn(ac accountConfig) *signInStatus {
	if ac.Auth != authOAuth2 {
		return nil
	}
	store, choice, err := openTokens()
	if err != nil {
		return &signInStatus{State: "unknown", Error: err.Error()}
	}
	s := &signInStatus{Store: string(choice.Backend)}
	t, err := store.Load(ac.Name)
	switch {
	case errors.Is(err, oauth.ErrNoToken):
		s.State, s.Error = "not-signed-in", fmt.Sprintf("not signed in: run `easbridge login %s`", ac.Name)
	case err != nil:
		s.State, s.Error = "unknown", err.Error()
	case t.Refused != nil:
		s.State, s.AADSTS, s.Error = "refused", t.Refused.AADSTS, t.Refused.Err(ac.Name).Error()
	default:
		s.State, s.Expiry = "signed-in", &t.Expiry
	}
	return s
}

// String is the status line.
func (s *signInStatus) String() string {
	if s.State == "signed-in" {
		return fmt.Sprintf("Microsoft 365, signed in (tokens in the %s; access token renewed before %s)", s.Store, s.Expiry.Local().Format("2006-01-02 15:04"))
	}
	return s.Error
}
