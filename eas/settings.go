package eas

import (
	"context"
	"fmt"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// DeviceInformation describes this device to the server (MS-ASCMD
// 2.2.3.50.2). Empty fields are not sent.
type DeviceInformation struct {
	Model          string
	IMEI           string
	FriendlyName   string
	OS             string
	OSLanguage     string
	PhoneNumber    string
	UserAgent      string
	MobileOperator string
}

// UserInformation is what Settings UserInformation Get returns (MS-ASCMD
// 2.2.3.187).
type UserInformation struct {
	DisplayName    string   // 14.1 and later
	PrimaryAddress string   // PrimarySmtpAddress (14.1), else the first SMTPAddress
	Addresses      []string // every SMTP address
}

// OofSettings is the Out of Office state (MS-ASCMD 2.2.3.119).
type OofSettings struct {
	State     int // 0 disabled, 1 global, 2 time based
	StartTime time.Time
	EndTime   time.Time
	Messages  []OofMessage
}

// OofMessage is one audience's Out of Office reply.
type OofMessage struct {
	Audience string // "Internal", "ExternalKnown", "ExternalUnknown"
	Enabled  bool
	Reply    string
	BodyType string // "Text" or "HTML"
}

func encodeDeviceInformation(e *wbxml.Encoder, di *DeviceInformation) {
	e.Start(wbxml.SettingsDeviceInformation)
	e.Start(wbxml.SettingsSet)
	for _, f := range []struct {
		t wbxml.Tag
		v string
	}{
		{wbxml.SettingsModel, di.Model}, {wbxml.SettingsIMEI, di.IMEI},
		{wbxml.SettingsFriendlyName, di.FriendlyName}, {wbxml.SettingsOS, di.OS},
		{wbxml.SettingsOSLanguage, di.OSLanguage}, {wbxml.SettingsPhoneNumber, di.PhoneNumber},
		{wbxml.SettingsUserAgent, di.UserAgent}, {wbxml.SettingsMobileOperator, di.MobileOperator},
	} {
		if f.v != "" {
			e.Element(f.t, f.v)
		}
	}
	e.End()
	e.End()
}

// settings sends one Settings request and hands each child of the answer
// (after a successful top-level Status) to part.
func (c *Client) settings(ctx context.Context, build func(e *wbxml.Encoder), part func(d *wbxml.Decoder, t wbxml.Tag) error) error {
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.SettingsSettings)
		build(e)
		e.End()
	})
	if err != nil {
		return err
	}
	return c.roundTrip(ctx, &request{cmd: "Settings", body: body}, wbxml.SettingsSettings, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		return sectionStatus(d, func(t wbxml.Tag) error { return part(d, t) })
	})
}

// sectionStatus reads a Status child of the Settings response or of one
// of its sections; other children go to fn.
func sectionStatus(d *wbxml.Decoder, fn func(t wbxml.Tag) error) error {
	return d.Each(func(t wbxml.Tag) error {
		if t == wbxml.SettingsStatus {
			return readStatus(d, func(st int) error { return commandStatusError("Settings", st) })
		}
		return fn(t)
	})
}

// SetDeviceInformation sends Config.DeviceInformation (or di, if not nil)
// to the server with Settings DeviceInformation Set. Servers at 14.1 and
// later may require it before Provision.
func (c *Client) SetDeviceInformation(ctx context.Context, di *DeviceInformation) error {
	if di == nil {
		di = c.cfg.DeviceInformation
	}
	if di == nil {
		di = &DeviceInformation{Model: "easbridge", UserAgent: c.cfg.UserAgent}
	}
	return c.settings(ctx, func(e *wbxml.Encoder) { encodeDeviceInformation(e, di) },
		func(d *wbxml.Decoder, t wbxml.Tag) error {
			if t != wbxml.SettingsDeviceInformation {
				return d.Skip()
			}
			return sectionStatus(d, func(wbxml.Tag) error { return d.Skip() })
		})
}

