package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/internal/logx"
)

var doctorCommand = command{"check config, secrets, server, TLS, policy, ports, permissions and clock; one line per check", runDoctor}

// maxClockSkew is the clock difference doctor fails on: beyond a few
// minutes, token lifetimes and the server's own checks start to fail.
const maxClockSkew = 5 * time.Minute

// doctorTimeout bounds each network check.
const doctorTimeout = 15 * time.Second

// doctor prints check results and counts failures. It never prints a
// secret: checks report that a secret exists, not what it is.
type doctor struct {
	w      io.Writer
	failed int
	// transport sends the checks' HTTP requests (tests swap it).
	transport http.RoundTripper
}

// line prints one check: ok, warn or FAIL, what was checked, what was
// found and, for a failure, the fix.
func (d *doctor) line(level, what, found, fix string) {
	if level == "FAIL" {
		d.failed++
	}
	msg := fmt.Sprintf("%-4s  %s: %s", level, what, found)
	if fix != "" {
		msg += " — fix: " + fix
	}
	fmt.Fprintln(d.w, msg)
}

func (d *doctor) ok(what, found string)        { d.line("ok", what, found, "") }
func (d *doctor) warn(what, found, fix string) { d.line("warn", what, found, fix) }
func (d *doctor) fail(what, found, fix string) { d.line("FAIL", what, found, fix) }

// runDoctor is `easbridge doctor`: it exits 1 when a check failed.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	_, path, ok := parseCommon("doctor", args, stderr, nil)
	if !ok {
		return 2
	}
	d := &doctor{w: stdout, transport: http.DefaultTransport}
	d.run(ctx, *path)
	if d.failed > 0 {
		fmt.Fprintf(stdout, "%d check(s) failed\n", d.failed)
		return 1
	}
	fmt.Fprintln(stdout, "all checks passed")
	return 0
}

// run runs every check of the configuration at path.
func (d *doctor) run(ctx context.Context, path string) {
	cfg, err := loadConfig(path)
	if err != nil {
		fix := "correct the file (see the README's configuration reference), or run `easbridge setup`"
		if errors.Is(err, os.ErrNotExist) {
			fix = "run `easbridge setup` to write one, or pass --config FILE"
		}
		d.fail("config", err.Error(), fix)
		return
	}
	d.ok("config", fmt.Sprintf("%s parsed, %d account(s)", path, len(cfg.Accounts)))
	if _, err := cfg.davPassword(ctx); err != nil {
		d.fail("dav password", err.Error(), "set [dav] password_command, or run `easbridge setup` to store one")
	} else {
		d.ok("dav password", "present")
	}
	d.checkDAVPort(ctx, path, cfg)
	for _, ac := range cfg.Accounts {
		d.checkAccount(ctx, ac)
	}
}

// checkDAVPort checks that the DAV address is free, or served by this
// configuration's running daemon.
func (d *doctor) checkDAVPort(ctx context.Context, cfgPath string, cfg *config) {
	what := "dav port " + cfg.DAV.Listen
	if host, _, err := net.SplitHostPort(cfg.DAV.Listen); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			d.warn(what, "not a loopback address: other machines can reach the DAV server", `set [dav] listen = "127.0.0.1:5233"`)
		}
	}
	ln, err := net.Listen("tcp", cfg.DAV.Listen)
	if err == nil {
		ln.Close()
		d.ok(what, "free")
		return
	}
	if ds, derr := askDaemon(ctx, cfgPath, cfg); derr == nil {
		d.ok(what, fmt.Sprintf("served by the running easbridge (pid %d)", ds.PID))
		return
	}
	d.fail(what, fmt.Sprintf("in use by another program (%v)", errors.Unwrap(err)),
		"stop that program (`ss -ltnp` shows it), or set [dav] listen to a free port")
}

// checkAccount runs the checks of one account.
func (d *doctor) checkAccount(ctx context.Context, ac accountConfig) {
	p := "account " + ac.Name + ": "
	secretOK := d.checkSecret(ctx, p, ac)
	d.checkDir(p+"maildir", ac.Maildir)
	d.checkDir(p+"state", ac.StateDir)
	if !d.checkServer(ctx, p, ac) || !secretOK {
		return
	}
	d.checkProtocol(ctx, p, ac)
}

// checkSecret checks that the account's credentials can be had.
func (d *doctor) checkSecret(ctx context.Context, p string, ac accountConfig) bool {
	if ac.Auth == authOAuth2 {
		s := readSignIn(ac)
		if s == nil || s.State != "signed-in" {
			msg := "unknown"
			if s != nil {
				msg = s.Error
			}
			d.fail(p+"sign-in", msg, "run `easbridge login "+ac.Name+"`")
			return false
		}
		d.ok(p+"sign-in", s.String())
		return true
	}
	if _, err := ac.password(ctx); err != nil {
		d.fail(p+"password", err.Error(), "fix password_command, or run `easbridge setup` to store the password in the keyring")
		return false
	}
	source := "from the keyring or secrets file"
	switch {
	case ac.PasswordCommand != "":
		source = "password_command printed one"
	case os.Getenv(passwordEnv) != "":
		source = "from $" + passwordEnv
	}
	d.ok(p+"password", "present ("+source+")")
	return true
}

