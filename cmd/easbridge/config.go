package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/easbridge/easbridge/bridge/convert"
	"github.com/easbridge/easbridge/dav"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/imapd"
	"github.com/easbridge/easbridge/smtpd"
)

// config is the TOML configuration file.
type config struct {
	DAV      davConfig       `toml:"dav"`
	IMAP     listenConfig    `toml:"imap"`
	SMTP     listenConfig    `toml:"smtp"`
	Accounts []accountConfig `toml:"account"`
}

// listenConfig is the [imap] or [smtp] table: the loopback address of
// the mail server, or "off".
type listenConfig struct {
	Listen string `toml:"listen"`
}

// davConfig is the [dav] table.
type davConfig struct {
	// Listen is the loopback address of the CalDAV/CardDAV server.
	Listen string `toml:"listen"`
	// PasswordCommand prints the password DAV clients use.
	PasswordCommand string `toml:"password_command"`
}

// accountConfig is one [[account]].
type accountConfig struct {
	Name            string `toml:"name"`
	URL             string `toml:"url"`
	Username        string `toml:"username"`
	PasswordCommand string `toml:"password_command"`
	Email           string `toml:"email"`
	Maildir         string `toml:"maildir"`
	StateDir        string `toml:"state_dir"`
	DeviceID        string `toml:"device_id"`
	ConflictPolicy  string `toml:"conflict_policy"`
	MailAge         string `toml:"mail_age"`
	CalendarAge     string `toml:"calendar_age"`
	TimeZone        string `toml:"time_zone"`
	// SkipFolders names server folders (display names, case ignored)
	// that are not mirrored.
	SkipFolders []string `toml:"skip_folders"`
	// Sign-in (see auth.go): auth is "basic" (default) or "oauth2"
	// (Microsoft 365) with client_id, tenant ("common" default) and
	// authority; protocol_version forces an EAS version.
	Auth            string `toml:"auth"`
	ClientID        string `toml:"client_id"`
	Tenant          string `toml:"tenant"`
	Authority       string `toml:"authority"`
	ProtocolVersion string `toml:"protocol_version"`
	// park is set by run: the daemon parks an account whose sign-in is
	// refused until `easbridge login`.
	park bool
}

// passwordEnv names the environment variable that holds the Exchange
// password when an account has no password_command.
const passwordEnv = "EASBRIDGE_PASSWORD"

// ages maps the age settings to EAS FilterTypes (MS-ASCMD 2.2.3.73).
var ages = map[string]eas.FilterType{
	"all": 0, "1d": 1, "3d": 2, "1w": 3, "2w": 4, "1m": 5, "3m": 6, "6m": 7,
}

var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// defaultConfigPath is the XDG place of the configuration.
func defaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "config.toml"
	}
	return filepath.Join(dir, "easbridge", "config.toml")
}

