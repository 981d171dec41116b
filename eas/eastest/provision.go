package eastest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// statusRetryWith is HTTP 449, "Retry after sending a Provision command"
// (MS-ASHTTP 2.2.2.1.1).
const statusRetryWith = 449

// policyTypeWBXML is the only PolicyType of protocol 12.0 and later
// (MS-ASPROV 2.2.2.43).
const policyTypeWBXML = "MS-EAS-Provisioning-WBXML"

// Policy is the security policy a Server hands out in Provision.
type Policy struct {
	// Settings are children of EASProvisionDoc (MS-ASPROV 2.2.2.28), by
	// their MS-ASWBXML element names in the Provision code page, such as
	// {"DevicePasswordEnabled", "1"}; an empty Value is sent as an empty
	// element.
	Settings []PolicySetting
}

// PolicySetting is one element of EASProvisionDoc.
type PolicySetting struct {
	Name, Value string
}

// Remote wipe states of a device.
const (
	wipeNone = iota
	wipeRequested
	wipeSent
	wipeDone
)

// device is the server's state for one DeviceId of a user.
type device struct {
	id, typ   string
	policyKey string // acknowledged key; "" when not provisioned
	tempKey   string // key handed out in phase 1
	wipe      int
	info      *wbxml.Node
	hier      hierState
	colls     map[string]*collState
	lastSync  *wbxml.Node     // last non-empty Sync request, for an empty Sync
	pingIDs   []string        // folders of the last Ping
	pingHB    int             // heartbeat of the last Ping
	pingGen   int             // counts Pings, so a newer one ends an older one
	sentIDs   map[string]bool // ClientIds of SendMail & co.
}

// device returns the state of a DeviceId, creating it. Callers hold s.mu.
func (u *user) device(id, typ string) *device {
	d := u.devices[id]
	if d == nil {
		d = &device{id: id, typ: typ, colls: map[string]*collState{}}
		u.devices[id] = d
	}
	return d
}

func newPolicyKey() string { return strconv.FormatUint(uint64(rand.Uint32()|1), 10) }

// RequestWipe marks a device for remote wipe: its next request gets 449
// and the Provision that follows carries RemoteWipe (MS-ASPROV 3.2.5.1.2.2).
func (s *Server) RequestWipe(userName, deviceID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil {
		return fmt.Errorf("eastest: user %q: %w", userName, ErrNotFound)
	}
	u.device(deviceID, "").wipe = wipeRequested
	return nil
}

// WipeAcknowledged reports whether the device acknowledged a remote wipe.
func (s *Server) WipeAcknowledged(userName, deviceID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	return u != nil && u.devices[deviceID] != nil && u.devices[deviceID].wipe == wipeDone
}

// PolicyKey returns the policy key a device acknowledged ("" if none).
func (s *Server) PolicyKey(userName, deviceID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil || u.devices[deviceID] == nil {
		return ""
	}
	return u.devices[deviceID].policyKey
}

// InvalidatePolicy makes a device's policy key stale, as when an
// administrator changes the policy: its next request needs Provision.
func (s *Server) InvalidatePolicy(userName, deviceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.lookupUser(userName); u != nil && u.devices[deviceID] != nil {
		u.devices[deviceID].policyKey = ""
	}
}

// DeviceInformation returns the Settings DeviceInformation a device last
// sent (with Provision or Settings), as XML for test assertions.
func (s *Server) DeviceInformation(userName, deviceID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil || u.devices[deviceID] == nil || u.devices[deviceID].info == nil {
		return ""
	}
	return u.devices[deviceID].info.XML()
}

// checkPolicy returns 0 when the request may proceed, 449 for HTTP 449,
// or an EAS status (142 missing key, 144 stale key, 140 wipe pending).
func (s *Server) checkPolicy(req *request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := req.dev
	inBody := s.cfg.PolicyStatusInBody && req.version >= eas.V140
	if d.wipe == wipeRequested || d.wipe == wipeSent {
		if inBody {
			return 140
		}
		return statusRetryWith
	}
	if s.cfg.Policy == nil {
		return 0
	}
	key := req.q.policyKey
	switch {
	case !req.q.hasPolicyKey || key == "" || key == "0":
		if inBody {
			return 142
		}
		return statusRetryWith
	case key != d.policyKey:
		if inBody {
			return 144
		}
		return statusRetryWith
	}
	return 0
}

// statusRoots maps a command to the root and Status elements of its
// response, for answers that carry nothing but a status.
var statusRoots = map[string][2]wbxml.Tag{
	"Sync":            {wbxml.AirSyncSync, wbxml.AirSyncStatus},
	"FolderSync":      {wbxml.FolderHierarchyFolderSync, wbxml.FolderHierarchyStatus},
	"FolderCreate":    {wbxml.FolderHierarchyFolderCreate, wbxml.FolderHierarchyStatus},
	"FolderUpdate":    {wbxml.FolderHierarchyFolderUpdate, wbxml.FolderHierarchyStatus},
	"FolderDelete":    {wbxml.FolderHierarchyFolderDelete, wbxml.FolderHierarchyStatus},
	"Ping":            {wbxml.PingPing, wbxml.PingStatus},
	"GetItemEstimate": {wbxml.GetItemEstimateGetItemEstimate, wbxml.GetItemEstimateStatus},
	"MoveItems":       {wbxml.MoveMoveItems, wbxml.MoveStatus},
	"ItemOperations":  {wbxml.ItemOperationsItemOperations, wbxml.ItemOperationsStatus},
	"MeetingResponse": {wbxml.MeetingResponseMeetingResponse, wbxml.MeetingResponseStatus},
	"Search":          {wbxml.SearchSearch, wbxml.SearchStatus},
	"Settings":        {wbxml.SettingsSettings, wbxml.SettingsStatus},
	"SendMail":        {wbxml.ComposeMailSendMail, wbxml.ComposeMailStatus},
	"SmartReply":      {wbxml.ComposeMailSmartReply, wbxml.ComposeMailStatus},
	"SmartForward":    {wbxml.ComposeMailSmartForward, wbxml.ComposeMailStatus},
}