// checkDir checks that a data directory is writable and private. A
// missing one is fine: run creates it (0700).
func (d *doctor) checkDir(what, dir string) {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		d.ok(what, dir+" does not exist yet; run creates it (mode 0700)")
		return
	}
	if err != nil {
		d.fail(what, err.Error(), "check the path in the config")
		return
	}
	if !fi.IsDir() {
		d.fail(what, dir+" is not a directory", "point the config at a directory")
		return
	}
	probe, err := os.CreateTemp(dir, ".easbridge-doctor-*")
	if err != nil {
		d.fail(what, dir+" is not writable: "+errors.Unwrap(err).Error(), "chown or chmod it so your user can write it")
		return
	}
	probe.Close()
	os.Remove(probe.Name())
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		level, fix := d.warn, "chmod 700 "+shellQuote(dir)
		if perm&0o007 != 0 {
			level = d.fail // anyone on the machine can read the mailbox
		}
		level(what, fmt.Sprintf("%s is readable by others (mode %o)", dir, perm), fix)
		return
	}
	d.ok(what, dir+" writable and private")
}

// checkServer sends OPTIONS without credentials: the server answers
// (any status: 401 is an answer), its certificate verifies for the host
// name, and its Date header agrees with the local clock.
func (d *doctor) checkServer(ctx context.Context, p string, ac accountConfig) bool {
	u, err := url.Parse(ac.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		d.fail(p+"url", fmt.Sprintf("%q is not an http(s) URL", ac.URL), "set url to https://SERVER/Microsoft-Server-ActiveSync")
		return false
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			d.warn(p+"url", "plain http: the password crosses the network unencrypted", "use https://")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, ac.URL, nil)
	if err != nil {
		d.fail(p+"server", err.Error(), "check url")
		return false
	}
	sent := time.Now()
	resp, err := (&http.Client{Transport: d.transport}).Do(req)
	if err != nil {
		d.failReach(p, u, err)
		return false
	}
	resp.Body.Close()
	got := time.Now()
	d.ok(p+"server", fmt.Sprintf("%s answers (HTTP %d)", u.Host, resp.StatusCode))
	if resp.TLS != nil {
		leaf := resp.TLS.PeerCertificates[0]
		d.ok(p+"tls", fmt.Sprintf("certificate for %s valid until %s, issued by %s", u.Hostname(), leaf.NotAfter.Format("2006-01-02"), leaf.Issuer.CommonName))
	}
	d.checkClock(p, resp.Header.Get("Date"), sent, got)
	return true
}

// failReach explains why the server did not answer.
func (d *doctor) failReach(p string, u *url.URL, err error) {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		dnsErr   *net.DNSError
		recordEr tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		d.fail(p+"tls", fmt.Sprintf("the certificate of %s is signed by an unknown authority (self-signed or a private CA)", u.Host),
			"install the CA certificate in the system trust store (/usr/local/share/ca-certificates + update-ca-certificates); easbridge never skips verification")
	case errors.As(err, &hostname):
		d.fail(p+"tls", fmt.Sprintf("the certificate is not for %s (%v)", u.Hostname(), hostname.Error()),
			"set url to a host name the certificate names")
	case errors.As(err, &invalid):
		d.fail(p+"tls", "the certificate is not valid: "+invalid.Error(),
			"ask the server's admin to renew it, or check this machine's clock")
	case errors.As(err, &recordEr):
		d.fail(p+"tls", u.Host+" does not speak TLS on that port", "use http:// for this port, or the server's https port")
	case errors.As(err, &dnsErr):
		d.fail(p+"server", fmt.Sprintf("cannot resolve %s: %v", u.Hostname(), dnsErr.Err), "check the host name in url, and your network or VPN")
	case errors.Is(err, context.DeadlineExceeded):
		d.fail(p+"server", fmt.Sprintf("%s did not answer within %s", u.Host, doctorTimeout), "check your network, VPN or proxy")
	default:
		d.fail(p+"server", fmt.Sprintf("cannot reach %s: %v", u.Host, errors.Unwrap(err)), "check url, your network or VPN, and that the server runs")
	}
}

