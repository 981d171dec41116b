package eas

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestSettings(t *testing.T) {
	f := newFake(t)
	n := 0
	f.on("Settings", func(w http.ResponseWriter, r *fakeReq) {
		n++
		switch {
		case child(r.Body, wbxml.SettingsUserInformation) != nil:
			writeNode(w, el(wbxml.SettingsSettings, el(wbxml.SettingsStatus, "1"), el(wbxml.SettingsUserInformation,
				el(wbxml.SettingsStatus, "1"), el(wbxml.SettingsGet, el(wbxml.SettingsAccounts, el(wbxml.SettingsAccount,
					el(wbxml.SettingsUserDisplayName, "Test User 1"),
					el(wbxml.SettingsEmailAddresses, el(wbxml.SettingsSMTPAddress, "alias@example.test"), el(wbxml.SettingsPrimarySmtpAddress, "user1@example.test"))))))))
		case child(r.Body, wbxml.SettingsDeviceInformation) != nil:
			if text(r.Body, wbxml.SettingsModel) != "easbridge" {
				t.Errorf("device information %s", r.Body.XML())
			}
			writeNode(w, el(wbxml.SettingsSettings, el(wbxml.SettingsStatus, "1"), el(wbxml.SettingsDeviceInformation, el(wbxml.SettingsStatus, "1"))))
		case child(r.Body, wbxml.SettingsOof) != nil:
			writeNode(w, el(wbxml.SettingsSettings, el(wbxml.SettingsStatus, "1"), el(wbxml.SettingsOof, el(wbxml.SettingsStatus, "1"),
				el(wbxml.SettingsGet, el(wbxml.SettingsOofState, "2"), el(wbxml.SettingsStartTime, "2026-12-01T00:00:00.000Z"),
					el(wbxml.SettingsEndTime, "2026-12-24T00:00:00.000Z"),
					el(wbxml.SettingsOofMessage, el(wbxml.SettingsAppliesToInternal), el(wbxml.SettingsEnabled, "1"),
						el(wbxml.SettingsReplyMessage, "away"), el(wbxml.SettingsBodyType, "TEXT"))))))
		}
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	ui, err := c.UserInformation(ctx)
	if err != nil || ui.DisplayName != "Test User 1" || ui.PrimaryAddress != "user1@example.test" || len(ui.Addresses) != 2 {
		t.Fatalf("%+v %v", ui, err)
	}
	if err := c.SetDeviceInformation(ctx, nil); err != nil {
		t.Fatal(err)
	}
	oof, err := c.Oof(ctx)
	if err != nil || oof.State != 2 || !oof.StartTime.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) ||
		len(oof.Messages) != 1 || oof.Messages[0] != (OofMessage{"Internal", true, "away", "TEXT"}) {
		t.Fatalf("%+v %v", oof, err)
	}
}
