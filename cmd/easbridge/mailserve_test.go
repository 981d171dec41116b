package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/smtpd"
)

func TestMailConfig(t *testing.T) {
	const acct = "[[account]]\nname=\"a\"\nurl=\"u\"\nusername=\"x\"\n"
	for _, tc := range []struct {
		name, text, imap, smtp, wantErr string
	}{
		{"defaults", acct, "127.0.0.1:1143", "127.0.0.1:1587", ""},
		{"set", "[imap]\nlisten=\"127.0.0.1:2143\"\n[smtp]\nlisten=\"off\"\n" + acct, "127.0.0.1:2143", "off", ""},
		{"unknown imap key", "[imap]\nport=1\n" + acct, "", "", "unknown key imap.port"},
		{"unknown smtp key", "[smtp]\ntls=true\n" + acct, "", "", "unknown key smtp.tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(writeConfig(t, tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.IMAP.Listen != tc.imap || cfg.SMTP.Listen != tc.smtp {
				t.Errorf("imap %q smtp %q, want %q %q", cfg.IMAP.Listen, cfg.SMTP.Listen, tc.imap, tc.smtp)
			}
		})
	}
}

func TestClientsMail(t *testing.T) {
	path := writeConfig(t, "[dav]\npassword_command=\"echo p\"\n[smtp]\nlisten=\"off\"\n[[account]]\nname=\"work\"\nurl=\"u\"\nusername=\"x\"\n")
	var out, errOut bytes.Buffer
	if code := printClients(context.Background(), []string{"--config", path}, &out, &errOut); code != 0 {
		t.Fatalf("clients = %d: %s", code, errOut.String())
	}
	s := out.String()
	for _, want := range []string{"IMAP (mail):                127.0.0.1 port 1143, no TLS, user work",
		"Incoming IMAP, Hostname 127.0.0.1", "Normal password, Username work"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "SMTP (sending)") || strings.Contains(s, "Outgoing SMTP") {
		t.Errorf("SMTP is off but the guide shows it:\n%s", s)
	}
}

func TestSendError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
	}{
		{"sent", nil, false},
		{"invalid content", &eas.StatusError{Command: "SendMail", Status: 101}, true},
		{"too large", fmt.Errorf("wrapped: %w", &eas.StatusError{Command: "SendMail", Status: 113}), true},
		{"server error", &eas.StatusError{Command: "SendMail", Status: 110}, false},
		{"provision", &eas.StatusError{Command: "SendMail", Status: 142, Err: eas.ErrProvisionNeeded}, false},
		{"throttled", &eas.ThrottledError{Command: "SendMail", Err: eas.ErrThrottled}, false},
		{"http 400", &eas.HTTPError{Command: "SendMail", StatusCode: 400}, true},
		{"http 401", &eas.HTTPError{Command: "SendMail", StatusCode: 401, Err: eas.ErrUnauthorized}, false},
		{"http 503", &eas.HTTPError{Command: "SendMail", StatusCode: 503}, false},
		{"network", errors.New("eas: cannot connect to mail.example.com"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sendError(tc.err)
			if (err == nil) != (tc.err == nil) || smtpd.IsPermanent(err) != tc.permanent {
				t.Errorf("sendError(%v) = %v, permanent %v; want permanent %v", tc.err, err, smtpd.IsPermanent(err), tc.permanent)
			}
		})
	}
}
