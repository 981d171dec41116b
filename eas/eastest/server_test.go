package eastest

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestOptionsAndAuth(t *testing.T) {
	_, ts := newTestServer(t, Config{Versions: []string{"14.1", "16.1"}})
	c := newClient(t, ts)
	resp, _ := c.raw(http.MethodOptions, "", "", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("OPTIONS: HTTP %d", resp.StatusCode)
	}
	if got := resp.Header.Get("MS-ASProtocolVersions"); got != "14.1,16.1" {
		t.Errorf("versions = %q", got)
	}
	if got := resp.Header.Get("MS-ASProtocolCommands"); !strings.Contains(got, "Sync") || !strings.Contains(got, "Ping") {
		t.Errorf("commands = %q", got)
	}
	c.pass = "wrong"
	resp, _ = c.raw(http.MethodOptions, "", "", nil, "")
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("wrong password: HTTP %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	c.pass = "secret"
	c.version = "12.0"
	if _, st := c.try("FolderSync", box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0"))); st != 400 {
		t.Errorf("unsupported version: HTTP %d, want 400", st)
	}
}

func TestBearerAuth(t *testing.T) {
	_, ts := newTestServer(t, Config{Bearer: func(tok string) (string, bool) { return "bob", tok == "tok-1" }})
	c := newClient(t, ts)
	c.header = http.Header{"Authorization": {"Bearer tok-1"}}
	c.user, c.pass = "", ""
	resp, _ := c.raw(http.MethodOptions, "", "", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("valid token: HTTP %d", resp.StatusCode)
	}
	c.header = http.Header{"Authorization": {"Bearer nope"}}
	if resp, _ := c.raw(http.MethodOptions, "", "", nil, ""); resp.StatusCode != 401 {
		t.Fatalf("bad token: HTTP %d", resp.StatusCode)
	}
}

func TestBase64Query(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	// MS-ASHTTP 2.2.1.1.1.1: version 141, FolderSync (9), locale, DeviceId,
	// no policy key, DeviceType.
	raw := []byte{141, 9, 0x09, 0x04, 4, 'd', 'e', 'v', '9', 0, 4, 't', 'e', 's', 't'}
	body, _ := encode(box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0")))
	c.version = ""
	resp, b := c.raw(http.MethodPost, "FolderSync", "application/vnd.ms-sync.wbxml", body,
		base64.StdEncoding.EncodeToString(raw))
	if resp.StatusCode != 200 || len(b) == 0 {
		t.Fatalf("base64 FolderSync: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}
}

func provisionReq(key, status string) *wbxml.Node {
	pol := box(wbxml.ProvisionPolicy, el(wbxml.ProvisionPolicyType, policyTypeWBXML))
	if key != "" {
		add(pol, el(wbxml.ProvisionPolicyKey, key), el(wbxml.ProvisionStatus, status))
	}
	return box(wbxml.ProvisionProvision, box(wbxml.ProvisionPolicies, pol))
}

func TestProvisionTwoPhases(t *testing.T) {
	policy := &Policy{Settings: []PolicySetting{{"DevicePasswordEnabled", "1"}, {"MinDevicePasswordLength", "4"}}}
	srv, ts := newTestServer(t, Config{Policy: policy})
	c := newClient(t, ts)
	fs := box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0"))
	if _, st := c.try("FolderSync", fs); st != 449 {
		t.Fatalf("FolderSync without policy key: HTTP %d, want 449", st)
	}
	r1 := c.do("Provision", provisionReq("", ""))
	pol := path(r1, wbxml.ProvisionPolicies, wbxml.ProvisionPolicy)
	temp := mustText(t, pol, wbxml.ProvisionPolicyKey)
	if got := mustText(t, pol, wbxml.ProvisionData, wbxml.ProvisionEASProvisionDoc, wbxml.ProvisionMinDevicePasswordLength); got != "4" {
		t.Errorf("MinDevicePasswordLength = %q", got)
	}
	c.policyKey = temp
	if _, st := c.try("FolderSync", fs); st != 449 {
		t.Errorf("FolderSync with the temporary key: HTTP %d, want 449", st)
	}
	r := c.do("Provision", provisionReq("12345", "1"))
	if got := mustText(t, r, wbxml.ProvisionPolicies, wbxml.ProvisionPolicy, wbxml.ProvisionStatus); got != "5" {
		t.Errorf("acknowledging a wrong key: policy status %s, want 5", got)
	}
	r2 := c.do("Provision", provisionReq(temp, "1"))
	final := mustText(t, r2, wbxml.ProvisionPolicies, wbxml.ProvisionPolicy, wbxml.ProvisionPolicyKey)
	if final == temp || final != srv.PolicyKey("alice", "dev1") {
		t.Fatalf("final key %q (temporary %q, server %q)", final, temp, srv.PolicyKey("alice", "dev1"))
	}
	c.policyKey = final
	c.do("FolderSync", fs)
	srv.InvalidatePolicy("alice", "dev1")
	if _, st := c.try("FolderSync", fs); st != 449 {
		t.Errorf("stale key: HTTP %d, want 449", st)
	}
}

func TestProvisionStatusInBody(t *testing.T) {
	_, ts := newTestServer(t, Config{Policy: &Policy{}, PolicyStatusInBody: true})
	c := newClient(t, ts)
	r := c.do("FolderSync", box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0")))
	if got := mustText(t, r, wbxml.FolderHierarchyStatus); got != "142" {
		t.Errorf("missing key in 14.1: status %s, want 142", got)
	}
	c.policyKey = "99"
	r = c.do("FolderSync", box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0")))
	if got := mustText(t, r, wbxml.FolderHierarchyStatus); got != "144" {
		t.Errorf("stale key in 14.1: status %s, want 144", got)
	}
}

func TestNoPolicy(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	r := c.do("Provision", provisionReq("", ""))
	if got := mustText(t, r, wbxml.ProvisionPolicies, wbxml.ProvisionPolicy, wbxml.ProvisionStatus); got != "2" {
		t.Errorf("policy status %s, want 2 (no policy)", got)
	}
}

func TestRemoteWipe(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	c.folderSync("0")
	if err := srv.RequestWipe("alice", "dev1"); err != nil {
		t.Fatal(err)
	}
	if _, st := c.try("FolderSync", box(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchySyncKey, "0"))); st != 449 {
		t.Fatalf("wipe pending: HTTP %d, want 449", st)
	}
	r := c.do("Provision", provisionReq("", ""))
	if !has(r, wbxml.ProvisionRemoteWipe) {
		t.Fatalf("no RemoteWipe in %s", r.XML())
	}
	if srv.WipeAcknowledged("alice", "dev1") {
		t.Fatal("acknowledged before the client said so")
	}
	c.do("Provision", box(wbxml.ProvisionProvision, box(wbxml.ProvisionRemoteWipe, el(wbxml.ProvisionStatus, "1"))))
	if !srv.WipeAcknowledged("alice", "dev1") {
		t.Fatal("wipe not acknowledged")
	}
}

func TestSettings(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	r := c.do("Settings", box(wbxml.SettingsSettings,
		box(wbxml.SettingsDeviceInformation, box(wbxml.SettingsSet, el(wbxml.SettingsModel, "TestPhone"))),
		box(wbxml.SettingsUserInformation, el(wbxml.SettingsGet, ""))))
	got := mustText(t, r, wbxml.SettingsUserInformation, wbxml.SettingsGet, wbxml.SettingsAccounts,
		wbxml.SettingsAccount, wbxml.SettingsEmailAddresses, wbxml.SettingsPrimarySmtpAddress)
	if got != "alice@example.test" {
		t.Errorf("PrimarySmtpAddress = %q", got)
	}
	if !strings.Contains(srv.DeviceInformation("alice", "dev1"), "TestPhone") {
		t.Errorf("device information not kept: %q", srv.DeviceInformation("alice", "dev1"))
	}
	c.version = "14.0"
	r = c.do("Settings", box(wbxml.SettingsSettings, box(wbxml.SettingsUserInformation, el(wbxml.SettingsGet, ""))))
	if got := mustText(t, r, wbxml.SettingsUserInformation, wbxml.SettingsGet, wbxml.SettingsEmailAddresses, wbxml.SettingsSMTPAddress); got != "alice@example.test" {
		t.Errorf("14.0 SMTPAddress = %q", got)
	}
}

func TestFolderHierarchy(t *testing.T) {
	srv, ts := newTestServer(t, Config{})
	c := newClient(t, ts)
	r := c.folderSync("0")
	k1 := mustText(t, r, wbxml.FolderHierarchySyncKey)
	if n := len(all(child(r, wbxml.FolderHierarchyChanges), wbxml.FolderHierarchyAdd)); n != len(defaultFolders) {
		t.Fatalf("%d folders, want %d", n, len(defaultFolders))
	}
	if got := mustText(t, c.folderSync("bogus"), wbxml.FolderHierarchyStatus); got != "9" {
		t.Errorf("bogus key: status %s, want 9", got)
	}
	// no changes: same key, nothing listed
	if got := mustText(t, c.folderSync(k1), wbxml.FolderHierarchySyncKey); got != k1 {
		t.Errorf("no-change FolderSync key %q, want %q", got, k1)
	}
	cr := c.do("FolderCreate", box(wbxml.FolderHierarchyFolderCreate, el(wbxml.FolderHierarchySyncKey, k1),
		el(wbxml.FolderHierarchyParentId, "0"), el(wbxml.FolderHierarchyDisplayName, "Projects"), num(wbxml.FolderHierarchyType, TypeUserMail)))
	newID := mustText(t, cr, wbxml.FolderHierarchyServerId)
	k2 := mustText(t, cr, wbxml.FolderHierarchySyncKey)
	dup := c.do("FolderCreate", box(wbxml.FolderHierarchyFolderCreate, el(wbxml.FolderHierarchySyncKey, k2),
		el(wbxml.FolderHierarchyParentId, "0"), el(wbxml.FolderHierarchyDisplayName, "Projects"), num(wbxml.FolderHierarchyType, TypeUserMail)))
	if got := mustText(t, dup, wbxml.FolderHierarchyStatus); got != "2" {
		t.Errorf("duplicate name: status %s, want 2", got)
	}
	up := c.do("FolderUpdate", box(wbxml.FolderHierarchyFolderUpdate, el(wbxml.FolderHierarchySyncKey, k2),
		el(wbxml.FolderHierarchyServerId, newID), el(wbxml.FolderHierarchyParentId, "0"), el(wbxml.FolderHierarchyDisplayName, "Archive")))
	k3 := mustText(t, up, wbxml.FolderHierarchySyncKey)
	inbox := srv.FolderID("alice", TypeInbox)
	del := c.do("FolderDelete", box(wbxml.FolderHierarchyFolderDelete, el(wbxml.FolderHierarchySyncKey, k3), el(wbxml.FolderHierarchyServerId, inbox)))
	if got := mustText(t, del, wbxml.FolderHierarchyStatus); got != "3" {
		t.Errorf("deleting the Inbox: status %s, want 3", got)
	}
	// a change made elsewhere shows up; the client's own do not
	other, err := srv.AddFolder("alice", "0", "Shared", TypeUserCalendar)
	if err != nil {
		t.Fatal(err)
	}
	r = c.folderSync(k3)
	adds := all(child(r, wbxml.FolderHierarchyChanges), wbxml.FolderHierarchyAdd)
	if len(adds) != 1 || text(adds[0], wbxml.FolderHierarchyServerId) != other {
		t.Fatalf("changes after AddFolder: %s", r.XML())
	}
	k4 := mustText(t, r, wbxml.FolderHierarchySyncKey)
	// retry with the previous key: the same answer
	if again := c.folderSync(k3); again.XML() != r.XML() {
		t.Errorf("retry differs:\n%s\n%s", again.XML(), r.XML())
	}
	if err := srv.RenameFolder("alice", other, "0", "Team"); err != nil {
		t.Fatal(err)
	}
	r = c.folderSync(k4)
	if up := path(r, wbxml.FolderHierarchyChanges, wbxml.FolderHierarchyUpdate); text(up, wbxml.FolderHierarchyDisplayName) != "Team" {
		t.Fatalf("rename: %s", r.XML())
	}
	k4 = mustText(t, r, wbxml.FolderHierarchySyncKey)
	del = c.do("FolderDelete", box(wbxml.FolderHierarchyFolderDelete, el(wbxml.FolderHierarchySyncKey, k4), el(wbxml.FolderHierarchyServerId, newID)))
	if got := mustText(t, del, wbxml.FolderHierarchyStatus); got != "1" {
		t.Fatalf("FolderDelete status %s", got)
	}
	ids := []string{}
	for _, f := range srv.Folders("alice") {
		ids = append(ids, f.ID)
	}
	if slices.Contains(ids, newID) {
		t.Errorf("deleted folder still listed: %v", ids)
	}
}
