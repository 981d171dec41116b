package oauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of the Microsoft identity platform.
const (
	// DefaultAuthority is the Microsoft Entra ID sign-in host of the
	// global cloud.
	DefaultAuthority = "https://login.microsoftonline.com"
	// DefaultTenant lets work, school and personal accounts sign in; the
	// token's issuer is then the user's own tenant.
	DefaultTenant = "common"
	// DefaultClientID is empty on purpose: see the package documentation.
	DefaultClientID = ""
	// ScopeEAS is the delegated permission of Exchange Online for
	// ActiveSync.
	ScopeEAS = "https://outlook.office.com/EAS.AccessAsUser.All"
	// ScopeOfflineAccess asks for a refresh token.
	ScopeOfflineAccess = "offline_access"
)

// DefaultScopes are the scopes requested when Config.Scopes is empty.
var DefaultScopes = []string{ScopeEAS, ScopeOfflineAccess}

// ErrNoClientID: the configuration names no application (client id).
var ErrNoClientID = errors.New("oauth: no client id configured: register easbridge as a public client application in Microsoft Entra ID and set its Application (client) ID in the account's configuration")

// Config says which application signs in to which tenant, and where.
type Config struct {
	// ClientID is the Application (client) ID of a public client
	// registration. Required.
	ClientID string
	// Tenant is "common", "organizations", a tenant id (GUID) or a
	// verified domain such as contoso.onmicrosoft.com; default "common".
	Tenant string
	// Authority is the sign-in base URL; default DefaultAuthority. Tests
	// point it at a fake identity provider; national clouds have their
	// own host.
	Authority string
	// Scopes to request; default DefaultScopes.
	Scopes []string
	// LoginHint pre-fills the account (the e-mail address) on the sign-in
	// page, if set.
	LoginHint string
	// HTTPClient sends the token requests; default a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// Logger receives records without secrets; default discards them.
	Logger *slog.Logger
}

// Validate reports a configuration that cannot work.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.ClientID) == "" {
		return ErrNoClientID
	}
	if t := c.tenant(); !validTenant(t) {
		return fmt.Errorf("oauth: tenant %q is not common, organizations, a tenant id or a domain", t)
	}
	u, err := url.Parse(c.authority())
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("oauth: authority %q is not an http(s) URL", c.authority())
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("oauth: authority %q must use https", c.authority())
	}
	return nil
}

func (c *Config) tenant() string {
	if c.Tenant == "" {
		return DefaultTenant
	}
	return c.Tenant
}

func (c *Config) authority() string {
	if c.Authority == "" {
		return DefaultAuthority
	}
	return strings.TrimRight(c.Authority, "/")
}

// endpoint returns the v2.0 endpoint URL: "authorize", "token" or
// "devicecode".
func (c *Config) endpoint(name string) string {
	return c.authority() + "/" + url.PathEscape(c.tenant()) + "/oauth2/v2.0/" + name
}

// AuthorizeURL, TokenURL and DeviceCodeURL return the v2.0 endpoints for
// the configured tenant.
func (c *Config) AuthorizeURL() string { return c.endpoint("authorize") }

// TokenURL returns the token endpoint.
func (c *Config) TokenURL() string { return c.endpoint("token") }

// DeviceCodeURL returns the device authorization endpoint.
func (c *Config) DeviceCodeURL() string { return c.endpoint("devicecode") }

func (c *Config) scope() string {
	if len(c.Scopes) == 0 {
		return strings.Join(DefaultScopes, " ")
	}
	return strings.Join(c.Scopes, " ")
}

func (c *Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// validTenant accepts the names and GUIDs or domain names of tenants: a
// tenant goes into the URL path, so nothing else may pass.
func validTenant(t string) bool {
	if t == "" || len(t) > 253 {
		return false
	}
	for _, r := range t {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.'
		if !ok {
			return false
		}
	}
	return t[0] != '.' && t[0] != '-'
}

func isLoopbackHost(h string) bool {
	return h == "127.0.0.1" || h == "::1" || h == "localhost"
}
