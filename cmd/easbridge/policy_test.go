package main

import (
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas"
)

func TestCheckPolicy(t *testing.T) {
	old := volumeEncryption
	t.Cleanup(func() { volumeEncryption = old })
	for _, tc := range []struct {
		name      string
		pol       *eas.Policy
		encrypted bool
		want      []string // settings named, in order; none: accepted
	}{
		{"no policy", nil, false, nil},
		{"status 2", &eas.Policy{Status: 2, RequireDeviceEncryption: true}, false, nil},
		{"harmless settings", &eas.Policy{Status: 1, Settings: []eas.PolicySetting{{Name: "AllowCamera", Value: "0"}, {Name: "MaxAttachmentSize", Value: "100"}}}, false, nil},
		{"encryption on encrypted volume", &eas.Policy{Status: 1, RequireDeviceEncryption: true}, true, nil},
		{"encryption refused", &eas.Policy{Status: 1, RequireDeviceEncryption: true}, false, []string{"RequireDeviceEncryption"}},
		{"device password", &eas.Policy{Status: 1, DevicePasswordEnabled: true}, true, []string{"DevicePasswordEnabled"}},
		{"smime and encryption", &eas.Policy{Status: 1, RequireDeviceEncryption: true,
			Settings: []eas.PolicySetting{{Name: "RequireSignedSMIMEMessages", Value: "1"}, {Name: "RequireEncryptedSMIMEMessages", Value: "0"}}}, false,
			[]string{"RequireDeviceEncryption", "RequireSignedSMIMEMessages"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			volumeEncryption = func(string) (bool, string) { return tc.encrypted, "test" }
			err := checkPolicy("work", tc.pol, "/state", "/mail")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			pe, ok := err.(*policyError)
			if !ok {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for _, b := range pe.Blocks {
				got = append(got, b.Setting)
				if b.Admin == "" || b.Why == "" {
					t.Errorf("%s has no explanation", b.Setting)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("blocks %v, want %v", got, tc.want)
			}
			if !strings.Contains(err.Error(), "an Exchange admin can") {
				t.Errorf("message says nothing for the admin: %v", err)
			}
		})
	}
}

// TestDetectEncryption runs the real detector on the test's temporary
// directory: it must answer, with a reason either way.
func TestDetectEncryption(t *testing.T) {
	ok, how := detectEncryption(t.TempDir() + "/not/yet")
	if how == "" {
		t.Fatalf("no reason given (encrypted=%v)", ok)
	}
	t.Logf("encrypted=%v: %s", ok, how)
}
