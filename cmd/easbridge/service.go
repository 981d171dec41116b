package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

var serviceCommand = command{"install, uninstall or show the login service (systemd user unit, launchd agent)", runService}

// runner runs one service manager command (systemctl, launchctl) and
// returns its combined output. Tests replace it; nothing else does.
type runner func(ctx context.Context, name string, args ...string) ([]byte, error)

func execRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// serviceEnv is what service install/uninstall/status depend on, so tests
// can aim them at a temporary home and another OS's layout.
type serviceEnv struct {
	goos       string
	home       string
	configHome string // $XDG_CONFIG_HOME, or ~/.config
	uid        int
	binary     string // the installed executable, symlinks resolved
	run        runner
	stdout     io.Writer
	stderr     io.Writer
}

func defaultServiceEnv(stdout, stderr io.Writer) (*serviceEnv, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("finding the home directory: %w", err)
	}
	cfgHome := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(cfgHome) { // the XDG spec says to ignore relative values
		cfgHome = filepath.Join(home, ".config")
	}
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil {
		return nil, fmt.Errorf("finding this executable: %w", err)
	}
	return &serviceEnv{
		goos: runtime.GOOS, home: home, configHome: cfgHome, uid: os.Getuid(),
		binary: bin, run: execRunner, stdout: stdout, stderr: stderr,
	}, nil
}

func runService(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env, err := defaultServiceEnv(stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge service: %v\n", err)
		return 1
	}
	return env.main(ctx, args)
}

// serviceFlags are the flags of every service subcommand.
type serviceFlags struct {
	config     string
	noActivate bool
}

func (e *serviceEnv) main(ctx context.Context, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(e.stderr, "usage: easbridge service install|uninstall|status [--config FILE] [--no-activate]")
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("service "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f serviceFlags
	fs.StringVar(&f.config, "config", serviceDefaultConfig(), "configuration `file` the service runs with")
	fs.BoolVar(&f.noActivate, "no-activate", false, "write or remove files only; do not call systemctl or launchctl")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "easbridge service %s: unexpected argument %q\n", sub, fs.Arg(0))
		return 2
	}
	if e.goos != "linux" && e.goos != "darwin" {
		fmt.Fprintf(e.stderr, "easbridge service: no service manager support on %s; run `easbridge run` from your session's start-up instead\n", e.goos)
		return 1
	}
	var err error
	switch sub {
	case "install":
		err = e.install(ctx, f)
	case "uninstall":
		err = e.uninstall(ctx, f)
	case "status":
		err = e.status(ctx)
	default:
		fmt.Fprintf(e.stderr, "easbridge service: unknown subcommand %q (install, uninstall, status)\n", sub)
		return 2
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "easbridge service %s: %v\n", sub, err)
		if errors.Is(err, errNotActivated) {
			return 3
		}
		return 1
	}
	return 0
}

// errNotActivated marks an install or uninstall whose files are done but
// whose service manager could not be reached.
var errNotActivated = errors.New("service manager not reachable")

func (e *serviceEnv) install(ctx context.Context, f serviceFlags) error {
	cfg, err := filepath.Abs(f.config)
	if err != nil {
		return fmt.Errorf("config path: %w", err)
	}
	if _, err := os.Stat(cfg); err != nil {
		return fmt.Errorf("config %s: %w (run `easbridge setup` first, or pass --config)", cfg, err)
	}
	if strings.Contains(e.binary, string(filepath.Separator)+"go-build") {
		fmt.Fprintf(e.stderr, "warning: %s looks like a `go run` binary that will be deleted; install easbridge first\n", e.binary)
	}
	files, err := e.renderService(cfg)
	if err != nil {
		return err
	}
	m, err := e.loadManifest()
	if err != nil {
		return err
	}
	for _, sf := range files {
		if err := m.write(sf.path, sf.data, sf.mode); err != nil {
			return err
		}
		if err := e.saveManifest(m); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", sf.path)
	}
	if f.noActivate {
		fmt.Fprintf(e.stdout, "not activated (--no-activate); to start it now run:\n  %s\n", e.activateHint(files[0].path))
		return nil
	}
	return e.activate(ctx, files[0].path)
}

func (e *serviceEnv) uninstall(ctx context.Context, f serviceFlags) error {
	m, err := e.loadManifest()
	if err != nil {
		return err
	}
	if len(m.Files) == 0 {
		if p := e.servicePath(); fileExists(p) {
			return fmt.Errorf("%s was not written by `easbridge service install` (no record in %s); remove it yourself if you want it gone", p, e.manifestPath())
		}
		fmt.Fprintln(e.stdout, "nothing to uninstall")
		return nil
	}
	var deactivateErr error
	if !f.noActivate {
		deactivateErr = e.deactivate(ctx)
	}
	if err := m.removeAll(e.stdout); err != nil {
		_ = e.saveManifest(m)
		return err
	}
	if err := os.Remove(e.manifestPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", e.manifestPath(), err)
	}
	if deactivateErr == nil && !f.noActivate && e.goos == "linux" {
		_, _ = e.run(ctx, "systemctl", "--user", "daemon-reload")
	}
	return deactivateErr
}

// serviceDefaultConfig is DESIGN.md's config location
// (os.UserConfigDir()/easbridge/config.toml).
func serviceDefaultConfig() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "config.toml"
	}
	return filepath.Join(dir, "easbridge", "config.toml")
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
