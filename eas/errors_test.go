package eas

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// TestUserFacingErrors checks the one sentence a user reads for each
// failure they can meet, against real HTTP servers.
func TestUserFacingErrors(t *testing.T) {
	status := func(code int, hdr ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(hdr); i += 2 {
				w.Header().Set(hdr[i], hdr[i+1])
			}
			w.WriteHeader(code)
		}
	}
	html := func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("MS-ASProtocolVersions", "14.1")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body>Please log in</body></html>")
	}
	htmlAsWBXML := func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("MS-ASProtocolVersions", "14.1")
			return
		}
		w.Header().Set("Content-Type", contentTypeWBXML)
		fmt.Fprint(w, "<html><body>Please log in</body></html>")
	}
	notEAS := func(w http.ResponseWriter, r *http.Request) {}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		tls     bool
		refused bool
		policy  bool
		want    string
		is      error
	}{
		{name: "wrong password", handler: status(401), want: "eas: the server rejected the user name or password (HTTP 401)", is: ErrUnauthorized},
		{name: "forbidden", handler: status(403), want: "eas: the server refused access to ActiveSync for this account or device (HTTP 403)", is: ErrForbidden},
		{name: "wrong URL", handler: status(404), want: "eas: no ActiveSync server answers at this URL (HTTP 404)", is: ErrNotFound},
		{name: "not an EAS server", handler: notEAS, want: "eas: HOST answers, but not as an ActiveSync server (no protocol versions in its OPTIONS reply)", is: ErrNotFound},
		{name: "throttled", handler: status(503, "Retry-After", "120", "X-MS-ASThrottle", "CommandFrequency"), want: "eas: the server is throttling requests, retry after 2m0s (CommandFrequency)", is: ErrThrottled},
		{name: "unavailable", handler: status(503, "Retry-After", "30"), want: "eas: the server is temporarily unavailable, retry after 30s", is: ErrUnavailable},
		{name: "server error", handler: status(500), want: "eas: OPTIONS failed: the server answered HTTP 500 Internal Server Error"},
		{name: "HTML page with 200", handler: html, want: "eas: the server answered with text/html instead of ActiveSync WBXML, the URL may lead to a web page", is: ErrNotWBXML},
		{name: "HTML page labelled WBXML", handler: htmlAsWBXML, want: "eas: the server answered FolderSync with something that is not ActiveSync WBXML", is: ErrNotWBXML},
		{name: "TLS untrusted", handler: status(200), tls: true, want: "eas: the TLS certificate of HOST is not trusted", is: ErrTLS},
		{name: "connection refused", refused: true, want: "eas: cannot connect to HOST"},
		{name: "policy refused", policy: true, want: "eas: the server's security policy was refused: device encryption cannot be enforced", is: ErrPolicyRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var url string
			var cfgMod func(*Config)
			switch {
			case tt.refused:
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				url = "http://" + l.Addr().String() + "/Microsoft-Server-ActiveSync"
				l.Close()
			case tt.policy:
				f := newFake(t)
				f.policyKey = "1111"
				f.on("Provision", provisionHandler(t, "1111", true))
				url = f.url()
				cfgMod = func(c *Config) {
					c.AcceptPolicy = func(_ context.Context, p *Policy) error {
						if p.RequireDeviceEncryption {
							return errors.New("device encryption cannot be enforced")
						}
						return nil
					}
				}
			case tt.tls:
				srv := httptest.NewTLSServer(tt.handler)
				srv.Config.ErrorLog = quietLog()
				t.Cleanup(srv.Close)
				url = srv.URL
			default:
				srv := httptest.NewServer(tt.handler)
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			cfg := Config{URL: url, User: "user", Credentials: Basic{"user", "secret"}, DeviceID: "d1", DeviceType: "easbridge"}
			if cfgMod != nil {
				cfgMod(&cfg)
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.FolderSync(context.Background(), "0")
			if err == nil {
				t.Fatal("no error")
			}
			want := strings.ReplaceAll(tt.want, "HOST", strings.TrimPrefix(strings.TrimPrefix(strings.Split(url, "/Microsoft")[0], "https://"), "http://"))
			if err.Error() != want {
				t.Errorf("error:\n got %q\nwant %q", err.Error(), want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestThrottledErrorCarriesDelay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "45")
		w.Header().Set("X-MS-ASThrottle", "Budget")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c, _ := New(Config{URL: srv.URL, Credentials: Basic{}, DeviceID: "d", DeviceType: "t", Version: V141})
	_, err := c.Ping(context.Background(), 0, nil)
	var te *ThrottledError
	if !errors.As(err, &te) || te.RetryAfter.Seconds() != 45 || te.Reason != "Budget" || te.Command != "Ping" {
		t.Fatalf("err = %#v", err)
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		status int
		is     error
		want   string
	}{
		{111, ErrUnavailable, "eas: the server is temporarily unavailable, retry later (server error, retry later)"},
		{126, ErrForbidden, "eas: the server refused access to ActiveSync for this account or device (FolderSync status 126)"},
		{140, ErrRemoteWipe, "eas: the server requested a remote wipe of this device (FolderSync status 140)"},
		{177, ErrTooManyDevices, ErrTooManyDevices.Error() + " (FolderSync status 177)"},
		{110, nil, "eas: FolderSync failed with status 110 (server error)"},
		{9, ErrInvalidSyncKey, "eas: invalid sync key, the collection must be synced again from key 0 (FolderSync status 9)"},
	}
	for _, tt := range tests {
		f := newFake(t)
		f.on("FolderSync", reply(el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, fmt.Sprint(tt.status)))))
		c := newTestClient(t, f, nil)
		_, err := c.FolderSync(context.Background(), "0")
		if err == nil || err.Error() != tt.want || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("status %d: got %v, want %q", tt.status, err, tt.want)
		}
	}
}

// A 401 names what was rejected: the password for Basic, the access
// token (after one refresh) for Bearer.
func TestUnauthorizedNamesCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	tests := []struct {
		name  string
		creds Credentials
		want  string
	}{
		{"basic", Basic{"u", "p"}, "eas: the server rejected the user name or password (HTTP 401)"},
		{"basic pointer", &Basic{"u", "p"}, "eas: the server rejected the user name or password (HTTP 401)"},
		{"bearer", Bearer{Source: &tokenSource{}}, "eas: the server rejected the access token even after a refresh"},
	}
	for _, tt := range tests {
		c, err := New(Config{URL: srv.URL, Credentials: tt.creds, DeviceID: "d", DeviceType: "t", Version: V161})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.FolderSync(context.Background(), "0")
		if !errors.Is(err, ErrUnauthorized) || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "password") != strings.Contains(tt.want, "password") {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
