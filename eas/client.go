package eas

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Config configures a Client. URL, User, Credentials, DeviceID and
// DeviceType are required.
type Config struct {
	// URL is the ActiveSync endpoint, such as
	// https://mail.example.com/Microsoft-Server-ActiveSync.
	URL string
	// User is the logon name sent in the User query parameter.
	User string
	// Credentials authorize every request: Basic or Bearer.
	Credentials Credentials
	// DeviceID identifies this device to the server (up to 32 letters and
	// digits). It must stay the same for the life of the account: the
	// server keeps sync state and policy per DeviceID.
	DeviceID string
	// DeviceType names the kind of device, such as "easbridge".
	DeviceType string
	// UserAgent is sent as User-Agent; default "easbridge".
	UserAgent string
	// HTTPClient sends the requests; default a client with the default
	// transport. Its Timeout must exceed the longest Ping heartbeat, or be
	// zero: cancel through the context instead.
	HTTPClient *http.Client
	// Logger receives debug and warning records; default discards them.
	Logger *slog.Logger
	// Version forces a protocol version; zero negotiates with OPTIONS.
	Version Version
	// Base64Query sends the command parameters in the base64-encoded form
	// of MS-ASHTTP 2.2.1.1.1.1 instead of the plain query.
	Base64Query bool
	// PolicyKey is the policy key from an earlier Provision, if the caller
	// kept it; "" or "0" means none yet.
	PolicyKey string
	// AcceptPolicy is called when the server demands a security policy
	// during provisioning. Returning an error refuses the policy: the
	// client sends no acknowledgement and the command fails with
	// ErrPolicyRefused. Nil accepts every policy.
	AcceptPolicy func(ctx context.Context, p *Policy) error
	// DeviceInformation is sent with Provision (14.1 and later) and by
	// SetDeviceInformation.
	DeviceInformation *DeviceInformation
	// OnRedirect is called when the server moves the account to a new URL
	// (HTTP 451 with X-MS-Location), so the caller can persist it. The
	// client uses the new URL from then on.
	OnRedirect func(newURL string)
	// OnPolicyKey is called whenever provisioning yields a new policy key,
	// so the caller can persist it.
	OnPolicyKey func(key string)
}

// Client talks to one ActiveSync account. It is safe for concurrent use;
// it keeps only the endpoint URL, the protocol version and the policy key,
// never sync state.
type Client struct {
	cfg Config
	hc  *http.Client
	log *slog.Logger

	mu        sync.Mutex
	url       string
	version   Version
	policyKey string

	provMu sync.Mutex // serialises provisioning
}

// New returns a Client for cfg. It sends no request.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("eas: no server URL configured")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("eas: the server URL %q is not an http(s) URL", cfg.URL)
	}
	if cfg.DeviceID == "" || cfg.DeviceType == "" {
		return nil, errors.New("eas: DeviceID and DeviceType are required")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("eas: no credentials configured")
	}
	if cfg.Version != 0 && !supported(cfg.Version) {
		return nil, fmt.Errorf("eas: protocol version %s is not supported", cfg.Version)
	}
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, log: cfg.Logger, url: cfg.URL, version: cfg.Version}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.UserAgent == "" {
		c.cfg.UserAgent = "easbridge"
	}
	if cfg.PolicyKey != "0" {
		c.policyKey = cfg.PolicyKey
	}
	return c, nil
}

// URL returns the endpoint in use, which a 451 redirect may have changed.
func (c *Client) URL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.url
}

// PolicyKey returns the current policy key ("" if none).
func (c *Client) PolicyKey() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.policyKey
}

// Version returns the protocol version in use, negotiating it with
// OPTIONS first if it is not yet known.
func (c *Client) Version(ctx context.Context) (Version, error) {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	if v != 0 {
		return v, nil
	}
	opts, err := c.Options(ctx)
	if err != nil {
		return 0, err
	}
	v, err = Negotiate(opts.Versions)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.version == 0 {
		c.version = v
	}
	v = c.version
	c.mu.Unlock()
	c.log.Debug("eas version negotiated", "version", v.String())
	return v, nil
}

func (c *Client) setURL(u string) {
	c.mu.Lock()
	c.url = u
	c.mu.Unlock()
	if c.cfg.OnRedirect != nil {
		c.cfg.OnRedirect(u)
	}
}

func (c *Client) setPolicyKey(k string) {
	c.mu.Lock()
	c.policyKey = k
	c.mu.Unlock()
	if c.cfg.OnPolicyKey != nil {
		c.cfg.OnPolicyKey(k)
	}
}

func supported(v Version) bool {
	for _, s := range SupportedVersions {
		if s == v {
			return true
		}
	}
	return false
}

// Negotiate picks the newest version of SupportedVersions that the server
// lists (the MS-ASProtocolVersions header).
func Negotiate(server []Version) (Version, error) {
	for _, v := range SupportedVersions {
		for _, s := range server {
			if s == v {
				return v, nil
			}
		}
	}
	names := make([]string, len(server))
	for i, s := range server {
		names[i] = s.String()
	}
	return 0, fmt.Errorf("eas: the server offers protocol versions %s, none of which this client speaks", strings.Join(names, ", "))
}