// writeStatusOnly answers with the command's root element holding status.
func (s *Server) writeStatusOnly(req *request, status int) {
	rt, ok := statusRoots[req.cmd]
	if !ok {
		http.Error(req.w, "provisioning required", statusRetryWith)
		return
	}
	s.write(req, box(rt[0], num(rt[1], status)))
}

// provision serves both phases of MS-ASPROV 3.2.5.1 and remote wipe.
func (s *Server) provision(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.ProvisionProvision {
		return nil, badRequest("Provision without a Provision body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := req.dev
	resp := box(wbxml.ProvisionProvision)
	if info := child(req.root, wbxml.SettingsDeviceInformation); info != nil {
		d.info = clone(info)
		add(resp, box(wbxml.SettingsDeviceInformation, num(wbxml.SettingsStatus, 1)))
	}
	if child(req.root, wbxml.ProvisionRemoteWipe) != nil {
		// The client confirms the wipe (MS-ASPROV 3.1.5.1.2.2).
		if d.wipe == wipeSent || d.wipe == wipeRequested {
			d.wipe = wipeDone
		}
		return add(resp, num(wbxml.ProvisionStatus, 1)), nil
	}
	if d.wipe == wipeRequested || d.wipe == wipeSent {
		d.wipe = wipeSent
		return add(resp, num(wbxml.ProvisionStatus, 1), el(wbxml.ProvisionRemoteWipe, "")), nil
	}
	pol := child(child(req.root, wbxml.ProvisionPolicies), wbxml.ProvisionPolicy)
	if pol == nil {
		return add(resp, num(wbxml.ProvisionStatus, 2)), nil // protocol error
	}
	ptype := text(pol, wbxml.ProvisionPolicyType)
	out := box(wbxml.ProvisionPolicy, el(wbxml.ProvisionPolicyType, ptype))
	add(resp, num(wbxml.ProvisionStatus, 1), box(wbxml.ProvisionPolicies, out))
	switch {
	case ptype != policyTypeWBXML:
		add(out, num(wbxml.ProvisionStatus, 3))
	case s.cfg.Policy == nil:
		add(out, num(wbxml.ProvisionStatus, 2))
	case !has(pol, wbxml.ProvisionPolicyKey):
		doc, err := policyDoc(s.cfg.Policy)
		if err != nil {
			return nil, err
		}
		d.tempKey = newPolicyKey()
		add(out, num(wbxml.ProvisionStatus, 1), el(wbxml.ProvisionPolicyKey, d.tempKey),
			box(wbxml.ProvisionData, doc))
	case text(pol, wbxml.ProvisionPolicyKey) != d.tempKey || d.tempKey == "":
		add(out, num(wbxml.ProvisionStatus, 5))
	default:
		d.policyKey, d.tempKey = newPolicyKey(), ""
		add(out, num(wbxml.ProvisionStatus, 1), el(wbxml.ProvisionPolicyKey, d.policyKey))
	}
	return resp, nil
}

func policyDoc(p *Policy) (*wbxml.Node, error) {
	doc := box(wbxml.ProvisionEASProvisionDoc)
	for _, st := range p.Settings {
		t, ok := wbxml.TagByName("Provision", st.Name)
		if !ok {
			return nil, fmt.Errorf("eastest: unknown policy setting %q", st.Name)
		}
		add(doc, el(t, st.Value))
	}
	return doc, nil
}

// settings serves the Settings command (MS-ASCMD 2.2.1.18).
func (s *Server) settings(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.SettingsSettings {
		return nil, badRequest("Settings without a Settings body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := box(wbxml.SettingsSettings, num(wbxml.SettingsStatus, 1))
	for _, c := range req.root.Children {
		switch c.Tag {
		case wbxml.SettingsDeviceInformation:
			req.dev.info = clone(child(c, wbxml.SettingsSet))
			add(resp, box(c.Tag, num(wbxml.SettingsStatus, 1)))
		case wbxml.SettingsUserInformation:
			add(resp, box(c.Tag, num(wbxml.SettingsStatus, 1), s.userInformation(req)))
		case wbxml.SettingsOof:
			r := box(c.Tag, num(wbxml.SettingsStatus, 1))
			if has(c, wbxml.SettingsGet) {
				add(r, box(wbxml.SettingsGet, num(wbxml.SettingsOofState, 0)))
			}
			add(resp, r)
		case wbxml.SettingsDevicePassword:
			add(resp, box(c.Tag, num(wbxml.SettingsStatus, 1)))
		default:
			add(resp, box(c.Tag, num(wbxml.SettingsStatus, 2))) // protocol error
		}
	}
	return resp, nil
}

// userInformation answers UserInformation Get: 14.1 and later use
// Accounts (MS-ASCMD 2.2.3.2), earlier versions EmailAddresses.
func (s *Server) userInformation(req *request) *wbxml.Node {
	u := req.user
	if req.version < eas.V141 {
		return box(wbxml.SettingsGet, box(wbxml.SettingsEmailAddresses,
			el(wbxml.SettingsSMTPAddress, u.Email)))
	}
	return box(wbxml.SettingsGet, box(wbxml.SettingsAccounts, box(wbxml.SettingsAccount,
		el(wbxml.SettingsUserDisplayName, u.DisplayName),
		box(wbxml.SettingsEmailAddresses, el(wbxml.SettingsPrimarySmtpAddress, u.Email)))))
}
