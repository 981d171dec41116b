package eas

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

// provisionHandler answers both phases: phase 1 hands out a policy with
// the temporary key "temp1", phase 2 acknowledges it with finalKey.
func provisionHandler(t testing.TB, finalKey string, encryption bool) handler {
	return func(w http.ResponseWriter, r *fakeReq) {
		pol := child(r.Body, wbxml.ProvisionPolicy)
		if pol == nil || text(pol, wbxml.ProvisionPolicyType) != policyTypeWBXML {
			t.Errorf("provision request without policy type")
		}
		if key := text(pol, wbxml.ProvisionPolicyKey); key == "" {
			enc := "0"
			if encryption {
				enc = "1"
			}
			writeNode(w, el(wbxml.ProvisionProvision,
				el(wbxml.ProvisionStatus, "1"),
				el(wbxml.ProvisionPolicies, el(wbxml.ProvisionPolicy,
					el(wbxml.ProvisionPolicyType, policyTypeWBXML),
					el(wbxml.ProvisionStatus, "1"),
					el(wbxml.ProvisionPolicyKey, "temp1"),
					el(wbxml.ProvisionData, el(wbxml.ProvisionEASProvisionDoc,
						el(wbxml.ProvisionDevicePasswordEnabled, "1"),
						el(wbxml.ProvisionMinDevicePasswordLength, "6"),
						el(wbxml.ProvisionRequireDeviceEncryption, enc),
						el(wbxml.ProvisionMaxAttachmentSize, "10485760"),
						el(wbxml.ProvisionUnapprovedInROMApplicationList,
							el(wbxml.ProvisionApplicationName, "a"), el(wbxml.ProvisionApplicationName, "b")),
					)),
				))))
			return
		} else if key != "temp1" || text(pol, wbxml.ProvisionStatus) != "1" {
			t.Errorf("phase 2 key %q status %q", key, text(pol, wbxml.ProvisionStatus))
		}
		writeNode(w, el(wbxml.ProvisionProvision,
			el(wbxml.ProvisionStatus, "1"),
			el(wbxml.ProvisionPolicies, el(wbxml.ProvisionPolicy,
				el(wbxml.ProvisionPolicyType, policyTypeWBXML),
				el(wbxml.ProvisionStatus, "1"),
				el(wbxml.ProvisionPolicyKey, finalKey)))))
	}
}

func TestProvisionOn449(t *testing.T) {
	f := newFake(t)
	f.policyKey = "4242"
	f.on("Provision", provisionHandler(t, "4242", false))
	f.on("FolderSync", reply(el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, "1"), el(wbxml.FolderHierarchySyncKey, "k1"))))
	var seen *Policy
	var persisted string
	c := newTestClient(t, f, func(c *Config) {
		c.AcceptPolicy = func(_ context.Context, p *Policy) error { seen = p; return nil }
		c.OnPolicyKey = func(k string) { persisted = k }
		c.DeviceInformation = &DeviceInformation{Model: "bridge", FriendlyName: "test"}
	})
	if _, err := c.FolderSync(context.Background(), "0"); err != nil {
		t.Fatal(err)
	}
	if c.PolicyKey() != "4242" || persisted != "4242" {
		t.Errorf("policy key %q persisted %q", c.PolicyKey(), persisted)
	}
	if seen == nil || !seen.DevicePasswordEnabled || seen.MinDevicePasswordLength != 6 || seen.MaxAttachmentSize != 10485760 || seen.RequireDeviceEncryption {
		t.Fatalf("policy = %+v", seen)
	}
	if len(seen.Settings) != 5 || seen.Settings[4] != (PolicySetting{"UnapprovedInROMApplicationList", "a,b"}) {
		t.Errorf("settings = %+v", seen.Settings)
	}
	// FolderSync (449), Provision x2, FolderSync.
	var cmds []string
	for _, r := range f.requests("") {
		cmds = append(cmds, r.Cmd)
	}
	if len(cmds) != 4 || cmds[1] != "Provision" || cmds[2] != "Provision" || cmds[3] != "FolderSync" {
		t.Errorf("commands %v", cmds)
	}
	prov := f.requests("Provision")
	if di := child(prov[0].Body, wbxml.SettingsDeviceInformation); di == nil || text(di, wbxml.SettingsModel) != "bridge" {
		t.Errorf("phase 1 without DeviceInformation")
	}
	if f.requests("FolderSync")[1].Header.Get("X-MS-PolicyKey") != "4242" {
		t.Errorf("retry without the policy key")
	}
}

