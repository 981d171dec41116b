package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/oauth"
)

// TestExchangeOnlineRules runs sync --once for a Microsoft 365 account
// against a server that, like Exchange Online, speaks only 16.1, and
// checks what the user reads for throttling and for the device
// partnership limit, on the command line and in status.
func TestExchangeOnlineRules(t *testing.T) {
	tests := []struct {
		name  string
		fault *eastest.Fault
		want  []string // in sync's error and in status's last error
	}{
		{"16.1 negotiated", nil, nil},
		{"throttled", &eastest.Fault{Kind: eastest.FaultHTTP, Status: 503, RetryAfter: 2 * time.Minute, Header: http.Header{"X-Ms-Asthrottle": {"CommandFrequency"}}},
			[]string{"throttling requests, retry after 2m0s (CommandFrequency)"}},
		{"busy", &eastest.Fault{Kind: eastest.FaultHTTP, Status: 503, RetryAfter: 30 * time.Second},
			[]string{"temporarily unavailable, retry after 30s"}},
		{"device limit", &eastest.Fault{Kind: eastest.FaultStatus, Command: "FolderSync", Status: 177},
			[]string{"limit of ActiveSync devices", "Mobile devices", "FolderSync status 177"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			store := useTokenFile(t)
			srv := eastest.New(eastest.Config{Versions: []string{"16.1"}, Bearer: func(tok string) (string, bool) {
				f.mu.Lock()
				defer f.mu.Unlock()
				return "alice@contoso.example", f.access[tok]
			}})
			if err := srv.AddUser(eastest.User{Name: "alice@contoso.example", Email: "alice@contoso.example"}); err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			dir := t.TempDir()
			cfg := writeConfig(t, fmt.Sprintf(`[[account]]
name = "m365"
url = %q
email = "alice@contoso.example"
auth = "oauth2"
client_id = "c1"
authority = %q
state_dir = %q
maildir = %q
`, ts.URL+"/Microsoft-Server-ActiveSync", f.srv.URL, filepath.Join(dir, "state"), filepath.Join(dir, "mail")))
			f.access["at-1"] = true
			store.Save("m365", &oauth.Token{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: time.Now().Add(time.Hour), ClientID: "c1"})
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"--config", cfg, "sync", "--once"}, &out, &errOut)
			if tt.fault == nil {
				if code != 0 {
					t.Fatalf("sync exited %d: %s", code, errOut.String())
				}
				return
			}
			if code != 1 {
				t.Fatalf("sync exited %d: %s", code, errOut.String())
			}
			out.Reset()
			run(context.Background(), []string{"--config", cfg, "status"}, &out, &errOut)
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("sync error lacks %q: %s", w, errOut.String())
				}
				if !strings.Contains(out.String(), "last error: ") || !strings.Contains(out.String(), w) {
					t.Errorf("status lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
