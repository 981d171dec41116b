package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// probeServer is a small hand-written ActiveSync server: it demands
// provisioning (449 until the policy key is sent), and serves Settings,
// FolderSync, Sync with key 0 and GetItemEstimate.
func newProbeServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/Microsoft-Server-ActiveSync", func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "user1" || p != "pass1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("MS-ASProtocolVersions", "12.1,14.0,14.1")
			w.Header().Set("MS-ASProtocolCommands", "Sync,FolderSync,Provision,GetItemEstimate,Settings")
			w.Header().Set("MS-Server-ActiveSync", "14.1")
			return
		}
		cmd := r.URL.Query().Get("Cmd")
		body, err := wbxml.Parse(r.Body)
		if err != nil {
			t.Errorf("%s: %v", cmd, err)
			w.WriteHeader(400)
			return
		}
		if cmd != "Provision" && r.Header.Get("X-MS-PolicyKey") != "1234" {
			w.WriteHeader(449)
			return
		}
		var resp *wbxml.Node
		switch cmd {
		case "Provision":
			pol := find(body, wbxml.ProvisionPolicyKey)
			n := node(wbxml.ProvisionPolicy, node(wbxml.ProvisionPolicyType, "MS-EAS-Provisioning-WBXML"), node(wbxml.ProvisionStatus, "1"))
			if pol == nil {
				n.Children = append(n.Children, node(wbxml.ProvisionPolicyKey, "temp"),
					node(wbxml.ProvisionData, node(wbxml.ProvisionEASProvisionDoc, node(wbxml.ProvisionDevicePasswordEnabled, "1"), node(wbxml.ProvisionMinDevicePasswordLength, "4"))))
			} else {
				n.Children = append(n.Children, node(wbxml.ProvisionPolicyKey, "1234"))
			}
			resp = node(wbxml.ProvisionProvision, node(wbxml.ProvisionStatus, "1"), node(wbxml.ProvisionPolicies, n))
		case "Settings":
			resp = node(wbxml.SettingsSettings, node(wbxml.SettingsStatus, "1"), node(wbxml.SettingsUserInformation, node(wbxml.SettingsStatus, "1"),
				node(wbxml.SettingsGet, node(wbxml.SettingsAccounts, node(wbxml.SettingsAccount, node(wbxml.SettingsUserDisplayName, "User One"),
					node(wbxml.SettingsEmailAddresses, node(wbxml.SettingsPrimarySmtpAddress, "user1@example.test")))))))
		case "FolderSync":
			add := func(id, parent, name, typ string) *wbxml.Node {
				return node(wbxml.FolderHierarchyAdd, node(wbxml.FolderHierarchyServerId, id), node(wbxml.FolderHierarchyParentId, parent),
					node(wbxml.FolderHierarchyDisplayName, name), node(wbxml.FolderHierarchyType, typ))
			}
			resp = node(wbxml.FolderHierarchyFolderSync, node(wbxml.FolderHierarchyStatus, "1"), node(wbxml.FolderHierarchySyncKey, "f1"),
				node(wbxml.FolderHierarchyChanges, add("inbox", "0", "Inbox", "2"), add("sub", "inbox", "Projects", "12"),
					add("deeper", "sub", "Old", "12"), add("cal", "0", "Calendar", "8")))
		case "Sync":
			cols := node(wbxml.AirSyncCollections)
			for _, c := range body.Children[0].Children {
				if k := find(c, wbxml.AirSyncSyncKey); k == nil || string(k.Text) != "0" {
					t.Errorf("probe sent a SyncKey other than 0")
				}
				id := string(find(c, wbxml.AirSyncCollectionId).Text)
				cols.Children = append(cols.Children, node(wbxml.AirSyncCollection, node(wbxml.AirSyncSyncKey, "k-"+id),
					node(wbxml.AirSyncCollectionId, id), node(wbxml.AirSyncStatus, "1")))
			}
			resp = node(wbxml.AirSyncSync, cols)
		case "GetItemEstimate":
			resp = node(wbxml.GetItemEstimateGetItemEstimate)
			for _, c := range find(body, wbxml.GetItemEstimateCollections).Children {
				id := string(find(c, wbxml.GetItemEstimateCollectionId).Text)
				resp.Children = append(resp.Children, node(wbxml.GetItemEstimateResponse, node(wbxml.GetItemEstimateStatus, "1"),
					node(wbxml.GetItemEstimateCollection, node(wbxml.GetItemEstimateCollectionId, id), node(wbxml.GetItemEstimateEstimate, fmt.Sprint(len(id))))))
			}
		default:
			w.WriteHeader(501)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.ms-sync.wbxml")
		if err := resp.Encode(w); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("/autodiscover/autodiscover.xml", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), "user1@example.test") {
			w.WriteHeader(400)
			return
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"><Action><Settings><Server><Type>MobileSync</Type><Url>http://%s/Microsoft-Server-ActiveSync</Url></Server></Settings></Action></Response></Autodiscover>`, r.Host)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func node(t wbxml.Tag, kids ...any) *wbxml.Node {
	n := &wbxml.Node{Tag: t}
	for _, k := range kids {
		switch k := k.(type) {
		case string:
			n.Text = []byte(k)
		case *wbxml.Node:
			n.Children = append(n.Children, k)
		}
	}
	return n
}