func TestProvisionOnStatus142(t *testing.T) {
	f := newFake(t)
	f.on("Provision", provisionHandler(t, "77", false))
	n := 0
	f.on("FolderSync", func(w http.ResponseWriter, r *fakeReq) {
		n++
		st := "142"
		if r.Header.Get("X-MS-PolicyKey") == "77" {
			st = "1"
		}
		writeNode(w, el(wbxml.FolderHierarchyFolderSync, el(wbxml.FolderHierarchyStatus, st), el(wbxml.FolderHierarchySyncKey, "k1")))
	})
	c := newTestClient(t, f, nil)
	if _, err := c.FolderSync(context.Background(), "0"); err != nil {
		t.Fatal(err)
	}
	if n != 2 || c.PolicyKey() != "77" {
		t.Errorf("folder syncs %d key %q", n, c.PolicyKey())
	}
}

func TestProvisionNoPolicy(t *testing.T) {
	// SOGo: policy status 2, no key, never a 449.
	f := newFake(t)
	f.on("Provision", reply(el(wbxml.ProvisionProvision, el(wbxml.ProvisionStatus, "1"),
		el(wbxml.ProvisionPolicies, el(wbxml.ProvisionPolicy, el(wbxml.ProvisionPolicyType, policyTypeWBXML), el(wbxml.ProvisionStatus, "2"))))))
	c := newTestClient(t, f, nil)
	p, err := c.Provision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !p.None() || c.PolicyKey() != "" || len(f.requests("Provision")) != 1 {
		t.Errorf("policy %+v key %q", p, c.PolicyKey())
	}
}

func TestRemoteWipeSurfaced(t *testing.T) {
	f := newFake(t)
	f.on("Provision", reply(el(wbxml.ProvisionProvision, el(wbxml.ProvisionStatus, "1"), el(wbxml.ProvisionRemoteWipe))))
	c := newTestClient(t, f, nil)
	_, err := c.Provision(context.Background())
	if !errors.Is(err, ErrRemoteWipe) {
		t.Fatalf("err = %v", err)
	}
	if len(f.requests("Provision")) != 1 {
		t.Errorf("the wipe must not be acknowledged")
	}
}

func TestAcknowledgeWipe(t *testing.T) {
	for _, accountOnly := range []bool{false, true} {
		f := newFake(t)
		tag := wbxml.ProvisionRemoteWipe
		if accountOnly {
			tag = wbxml.ProvisionAccountOnlyRemoteWipe
		}
		f.on("Provision", reply(el(wbxml.ProvisionProvision, el(wbxml.ProvisionStatus, "1"), el(tag))))
		c := newTestClient(t, f, nil)
		if _, err := c.Provision(context.Background()); !errors.Is(err, ErrRemoteWipe) {
			t.Fatalf("accountOnly=%v: Provision err = %v, want the wipe surfaced", accountOnly, err)
		}
		f.on("Provision", reply(el(wbxml.ProvisionProvision, el(wbxml.ProvisionStatus, "1"))))
		if err := c.AcknowledgeWipe(context.Background(), accountOnly); err != nil {
			t.Fatalf("accountOnly=%v: %v", accountOnly, err)
		}
		reqs := f.requests("Provision")
		if len(reqs) != 2 {
			t.Fatalf("%d Provision requests, want 2", len(reqs))
		}
		ack := reqs[1].Body
		if ack == nil || ack.Tag != wbxml.ProvisionProvision || len(ack.Children) != 1 || ack.Children[0].Tag != tag ||
			len(ack.Children[0].Children) != 1 || ack.Children[0].Children[0].Tag != wbxml.ProvisionStatus ||
			string(ack.Children[0].Children[0].Text) != "1" {
			t.Errorf("accountOnly=%v: acknowledgement %s", accountOnly, ack.XML())
		}
	}
	f := newFake(t)
	f.on("Provision", reply(el(wbxml.ProvisionProvision, el(wbxml.ProvisionStatus, "3"))))
	if err := newTestClient(t, f, nil).AcknowledgeWipe(context.Background(), false); err == nil {
		t.Error("a refused acknowledgement (status 3) was taken for done")
	}
}