// loadConfig reads and checks the configuration file. Unknown keys are an
// error that names them.
func loadConfig(path string) (*config, error) {
	var cfg config
	md, err := toml.DecodeFile(path, &cfg)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		var keys []string
		for _, k := range und {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("config %s: unknown key %s", path, strings.Join(keys, ", "))
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &cfg, nil
}

// check validates the configuration and fills in defaults.
func (c *config) check() error {
	if c.DAV.Listen == "" {
		c.DAV.Listen = dav.ListenAddr
	}
	if c.IMAP.Listen == "" {
		c.IMAP.Listen = imapd.DefaultListen
	}
	if c.SMTP.Listen == "" {
		c.SMTP.Listen = smtpd.DefaultListen
	}
	if err := checkMailListen("imap", c.IMAP.Listen); err != nil {
		return err
	}
	if err := checkMailListen("smtp", c.SMTP.Listen); err != nil {
		return err
	}
	if len(c.Accounts) == 0 {
		return errors.New("no [[account]]")
	}
	home, _ := os.UserHomeDir()
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if !accountName.MatchString(a.Name) {
			return fmt.Errorf("account %d: name %q must be letters, digits, '.', '_' or '-'", i+1, a.Name)
		}
		if seen[a.Name] {
			return fmt.Errorf("account %q appears twice", a.Name)
		}
		seen[a.Name] = true
		if a.Username == "" && a.Auth == authOAuth2 {
			a.Username = a.Email // Microsoft 365 knows the user by the address
		}
		if a.URL == "" || a.Username == "" {
			return fmt.Errorf("account %q: url and username are required", a.Name)
		}
		if a.StateDir == "" {
			a.StateDir = filepath.Join(dataHome(home), "easbridge", a.Name)
		}
		if a.Maildir == "" {
			a.Maildir = filepath.Join(home, "Mail", a.Name)
		}
		// A leading ~/ means the home directory, as in a shell: people
		// write paths in the config the way they type them.
		a.Maildir, a.StateDir = expandHome(a.Maildir, home), expandHome(a.StateDir, home)
		if a.ConflictPolicy == "" {
			a.ConflictPolicy = "server-wins"
		}
		if _, err := a.policy(); err != nil {
			return err
		}
		if err := a.checkAuth(); err != nil {
			return err
		}
		if a.MailAge == "" {
			a.MailAge = "3m"
		}
		if a.CalendarAge == "" {
			a.CalendarAge = "6m"
		}
		for key, v := range map[string]string{"mail_age": a.MailAge, "calendar_age": a.CalendarAge} {
			if _, ok := ages[v]; !ok {
				return fmt.Errorf("account %q: %s %q is not one of all, 1d, 3d, 1w, 2w, 1m, 3m, 6m", a.Name, key, v)
			}
		}
		if a.DeviceID != "" && !regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`).MatchString(a.DeviceID) {
			return fmt.Errorf("account %q: device_id must be 1 to 32 letters and digits", a.Name)
		}
	}
	return nil
}

// expandHome replaces a leading "~/" of p with home.
func expandHome(p, home string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
		return filepath.Join(home, rest)
	}
	return p
}

func dataHome(home string) string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d
	}
	return filepath.Join(home, ".local", "share")
}

// policy is the account's conflict policy.
func (a *accountConfig) policy() (convert.Policy, error) {
	switch a.ConflictPolicy {
	case "server-wins":
		return convert.ServerWins, nil
	case "client-wins":
		return convert.ClientWins, nil
	}
	return 0, fmt.Errorf("account %q: conflict_policy %q is not server-wins or client-wins", a.Name, a.ConflictPolicy)
}

// password returns the account's Exchange password: the output of
// password_command, else $EASBRIDGE_PASSWORD, else the one `easbridge
// setup` kept in the OS keyring or the 0600 secrets file.
func (a *accountConfig) password(ctx context.Context) (string, error) {
	if a.PasswordCommand != "" {
		return runPasswordCommand(ctx, a.PasswordCommand)
	}
	if p := os.Getenv(passwordEnv); p != "" {
		return p, nil
	}
	return storedSecret(accountSecret(a.Name), fmt.Sprintf("account %q: password", a.Name))
}

// davPassword returns the password DAV clients use.
func (c *config) davPassword(ctx context.Context) (string, error) {
	if c.DAV.PasswordCommand != "" {
		return runPasswordCommand(ctx, c.DAV.PasswordCommand)
	}
	if p := os.Getenv(davPasswordEnv); p != "" {
		return p, nil
	}
	return storedSecret(davSecret, "DAV password")
}

// runPasswordCommand runs cmd with sh and returns its first line of
// output. The command's text is never logged: it may hold a secret.
func runPasswordCommand(ctx context.Context, cmd string) (string, error) {
	var stderr bytes.Buffer
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return "", fmt.Errorf("password command failed: %w (%s)", err, strings.TrimSpace(stderr.String()))
	}
	line, _, _ := strings.Cut(string(out), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", errors.New("password command printed nothing")
	}
	return line, nil
}

// deviceID returns the configured device id, or the one made for the
// account on its first run (newDeviceID: derived from the machine id, so
// the same again if the state directory is lost) and kept in its state
// directory. It is never replaced: each new one costs a device
// partnership on the server.
func (a *accountConfig) deviceID() (string, error) {
	if a.DeviceID != "" {
		return a.DeviceID, nil
	}
	path := filepath.Join(a.StateDir, "device_id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("account %q: reading device id: %w", a.Name, err)
	}
	id, err := newDeviceID(a.Name + "\x00" + a.StateDir)
	if err != nil {
		return "", fmt.Errorf("account %q: %w", a.Name, err)
	}
	if err := os.MkdirAll(a.StateDir, 0o700); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return id, nil
}
