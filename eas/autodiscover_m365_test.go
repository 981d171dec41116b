package eas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestIsExchangeOnline(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{ExchangeOnlineURL, true},
		{"https://outlook.office.com/Microsoft-Server-ActiveSync", true},
		{"https://autodiscover-s.outlook.com/autodiscover/autodiscover.xml", true},
		{"autodiscover.outlook.com", true},
		{"OUTLOOK.OFFICE365.COM.", true},
		{"https://mail.contoso.com/Microsoft-Server-ActiveSync", false},
		{"https://outlook.office365.com.evil.example/x", false},
		{"https://notoutlook.com/", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsExchangeOnline(tt.in); got != tt.want {
			t.Errorf("IsExchangeOnline(%q) = %v", tt.in, got)
		}
	}
}

// onlyLoopback fails every request that does not go to the test server,
// so a test can prove that a redirect to Microsoft was not followed.
type onlyLoopback struct {
	host    string
	mu      sync.Mutex
	foreign []string
}

func (o *onlyLoopback) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != o.host {
		o.mu.Lock()
		o.foreign = append(o.foreign, r.URL.String())
		o.mu.Unlock()
		return nil, fmt.Errorf("test: no network to %s", r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// m365Discover returns an Autodiscover whose two candidates are paths /a/
// and /b/ of a loopback server answering with h, the transport that
// refuses every other host, and the server's request count.
func m365Discover(t *testing.T, h http.HandlerFunc) (*Autodiscover, *onlyLoopback, *int) {
	t.Helper()
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	rt := &onlyLoopback{host: u.Host}
	return &Autodiscover{
		HTTPClient: &http.Client{Transport: rt},
		Candidates: func(domain string) []string {
			return []string{srv.URL + "/a/" + domain, srv.URL + "/b/" + domain}
		},
	}, rt, &n
}

func TestAutodiscoverExchangeOnline(t *testing.T) {
	const entra = `Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserting_user", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"`
	tests := []struct {
		name     string
		email    string
		h        http.HandlerFunc
		url      string // "" expects ErrAutodiscover
		online   bool
		assumed  bool
		requests int // -1: any
	}{
		{"onmicrosoft.com address", "alice@contoso.onmicrosoft.com", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) },
			ExchangeOnlineURL, true, true, 0},
		{"HTTP redirect to autodiscover-s.outlook.com", "alice@contoso.example", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://autodiscover-s.outlook.com/autodiscover/autodiscover.xml", http.StatusFound)
		}, ExchangeOnlineURL, true, true, 1},
		{"redirectUrl to Exchange Online", "alice@contoso.example", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, adRedirectURL, "https://autodiscover-s.outlook.com/autodiscover/autodiscover.xml")
		}, ExchangeOnlineURL, true, true, 1},
		{"401 asking for an Entra ID token", "alice@contoso.example", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("WWW-Authenticate", entra)
			w.Header().Add("WWW-Authenticate", `Basic Realm=""`)
			w.WriteHeader(401)
		}, ExchangeOnlineURL, true, true, 2},
		{"Entra challenge first, on-premises answer second", "alice@contoso.example", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/a/") {
				w.Header().Set("WWW-Authenticate", entra)
				w.WriteHeader(401)
				return
			}
			fmt.Fprintf(w, adSettings, "alice@contoso.example")
		}, "https://eas.example.test/Microsoft-Server-ActiveSync", false, false, 2},
		{"answer naming Exchange Online", "alice@contoso.example", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Replace(fmt.Sprintf(adSettings, "alice@contoso.example"), "https://eas.example.test", "https://outlook.office365.com", 2))
		}, ExchangeOnlineURL, true, false, 1},
		{"401 with Basic only stays a failure", "alice@contoso.example", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="mail"`)
			w.WriteHeader(401)
		}, "", false, false, 2},
		{"on-premises redirect is still followed", "alice@contoso.example", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/a/") {
				http.Redirect(w, r, "/c/", http.StatusFound)
				return
			}
			fmt.Fprintf(w, adSettings, "alice@contoso.example")
		}, "https://eas.example.test/Microsoft-Server-ActiveSync", false, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, rt, n := m365Discover(t, tt.h)
			res, err := a.Discover(context.Background(), tt.email)
			if len(rt.foreign) > 0 {
				t.Errorf("requests left the test server: %v", rt.foreign)
			}
			if tt.requests >= 0 && *n != tt.requests {
				t.Errorf("%d requests, want %d", *n, tt.requests)
			}
			if tt.url == "" {
				if !errors.Is(err, ErrAutodiscover) || !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("err %v, res %+v", err, res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.URL != tt.url || res.ExchangeOnline != tt.online || res.Assumed != tt.assumed || res.Email != tt.email {
				t.Errorf("result %+v", res)
			}
		})
	}
}
