package eas

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// policyTypeWBXML is the only policy type of 12.0 and later (MS-ASPROV
// 2.2.2.44).
const policyTypeWBXML = "MS-EAS-Provisioning-WBXML"

// Policy is the security policy the server demands (MS-ASPROV 2.2.2.27
// EASProvisionDoc). The commonly enforced settings are typed fields; every
// setting the server sent, known or not, is also in Settings, in document
// order.
type Policy struct {
	Type   string // MS-EAS-Provisioning-WBXML
	Status int    // 1 success, 2 no policy for this client (MS-ASPROV 2.2.2.54.1)
	Key    string // the temporary key of phase 1 while deciding, the final key after

	DevicePasswordEnabled              bool
	AlphanumericDevicePasswordRequired bool
	AllowSimpleDevicePassword          bool
	PasswordRecoveryEnabled            bool
	RequireDeviceEncryption            bool
	RequireStorageCardEncryption       bool
	AttachmentsEnabled                 bool
	AllowHTMLEmail                     bool
	MinDevicePasswordLength            int
	MinDevicePasswordComplexCharacters int
	MaxDevicePasswordFailedAttempts    int
	MaxInactivityTimeDeviceLock        int // seconds
	DevicePasswordExpiration           int // days
	DevicePasswordHistory              int
	MaxAttachmentSize                  int // bytes
	MaxEmailAgeFilter                  int // FilterType value
	MaxCalendarAgeFilter               int // FilterType value
	MaxEmailBodyTruncationSize         int // KB, -1 no limit
	MaxEmailHTMLBodyTruncationSize     int // KB, -1 no limit

	Settings []PolicySetting
}

// PolicySetting is one element of the EASProvisionDoc, by its MS-ASPROV
// name. List settings carry their entries joined by commas.
type PolicySetting struct {
	Name  string
	Value string
}

// None reports that the server has no policy for this client (policy
// status 2): nothing to enforce.
func (p *Policy) None() bool { return p.Status == 2 }

// Provision runs both phases of MS-ASPROV 3.1.5.1: it downloads the
// policy, lets Config.AcceptPolicy decide, and acknowledges it to obtain
// the final policy key, which every later request carries. The client
// calls it by itself on HTTP 449 and statuses 141-144; callers may call it
// up front. A pending remote wipe returns ErrRemoteWipe and is never
// acknowledged.
func (c *Client) Provision(ctx context.Context) (*Policy, error) {
	c.provMu.Lock()
	defer c.provMu.Unlock()
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	c.setPolicyKey("")
	pol, wipe, err := c.provisionPhase(ctx, v, nil)
	if err != nil {
		return nil, err
	}
	if wipe {
		return pol, ErrRemoteWipe
	}
	if pol.None() {
		c.log.Info("eas server has no policy for this device")
		return pol, nil
	}
	if c.cfg.AcceptPolicy != nil {
		if err := c.cfg.AcceptPolicy(ctx, pol); err != nil {
			return pol, fmt.Errorf("%w: %w", ErrPolicyRefused, err)
		}
	}
	ack := &Policy{Type: pol.Type, Key: pol.Key, Status: 1}
	final, wipe, err := c.provisionPhase(ctx, v, ack)
	if err != nil {
		return pol, err
	}
	if wipe {
		return pol, ErrRemoteWipe
	}
	pol.Key = final.Key
	if final.Key != "" {
		c.setPolicyKey(final.Key)
	}
	c.log.Info("eas device provisioned")
	return pol, nil
}

// AcknowledgeWipe tells the server that the remote wipe it asked for is
// done (MS-ASPROV 3.1.5.1.2.2: a Provision request whose RemoteWipe, or
// for accountOnly AccountOnlyRemoteWipe, carries Status 1). The caller
// calls it once it has deleted what the wipe covers; eas itself never
// deletes anything.
func (c *Client) AcknowledgeWipe(ctx context.Context, accountOnly bool) error {
	c.provMu.Lock()
	defer c.provMu.Unlock()
	tag := wbxml.ProvisionRemoteWipe
	if accountOnly {
		tag = wbxml.ProvisionAccountOnlyRemoteWipe
	}
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.ProvisionProvision)
		e.Start(tag)
		e.Element(wbxml.ProvisionStatus, "1")
		e.End()
		e.End()
	})
	if err != nil {
		return err
	}
	err = c.roundTrip(ctx, &request{cmd: "Provision", body: body, provisioning: true}, wbxml.ProvisionProvision, func(d *wbxml.Decoder) error {
		if d == nil {
			return nil // an empty 200 is an acceptance too
		}
		status := 1
		err := d.Each(func(t wbxml.Tag) error {
			if t == wbxml.ProvisionStatus {
				var err error
				status, err = readInt(d)
				return err
			}
			return d.Skip()
		})
		if err == nil && status != 1 {
			err = commandStatusError("Provision", status)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("eas: acknowledging the remote wipe: %w", err)
	}
	return nil
}

// provisionPhase sends one Provision request: the download (ack nil) or
// the acknowledgement.
func (c *Client) provisionPhase(ctx context.Context, v Version, ack *Policy) (*Policy, bool, error) {
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.ProvisionProvision)
		if ack == nil && v >= V141 && c.cfg.DeviceInformation != nil {
			encodeDeviceInformation(e, c.cfg.DeviceInformation)
		}
		e.Start(wbxml.ProvisionPolicies)
		e.Start(wbxml.ProvisionPolicy)
		e.Element(wbxml.ProvisionPolicyType, policyTypeWBXML)
		if ack != nil {
			e.Element(wbxml.ProvisionPolicyKey, ack.Key)
			e.Element(wbxml.ProvisionStatus, strconv.Itoa(ack.Status))
		}
		e.End()
		e.End()
		e.End()
	})
	if err != nil {
		return nil, false, err
	}
	var pol *Policy
	var wipe bool
	err = c.roundTrip(ctx, &request{cmd: "Provision", body: body, provisioning: true}, wbxml.ProvisionProvision, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		var err error
		pol, wipe, err = decodeProvision(d)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if pol == nil && !wipe {
		return nil, false, errors.New("eas: the Provision answer holds no policy")
	}
	if pol == nil {
		pol = &Policy{}
	}
	return pol, wipe, nil
}

