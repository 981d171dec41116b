package eas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

const adSettings = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
  <Culture>en:us</Culture>
  <User><DisplayName>User One</DisplayName><EMailAddress>%s</EMailAddress></User>
  <Action><Settings><Server><Type>MobileSync</Type><Url>https://eas.example.test/Microsoft-Server-ActiveSync</Url><Name>https://eas.example.test/Microsoft-Server-ActiveSync</Name></Server></Settings></Action>
 </Response>
</Autodiscover>`

const adRedirect = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
  <Action><Redirect>%s</Redirect></Action>
 </Response>
</Autodiscover>`

const adRedirectURL = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
  <Account><Action>redirectUrl</Action><RedirectUrl>%s</RedirectUrl></Account>
 </Response>
</Autodiscover>`

const adErrorDoc = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response><Error Time="10:00:00" Id="1"><ErrorCode>600</ErrorCode><Message>Invalid Request</Message></Error></Response>
</Autodiscover>`

func TestAutodiscover(t *testing.T) {
	var srv *httptest.Server
	var loops atomic.Int32
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || !strings.Contains(string(body), "mobilesync/requestschema/2006") {
			t.Errorf("bad request %s %s", r.Method, body)
		}
		if u, p, _ := r.BasicAuth(); u != "user1@example.test" || p != "pw" {
			w.WriteHeader(401)
			return
		}
		addr := between(string(body), "<EMailAddress>", "</EMailAddress>")
		w.Header().Set("Content-Type", "text/xml")
		switch {
		case strings.HasPrefix(r.URL.Path, "/fail/"):
			w.WriteHeader(404)
		case strings.HasPrefix(r.URL.Path, "/moved/"):
			http.Redirect(w, r, srv.URL+"/ok/autodiscover/autodiscover.xml", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/redir/"):
			fmt.Fprintf(w, adRedirect, "user1@ok.test")
		case strings.HasPrefix(r.URL.Path, "/redirurl/"):
			fmt.Fprintf(w, adRedirectURL, srv.URL+"/ok/autodiscover/autodiscover.xml")
		case strings.HasPrefix(r.URL.Path, "/loop/"):
			fmt.Fprintf(w, adRedirect, fmt.Sprintf("user1@loop%d.test", loops.Add(1)))
		case strings.HasPrefix(r.URL.Path, "/error/"):
			fmt.Fprint(w, adErrorDoc)
		default:
			fmt.Fprintf(w, adSettings, addr)
		}
	}))
	srv.Config.ErrorLog = quietLog()
	defer srv.Close()
	cands := func(domain string) []string {
		kind, _, _ := strings.Cut(domain, ".")
		kind = strings.TrimRight(kind, "0123456789")
		return []string{srv.URL + "/fail/autodiscover/autodiscover.xml", srv.URL + "/" + kind + "/autodiscover/autodiscover.xml"}
	}
	tests := []struct {
		domain string
		want   string
		err    string
	}{
		{"ok.test", "https://eas.example.test/Microsoft-Server-ActiveSync", ""},
		{"moved.test", "https://eas.example.test/Microsoft-Server-ActiveSync", ""},
		{"redir.test", "https://eas.example.test/Microsoft-Server-ActiveSync", ""},
		{"redirurl.test", "https://eas.example.test/Microsoft-Server-ActiveSync", ""},
		{"loop.test", "", "eas: autodiscover found no ActiveSync server for this address: too many redirects"},
		{"error.test", "", "eas: autodiscover found no ActiveSync server for this address (eas: autodiscover error 600: Invalid Request)"},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			a := &Autodiscover{Credentials: Basic{"user1@example.test", "pw"}, HTTPClient: srv.Client(), Candidates: cands, MaxRedirects: 4}
			res, err := a.Discover(context.Background(), "user1@"+tt.domain)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err || !errors.Is(err, ErrAutodiscover) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.URL != tt.want || res.DisplayName != "User One" {
				t.Errorf("%+v", res)
			}
		})
	}
	// The default client does not trust the test certificate.
	a := &Autodiscover{Credentials: Basic{"user1@example.test", "pw"}, Candidates: func(string) []string { return []string{srv.URL + "/ok/x"} }}
	_, err := a.Discover(context.Background(), "user1@ok.test")
	if !errors.Is(err, ErrTLS) || !errors.Is(err, ErrAutodiscover) {
		t.Errorf("untrusted: %v", err)
	}
	if _, err := a.Discover(context.Background(), "not-an-address"); err == nil {
		t.Error("bad address accepted")
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}