func find(n *wbxml.Node, t wbxml.Tag) *wbxml.Node {
	for _, c := range n.Children {
		if c.Tag == t {
			return c
		}
		if f := find(c, t); f != nil {
			return f
		}
	}
	return nil
}

func TestProbe(t *testing.T) {
	srv := newProbeServer(t)
	t.Setenv("EASBRIDGE_PASSWORD", "pass1")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"probe", "--url", srv.URL + "/Microsoft-Server-ActiveSync", "--user", "user1", "--device-id", "probetest"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"Versions:  12.1, 14.0, 14.1 (server reports 14.1)",
		"Using:     14.1",
		"Policy:    key 1234\n  DevicePasswordEnabled = 1\n  MinDevicePasswordLength = 4\n",
		"User:      User One <user1@example.test>",
		"Folders (4):\n  Calendar [calendar] cal (3 items)\n  Inbox [inbox] inbox (5 items)\n    Projects [mail] sub (3 items)\n      Old [mail] deeper (6 items)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestProbeAutodiscover(t *testing.T) {
	srv := newProbeServer(t)
	t.Setenv("EASBRIDGE_PASSWORD", "pass1")
	autodiscoverCandidates = func(string) []string { return []string{srv.URL + "/autodiscover/autodiscover.xml"} }
	defer func() { autodiscoverCandidates = nil }()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"probe", "--email", "user1@example.test", "--user", "user1"}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "Autodiscover: "+srv.URL+"/Microsoft-Server-ActiveSync") {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
}

func TestProbeFailures(t *testing.T) {
	srv := newProbeServer(t)
	tests := []struct {
		name string
		args []string
		pw   string
		code int
		want string
	}{
		{"wrong password", []string{"--url", srv.URL + "/Microsoft-Server-ActiveSync", "--user", "user1"}, "nope", 1,
			"easbridge probe: eas: the server rejected the user name or password (HTTP 401)\n"},
		{"wrong URL", []string{"--url", srv.URL + "/nothing", "--user", "user1"}, "pass1", 1,
			"easbridge probe: eas: no ActiveSync server answers at this URL (HTTP 404)\n"},
		{"bad version", []string{"--url", srv.URL, "--user", "user1", "--version", "x"}, "pass1", 1,
			"easbridge probe: eas: malformed protocol version \"x\"\n"},
		{"no url", []string{"--user", "user1"}, "pass1", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("EASBRIDGE_PASSWORD", tt.pw)
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"probe"}, tt.args...), &out, &errb)
			if code != tt.code || (tt.want != "" && errb.String() != tt.want) {
				t.Errorf("exit %d, stderr %q", code, errb.String())
			}
		})
	}
}

func TestDefaultDeviceID(t *testing.T) {
	a, b := defaultDeviceID("user1"), defaultDeviceID("USER1")
	if a != b || len(a) != 32 || a == defaultDeviceID("user2") {
		t.Errorf("device ids %q %q", a, b)
	}
	for _, r := range a {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			t.Errorf("device id %q has %q", a, r)
		}
	}
}