// checkClock compares the server's Date header with the local clock,
// allowing for the request's round trip.
func (d *doctor) checkClock(p, date string, sent, got time.Time) {
	if date == "" {
		d.warn(p+"clock", "the server sent no Date header to compare with", "")
		return
	}
	st, err := http.ParseTime(date)
	if err != nil {
		d.warn(p+"clock", fmt.Sprintf("unreadable Date header %q", date), "")
		return
	}
	// The Date has one-second resolution and was stamped between sent
	// and got.
	var skew time.Duration
	switch {
	case st.Before(sent.Add(-time.Second)):
		skew = st.Sub(sent)
	case st.After(got):
		skew = st.Sub(got)
	}
	if skew.Abs() > maxClockSkew {
		side := "behind"
		if skew < 0 {
			side = "ahead of"
		}
		d.fail(p+"clock", fmt.Sprintf("this machine's clock is %s %s the server's", skew.Abs().Round(time.Minute), side),
			"turn on time synchronisation (timedatectl set-ntp true)")
		return
	}
	d.ok(p+"clock", fmt.Sprintf("within %s of the server", skew.Abs().Round(time.Second)+time.Second))
}

// checkProtocol logs in as run would: OPTIONS with the credentials for
// the versions, then the policy download without acknowledging it, so
// the check changes nothing on the server.
func (d *doctor) checkProtocol(ctx context.Context, p string, ac accountConfig) {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	creds, err := ac.credentials(ctx, log, &logx.Redactor{})
	if err != nil {
		d.fail(p+"protocol", err.Error(), "see the password check above")
		return
	}
	dev, err := ac.deviceID()
	if err != nil {
		d.fail(p+"protocol", err.Error(), "check that the state directory is writable")
		return
	}
	var seen *eas.Policy
	errLook := errors.New("doctor only looks at the policy")
	c, err := eas.New(eas.Config{
		URL: ac.URL, User: ac.Username, Credentials: creds, Version: ac.protocolVersion(),
		DeviceID: dev, DeviceType: "easbridge", Logger: log, HTTPClient: &http.Client{Transport: d.transport},
		DeviceInformation: deviceInformation("easbridge on " + hostname()),
		AcceptPolicy:      func(_ context.Context, pol *eas.Policy) error { seen = pol; return errLook },
	})
	if err != nil {
		d.fail(p+"protocol", err.Error(), "check url")
		return
	}
	opts, err := c.Options(ctx)
	if err == nil {
		var v eas.Version
		if v, err = c.Version(ctx); err == nil {
			d.ok(p+"protocol", fmt.Sprintf("server %s offers %s; easbridge uses %s", orUnknown(opts.Server), versionList(opts.Versions), v))
		}
	}
	if err != nil {
		d.failProtocol(p+"protocol", ac, err)
		return
	}
	pol, err := c.Provision(ctx)
	switch {
	case errors.Is(err, errLook) && seen != nil:
		pol = seen
	case errors.Is(err, eas.ErrRemoteWipe):
		d.fail(p+"policy", "the server asks this device to wipe itself", "`easbridge run` will acknowledge it and delete this account's local mirror; ask the admin if that is unexpected")
		return
	case err != nil:
		d.failProtocol(p+"policy", ac, err)
		return
	}
	if pol == nil || pol.None() {
		d.ok(p+"policy", "the server demands no security policy")
		return
	}
	if err := checkPolicy(ac.Name, pol, ac.StateDir, ac.Maildir); err != nil {
		d.fail(p+"policy", err.Error(), "see the admin's part above; run refuses this policy")
		return
	}
	d.ok(p+"policy", fmt.Sprintf("%d setting(s) demanded, all honoured (%s)", len(pol.Settings), policyDemands(pol)))
}

// failProtocol explains a failed EAS exchange.
func (d *doctor) failProtocol(what string, ac accountConfig, err error) {
	switch {
	case errors.Is(err, eas.ErrUnauthorized):
		d.fail(what, "the server rejected the credentials (HTTP 401)", "check username "+ac.Username+" and the password (or `easbridge login "+ac.Name+"`)")
	case errors.Is(err, eas.ErrForbidden):
		d.fail(what, "the server forbids ActiveSync for this user or device (HTTP 403)", "ask the admin to allow ActiveSync (Set-CASMailbox -ActiveSyncEnabled $true) or this device")
	default:
		d.fail(what, err.Error(), "check url (it ends in /Microsoft-Server-ActiveSync) and `easbridge probe`")
	}
}

func versionList(vs []eas.Version) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.String())
	}
	if len(s) == 0 {
		return "no version"
	}
	return strings.Join(s, ", ")
}

// policyDemands names the notable settings of a policy.
func policyDemands(p *eas.Policy) string {
	var out []string
	if p.DevicePasswordEnabled {
		out = append(out, "device password")
	}
	if p.RequireDeviceEncryption {
		out = append(out, "device encryption")
	}
	if p.MaxAttachmentSize > 0 {
		out = append(out, fmt.Sprintf("attachments up to %d bytes", p.MaxAttachmentSize))
	}
	if !p.AttachmentsEnabled {
		out = append(out, "no attachments")
	}
	if len(out) == 0 {
		return "nothing that concerns a desktop bridge"
	}
	return strings.Join(out, ", ")
}
