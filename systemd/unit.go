// Package systemd renders the systemd user unit that `easbridge service
// install` writes, and speaks the service manager's notification protocol
// (sd_notify(3): READY, STOPPING, STATUS and the watchdog) with the
// standard library only.
package systemd

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

//go:embed easbridge.service.tmpl
var unitText string

var unitTemplate = template.Must(template.New("easbridge.service").Parse(unitText))

// UnitName is the file name of the user unit, under
// $XDG_CONFIG_HOME/systemd/user/.
const UnitName = "easbridge.service"

// Default intervals of a rendered unit.
const (
	DefaultWatchdog   = 2 * time.Minute
	DefaultRestartSec = 10 * time.Second
)

// Unit holds what a rendered unit depends on.
type Unit struct {
	// Binary is the absolute path of the easbridge executable.
	Binary string
	// Config is the absolute path of the configuration file.
	Config string
	// Watchdog is WatchdogSec=; zero means DefaultWatchdog.
	Watchdog time.Duration
	// RestartSec is RestartSec=; zero means DefaultRestartSec.
	RestartSec time.Duration
}

// Render returns the unit file text for u: Type=notify with a watchdog,
// restarted on failure, logging to the journal, running
// "<Binary> --config <Config> run".
func Render(u Unit) ([]byte, error) {
	if !filepath.IsAbs(u.Binary) || !filepath.IsAbs(u.Config) {
		return nil, fmt.Errorf("systemd: binary %q and config %q must be absolute paths", u.Binary, u.Config)
	}
	var args []string
	for _, a := range []string{u.Binary, "--config", u.Config, "run"} {
		q, err := quoteArg(a)
		if err != nil {
			return nil, err
		}
		args = append(args, q)
	}
	wd, rs := u.Watchdog, u.RestartSec
	if wd <= 0 {
		wd = DefaultWatchdog
	}
	if rs <= 0 {
		rs = DefaultRestartSec
	}
	if wd < time.Second || rs < time.Second {
		return nil, errors.New("systemd: watchdog and restart intervals must be at least a second")
	}
	var b bytes.Buffer
	err := unitTemplate.Execute(&b, map[string]any{
		"ExecStart":   strings.Join(args, " "),
		"WatchdogSec": int(wd / time.Second),
		"RestartSec":  int(rs / time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("systemd: rendering unit: %w", err)
	}
	return b.Bytes(), nil
}

// quoteArg quotes one ExecStart= word as systemd.service(5) "Command
// lines" parses it: double quotes around words with blanks or quotes,
// backslash escapes inside them, and "%" and "$" doubled so that neither
// specifier nor variable expansion applies to a path.
func quoteArg(s string) (string, error) {
	if s == "" {
		return "", errors.New("systemd: empty command-line word")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("systemd: control character in %q", s)
		}
	}
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "$", "$$")
	if !strings.ContainsAny(s, " \t\"'\\;") {
		return s, nil
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`, nil
}