func decodeProvision(d *wbxml.Decoder) (*Policy, bool, error) {
	var pol *Policy
	wipe := false
	status := 0
	err := d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.ProvisionStatus:
			status, err = readInt(d)
		case wbxml.ProvisionRemoteWipe, wbxml.ProvisionAccountOnlyRemoteWipe:
			// Either asks for a wipe; AccountOnlyRemoteWipe (16.1) limits
			// it to this account's data, which is all easbridge holds, so
			// both are one for the caller (MS-ASPROV 2.2.2.2, 2.2.2.53).
			wipe = true
			err = d.Skip()
		case wbxml.ProvisionPolicies:
			err = d.Each(func(t wbxml.Tag) error {
				if t != wbxml.ProvisionPolicy {
					return d.Skip()
				}
				var err error
				pol, err = decodePolicy(d)
				return err
			})
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if status != 1 && !wipe {
		return nil, false, commandStatusError("Provision", status)
	}
	if pol != nil && pol.Status != 1 && pol.Status != 2 {
		return nil, false, fmt.Errorf("eas: the server rejected the policy request with policy status %d", pol.Status)
	}
	return pol, wipe, nil
}

func decodePolicy(d *wbxml.Decoder) (*Policy, error) {
	p := &Policy{}
	err := d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.ProvisionPolicyType:
			p.Type, err = d.Text()
		case wbxml.ProvisionStatus:
			p.Status, err = readInt(d)
		case wbxml.ProvisionPolicyKey:
			p.Key, err = d.Text()
		case wbxml.ProvisionData:
			err = decodePolicyData(d, p)
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func decodePolicyData(d *wbxml.Decoder, p *Policy) error {
	return d.Each(func(t wbxml.Tag) error {
		if t != wbxml.ProvisionEASProvisionDoc {
			return d.Skip()
		}
		return d.Each(func(t wbxml.Tag) error {
			name := tagName(t)
			var val string
			var err error
			if name == "ApprovedApplicationList" || name == "UnapprovedInROMApplicationList" {
				var vals []string
				vals, err = readTexts(d)
				val = strings.Join(vals, ",")
			} else {
				val, err = d.Text()
			}
			if err != nil {
				return err
			}
			p.set(name, strings.TrimSpace(val))
			return nil
		})
	})
}

// tagName is the element name of t without its code page.
func tagName(t wbxml.Tag) string {
	s := t.String()
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (p *Policy) set(name, val string) {
	p.Settings = append(p.Settings, PolicySetting{Name: name, Value: val})
	b := val == "1"
	n, _ := strconv.Atoi(val)
	switch name {
	case "DevicePasswordEnabled":
		p.DevicePasswordEnabled = b
	case "AlphanumericDevicePasswordRequired":
		p.AlphanumericDevicePasswordRequired = b
	case "AllowSimpleDevicePassword":
		p.AllowSimpleDevicePassword = b
	case "PasswordRecoveryEnabled":
		p.PasswordRecoveryEnabled = b
	case "RequireDeviceEncryption":
		p.RequireDeviceEncryption = b
	case "RequireStorageCardEncryption":
		p.RequireStorageCardEncryption = b
	case "AttachmentsEnabled":
		p.AttachmentsEnabled = b
	case "AllowHTMLEmail":
		p.AllowHTMLEmail = b
	case "MinDevicePasswordLength":
		p.MinDevicePasswordLength = n
	case "MinDevicePasswordComplexCharacters":
		p.MinDevicePasswordComplexCharacters = n
	case "MaxDevicePasswordFailedAttempts":
		p.MaxDevicePasswordFailedAttempts = n
	case "MaxInactivityTimeDeviceLock":
		p.MaxInactivityTimeDeviceLock = n
	case "DevicePasswordExpiration":
		p.DevicePasswordExpiration = n
	case "DevicePasswordHistory":
		p.DevicePasswordHistory = n
	case "MaxAttachmentSize":
		p.MaxAttachmentSize = n
	case "MaxEmailAgeFilter":
		p.MaxEmailAgeFilter = n
	case "MaxCalendarAgeFilter":
		p.MaxCalendarAgeFilter = n
	case "MaxEmailBodyTruncationSize":
		p.MaxEmailBodyTruncationSize = n
	case "MaxEmailHTMLBodyTruncationSize":
		p.MaxEmailHTMLBodyTruncationSize = n
	}
}
