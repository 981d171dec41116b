package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/easbridge/easbridge/launchd"
	"github.com/easbridge/easbridge/systemd"
)

// serviceFile is one file install writes.
type serviceFile struct {
	path string
	data []byte
	mode fs.FileMode
}

// servicePath is the unit or plist install writes.
func (e *serviceEnv) servicePath() string {
	if e.goos == "darwin" {
		return filepath.Join(e.home, "Library", "LaunchAgents", launchd.FileName(launchd.DefaultLabel))
	}
	return filepath.Join(e.configHome, "systemd", "user", systemd.UnitName)
}

func (e *serviceEnv) renderService(cfg string) ([]serviceFile, error) {
	if e.goos == "darwin" {
		logDir := filepath.Join(e.home, "Library", "Logs")
		if err := os.MkdirAll(logDir, 0o700); err != nil {
			return nil, fmt.Errorf("creating %s: %w", logDir, err)
		}
		b, err := launchd.Render(launchd.Agent{
			Binary: e.binary, Config: cfg, LogPath: filepath.Join(logDir, "easbridge.log"),
		})
		if err != nil {
			return nil, err
		}
		return []serviceFile{{e.servicePath(), b, 0o644}}, nil
	}
	b, err := systemd.Render(systemd.Unit{Binary: e.binary, Config: cfg})
	if err != nil {
		return nil, err
	}
	return []serviceFile{{e.servicePath(), b, 0o644}}, nil
}

func (e *serviceEnv) launchdDomain() string { return "gui/" + strconv.Itoa(e.uid) }

// activateHint is the command that does what activate does, for a user
// to run later.
func (e *serviceEnv) activateHint(path string) string {
	if e.goos == "darwin" {
		return "launchctl bootstrap " + e.launchdDomain() + " " + shellQuote(path)
	}
	return "systemctl --user daemon-reload && systemctl --user enable --now " + systemd.UnitName
}

func shellQuote(s string) string {
	if !strings.ContainsAny(s, " '\"\\$`!*?;&|<>()") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (e *serviceEnv) activate(ctx context.Context, path string) error {
	if e.goos == "darwin" {
		// A loaded job keeps its old definition: unload it first (an
		// error here only means it was not loaded).
		_, _ = e.run(ctx, "launchctl", "bootout", e.launchdDomain()+"/"+launchd.DefaultLabel)
		if out, err := e.run(ctx, "launchctl", "bootstrap", e.launchdDomain(), path); err != nil {
			return fmt.Errorf("%w: launchctl bootstrap: %v: %s\nthe agent is in %s; to load it later run:\n  %s",
				errNotActivated, err, strings.TrimSpace(string(out)), path, e.activateHint(path))
		}
		fmt.Fprintf(e.stdout, "loaded %s in %s; it starts at every login\n", launchd.DefaultLabel, e.launchdDomain())
		return nil
	}
	if out, err := e.run(ctx, "systemctl", "--user", "daemon-reload"); err != nil {
		return fmt.Errorf("%w: `systemctl --user` cannot reach your user service manager (%v: %s); "+
			"this happens without a login session (su, ssh without lingering, containers).\n"+
			"the unit is in %s; in a session with a user manager run:\n  %s\n"+
			"to start it at boot without a login, also run: loginctl enable-linger",
			errNotActivated, err, strings.TrimSpace(string(out)), path, e.activateHint(path))
	}
	if out, err := e.run(ctx, "systemctl", "--user", "enable", "--now", systemd.UnitName); err != nil {
		return fmt.Errorf("systemctl --user enable --now %s: %v: %s\nsee: journalctl --user -u easbridge",
			systemd.UnitName, err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(e.stdout, "enabled and started %s; logs: journalctl --user -u easbridge\n", systemd.UnitName)
	return nil
}

// deactivate stops and disables the service before its files go.
func (e *serviceEnv) deactivate(ctx context.Context) error {
	if e.goos == "darwin" {
		out, err := e.run(ctx, "launchctl", "bootout", e.launchdDomain()+"/"+launchd.DefaultLabel)
		if err != nil && !strings.Contains(string(out), "No such process") && !strings.Contains(string(out), "Could not find") {
			return fmt.Errorf("%w: launchctl bootout: %v: %s", errNotActivated, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	out, err := e.run(ctx, "systemctl", "--user", "disable", "--now", systemd.UnitName)
	if err == nil {
		return nil
	}
	// Without a user manager, enable's symlink would dangle once the unit
	// is gone: remove it, but only when it points at our unit.
	link := filepath.Join(e.configHome, "systemd", "user", "default.target.wants", systemd.UnitName)
	if target, lerr := os.Readlink(link); lerr == nil && target == e.servicePath() {
		if rerr := os.Remove(link); rerr == nil {
			fmt.Fprintf(e.stdout, "removed %s\n", link)
		}
	}
	return fmt.Errorf("%w: systemctl --user disable --now: %v: %s; if easbridge still runs under a user manager, "+
		"run there: systemctl --user stop %s", errNotActivated, err, strings.TrimSpace(string(out)), systemd.UnitName)
}

func (e *serviceEnv) status(ctx context.Context) error {
	path := e.servicePath()
	m, err := e.loadManifest()
	if err != nil {
		return err
	}
	owned, _ := m.owns(path)
	switch {
	case owned:
		fmt.Fprintf(e.stdout, "installed: yes (%s)\n", path)
	case fileExists(path):
		fmt.Fprintf(e.stdout, "installed: a file not written by easbridge is at %s\n", path)
	default:
		fmt.Fprintf(e.stdout, "installed: no (easbridge service install)\n")
	}
	if e.goos == "darwin" {
		out, err := e.run(ctx, "launchctl", "print", e.launchdDomain()+"/"+launchd.DefaultLabel)
		if err != nil {
			fmt.Fprintln(e.stdout, "loaded: no")
			return nil
		}
		state := "unknown"
		for _, l := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), " = "); ok && k == "state" {
				state = v
				break
			}
		}
		fmt.Fprintf(e.stdout, "loaded: yes\nstate: %s\n", state)
		return nil
	}
	for _, q := range []struct{ label, verb string }{{"enabled", "is-enabled"}, {"active", "is-active"}} {
		// is-enabled and is-active exit non-zero for "disabled" and
		// "inactive": the printed word is the answer.
		out, err := e.run(ctx, "systemctl", "--user", q.verb, systemd.UnitName)
		word := strings.TrimSpace(string(out))
		if err != nil && (word == "" || strings.Contains(word, "Failed to connect")) {
			if word == "" {
				word = err.Error()
			}
			word = "unknown (systemctl --user not reachable: " + firstLine(word) + ")"
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", q.label, firstLine(word))
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
