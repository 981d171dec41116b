package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/easbridge/easbridge/bridge"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/secret"
)

// openSecretFile is the 0600 file store, for --no-keyring.
func openSecretFile() (secret.Store, secret.Choice, error) {
	return secret.Open(secret.Options{NoKeyring: true})
}

// liveCheck talks to the server as run will (same DeviceId, same policy
// decision): OPTIONS, Provision, FolderSync. It prints what it found and
// returns the policy.
func liveCheck(ctx context.Context, ac *accountConfig, password string, out io.Writer) (*eas.Policy, []string, error) {
	probe := *ac
	if err := probe.fillDefaults(); err != nil {
		return nil, nil, err
	}
	dev, err := probe.deviceID()
	if err != nil {
		return nil, nil, err
	}
	c, err := eas.New(eas.Config{
		URL: ac.URL, User: ac.Username, Credentials: eas.Basic{User: ac.Username, Password: password},
		DeviceID: dev, DeviceType: "easbridge", Logger: slog.New(slog.DiscardHandler),
		DeviceInformation: deviceInformation("easbridge on " + hostname()),
		AcceptPolicy:      policyAcceptor(ac.Name, probe.StateDir, probe.Maildir),
	})
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "Checking %s ...\n", ac.URL)
	opts, err := c.Options(ctx)
	if err != nil {
		return nil, nil, err
	}
	v, err := c.Version(ctx)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "  server:   %s, protocol %s\n", orUnknown(opts.Server), v)
	pol, err := c.Provision(ctx)
	if err != nil {
		return pol, nil, err
	}
	switch {
	case pol == nil || pol.None():
		fmt.Fprintln(out, "  policy:   none")
	default:
		fmt.Fprintf(out, "  policy:   %d settings, all of which easbridge honours\n", len(pol.Settings))
	}
	fc, err := c.FolderSync(ctx, "0")
	if err != nil {
		return pol, nil, err
	}
	counts := map[eas.Class]int{}
	var names []string
	for _, f := range fc.Added {
		if !bridge.Mirrored(f.Type) {
			continue
		}
		counts[f.Type.Class()]++
		names = append(names, f.DisplayName)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	fmt.Fprintf(out, "  folders:  %d mail, %d calendar, %d contacts, %d tasks, %d notes\n",
		counts[eas.ClassEmail], counts[eas.ClassCalendar], counts[eas.ClassContacts], counts[eas.ClassTasks], counts[eas.ClassNotes])
	fmt.Fprintf(out, "            %s\n", strings.Join(names, ", "))
	return pol, names, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// fillDefaults fills in an account's default directories as loading the
// configuration does.
func (a *accountConfig) fillDefaults() error {
	c := config{Accounts: []accountConfig{*a}}
	if c.Accounts[0].Username == "" {
		c.Accounts[0].Username = "-"
	}
	if err := c.check(); err != nil {
		return err
	}
	a.StateDir, a.Maildir = c.Accounts[0].StateDir, c.Accounts[0].Maildir
	return nil
}

// explainSetupError turns the errors users meet into one sentence that
// says what to do.
func explainSetupError(err error) string {
	var pe *policyError
	switch {
	case errors.As(err, &pe):
		return pe.Error()
	case errors.Is(err, eas.ErrUnauthorized):
		return "the server refused the user name or password: check both (some servers want DOMAIN\\user as the user name, --user) and run setup again"
	case errors.Is(err, eas.ErrTLS):
		return err.Error() + ": easbridge never turns certificate checks off; if the server uses a private or self-signed certificate, add its CA to the system's trust store (update-ca-certificates) or point SSL_CERT_FILE at it, then run setup again"
	case errors.Is(err, eas.ErrForbidden):
		return err.Error() + ": ask the Exchange admin to allow ActiveSync for the mailbox, or to release the device from quarantine"
	case errors.Is(err, eas.ErrNotFound):
		return err.Error() + ": check the URL; it usually ends in /Microsoft-Server-ActiveSync"
	}
	msg := err.Error()
	if strings.Contains(msg, "cannot connect to") || strings.Contains(msg, "cannot be resolved") {
		return msg + ": check the URL and that this machine can reach the server (VPN, proxy), then run setup again"
	}
	return msg
}