// UserInformation asks for the account's display name and addresses.
func (c *Client) UserInformation(ctx context.Context) (*UserInformation, error) {
	ui := &UserInformation{}
	err := c.settings(ctx, func(e *wbxml.Encoder) {
		e.Start(wbxml.SettingsUserInformation)
		e.Empty(wbxml.SettingsGet)
		e.End()
	}, func(d *wbxml.Decoder, t wbxml.Tag) error {
		if t != wbxml.SettingsUserInformation {
			return d.Skip()
		}
		return sectionStatus(d, func(t wbxml.Tag) error {
			if t != wbxml.SettingsGet {
				return d.Skip()
			}
			return decodeUserInfo(d, ui)
		})
	})
	if err != nil {
		return nil, err
	}
	if ui.PrimaryAddress == "" && len(ui.Addresses) > 0 {
		ui.PrimaryAddress = ui.Addresses[0]
	}
	return ui, nil
}

// decodeUserInfo walks Get, Accounts, Account and EmailAddresses, which
// nest differently in 12.1/14.0 and 14.1.
func decodeUserInfo(d *wbxml.Decoder, ui *UserInformation) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.SettingsAccounts, wbxml.SettingsAccount, wbxml.SettingsEmailAddresses:
			err = decodeUserInfo(d, ui)
		case wbxml.SettingsUserDisplayName:
			ui.DisplayName, err = d.Text()
		case wbxml.SettingsPrimarySmtpAddress:
			var s string
			s, err = d.Text()
			ui.PrimaryAddress = s
			ui.Addresses = append(ui.Addresses, s)
		case wbxml.SettingsSMTPAddress:
			var s string
			s, err = d.Text()
			ui.Addresses = append(ui.Addresses, s)
		default:
			err = d.Skip()
		}
		return err
	})
}

// Oof reads the Out of Office settings (Settings Oof Get, text bodies).
func (c *Client) Oof(ctx context.Context) (*OofSettings, error) {
	o := &OofSettings{}
	err := c.settings(ctx, func(e *wbxml.Encoder) {
		e.Start(wbxml.SettingsOof)
		e.Start(wbxml.SettingsGet)
		e.Element(wbxml.SettingsBodyType, "Text")
		e.End()
		e.End()
	}, func(d *wbxml.Decoder, t wbxml.Tag) error {
		if t != wbxml.SettingsOof {
			return d.Skip()
		}
		return sectionStatus(d, func(t wbxml.Tag) error {
			if t != wbxml.SettingsGet {
				return d.Skip()
			}
			return decodeOof(d, o)
		})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

func decodeOof(d *wbxml.Decoder, o *OofSettings) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.SettingsOofState:
			o.State, err = readInt(d)
		case wbxml.SettingsStartTime:
			o.StartTime, err = readTime(d)
		case wbxml.SettingsEndTime:
			o.EndTime, err = readTime(d)
		case wbxml.SettingsOofMessage:
			var m OofMessage
			err = decodeOofMessage(d, &m)
			o.Messages = append(o.Messages, m)
		default:
			err = d.Skip()
		}
		return err
	})
}

func decodeOofMessage(d *wbxml.Decoder, m *OofMessage) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.SettingsAppliesToInternal:
			m.Audience, err = "Internal", d.Skip()
		case wbxml.SettingsAppliesToExternalKnown:
			m.Audience, err = "ExternalKnown", d.Skip()
		case wbxml.SettingsAppliesToExternalUnknown:
			m.Audience, err = "ExternalUnknown", d.Skip()
		case wbxml.SettingsEnabled:
			var n int
			n, err = readInt(d)
			m.Enabled = n == 1
		case wbxml.SettingsReplyMessage:
			m.Reply, err = d.Text()
		case wbxml.SettingsBodyType:
			m.BodyType, err = d.Text()
		default:
			err = d.Skip()
		}
		return err
	})
}

// readTime reads an MS-ASDTYPE dateTime (2.3): "2026-11-25T14:00:00.000Z",
// also accepting the compact form "20261125T140000Z" that 14.x calendar
// elements use.
func readTime(d *wbxml.Decoder) (time.Time, error) {
	s, err := d.Text()
	if err != nil || s == "" {
		return time.Time{}, err
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000Z", time.RFC3339Nano, "20060102T150405Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("eas: malformed date %q", s)
}
