package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
	"github.com/easbridge/easbridge/secret"
)

// errWiped reports an account that the server wiped remotely.
var errWiped = errors.New("the Exchange server wiped this account remotely")

// accountGuard stops one account when the server demands what easbridge
// must not go on with: a security policy it cannot honour, or a remote
// wipe (MS-ASPROV 3.1.5.1.2.2). The engine alone would retry forever.
type accountGuard struct {
	name string
	dirs []string
	base *http.Client

	once   sync.Once
	stop   chan struct{}
	mu     sync.Mutex
	reason error
	wipe   bool
	// wipeTag is the element the server asked with: RemoteWipe, or
	// AccountOnlyRemoteWipe (16.1, MS-ASPROV 2.2.2.1); the acknowledgement
	// uses the same one.
	wipeTag wbxml.Tag
}

// guardAccount makes cfg report what easbridge is, refuse policies it
// cannot honour and notice a remote wipe; the returned guard says when to
// stop the account.
func guardAccount(cfg *eas.Config, ac accountConfig) *accountGuard {
	g := &accountGuard{name: ac.Name, dirs: []string{ac.StateDir, ac.Maildir}, base: cfg.HTTPClient, stop: make(chan struct{})}
	if g.base == nil {
		g.base = &http.Client{}
	}
	if cfg.DeviceInformation == nil {
		cfg.DeviceInformation = deviceInformation("easbridge on " + hostname())
	}
	accept := policyAcceptor(ac.Name, ac.StateDir, ac.Maildir)
	cfg.AcceptPolicy = func(ctx context.Context, p *eas.Policy) error {
		err := accept(ctx, p)
		if err != nil {
			g.halt(err, false)
		}
		return err
	}
	hc := *g.base
	hc.Transport = &wipeSpotter{next: transportOf(g.base), guard: g}
	cfg.HTTPClient = &hc
	return g
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// halt stops the account for reason; the first reason wins.
func (g *accountGuard) halt(reason error, wipe bool) {
	g.once.Do(func() {
		g.mu.Lock()
		g.reason, g.wipe = reason, wipe
		g.mu.Unlock()
		close(g.stop)
	})
}

// stopped returns why the account stopped, and whether for a wipe.
func (g *accountGuard) stopped() (error, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason, g.wipe
}

// wipeSpotter watches Provision answers for RemoteWipe.
type wipeSpotter struct {
	next  http.RoundTripper
	guard *accountGuard
}

func (w *wipeSpotter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	if err != nil || req.URL.Query().Get("Cmd") != "Provision" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	if n, perr := wbxml.Parse(bytes.NewReader(body)); perr == nil && n.Tag == wbxml.ProvisionProvision {
		for _, c := range n.Children {
			if c.Tag == wbxml.ProvisionRemoteWipe || c.Tag == wbxml.ProvisionAccountOnlyRemoteWipe {
				w.guard.mu.Lock()
				if w.guard.wipeTag == 0 {
					w.guard.wipeTag = c.Tag
				}
				w.guard.mu.Unlock()
				w.guard.halt(errWiped, true)
			}
		}
	}
	return resp, nil
}

// acknowledgeWipe tells the server the wipe is done, with the element
// the server asked with (MS-ASPROV 3.1.5.1.2.2).
func (g *accountGuard) acknowledgeWipe(ctx context.Context, c *eas.Client) error {
	g.mu.Lock()
	accountOnly := g.wipeTag == wbxml.ProvisionAccountOnlyRemoteWipe
	g.mu.Unlock()
	return c.AcknowledgeWipe(ctx, accountOnly)
}

// wipeAccount acknowledges the wipe, then deletes the account's state
// directory (store, DAV data, device id), its Maildir and its stored
// password, logging each thing removed. Directories that also hold
// anything else easbridge knows of (the home directory, another
// account's directories, the configuration) are refused, not emptied.
func wipeAccount(ctx context.Context, a *account, protect []string, log *slog.Logger) error {
	ac := a.cfg
	if err := a.guard.acknowledgeWipe(ctx, a.client); err != nil {
		log.Error("remote wipe not acknowledged, wiping anyway", "account", ac.Name, "err", err)
	} else {
		log.Warn("remote wipe acknowledged to the server", "account", ac.Name)
	}
	if a.store != nil {
		a.close()
		a.store = nil
	}
	var errs []error
	for _, dir := range []string{ac.StateDir, ac.Maildir} {
		if err := wipeDir(dir, protect, ac.Name, log); err != nil {
			errs = append(errs, err)
		}
	}
	if st, _, err := openSecrets(); err == nil {
		if err := st.Delete(secretService, accountSecret(ac.Name)); err == nil {
			log.Warn("remote wipe removed the stored password", "account", ac.Name)
		} else if !errors.Is(err, secret.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// wipeDir removes dir and everything in it, logging each entry, after
// checking that dir holds nothing it must not touch.
func wipeDir(dir string, protect []string, name string, log *slog.Logger) error {
	if err := safeToWipe(dir, protect); err != nil {
		log.Error("remote wipe refused a directory", "account", name, "dir", dir, "err", err)
		return err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remote wipe: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remote wipe: %w", err)
		}
		log.Warn("remote wipe removed", "account", name, "path", p)
	}
	if err := os.Remove(dir); err != nil {
		return fmt.Errorf("remote wipe: %w", err)
	}
	log.Warn("remote wipe removed", "account", name, "path", dir)
	return nil
}

// safeToWipe refuses a directory that is relative, the root, the home
// directory or one of its ancestors, or that contains (or is) a protected
// path.
func safeToWipe(dir string, protect []string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%s is not an absolute path", dir)
	}
	dir = filepath.Clean(dir)
	home, _ := os.UserHomeDir()
	if dir == "/" || (home != "" && isWithin(filepath.Clean(home), dir)) {
		return fmt.Errorf("%s is the home directory or holds it", dir)
	}
	for _, p := range protect {
		if p != "" && isWithin(filepath.Clean(p), dir) {
			return fmt.Errorf("%s holds %s, which is not this account's", dir, p)
		}
	}
	return nil
}

// isWithin reports whether p is dir or below it.
func isWithin(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// accountStops runs the accounts' engines under their guards and ends
// run when every account has stopped for good.
type accountStops struct {
	mu      sync.Mutex
	left    int
	stopRun context.CancelFunc
	protect map[string][]string // per account: paths its wipe must not touch
	stderr  io.Writer
}

// newAccountStops prepares the guards' bookkeeping for cfg, read from
// cfgPath.
func newAccountStops(cfg *config, cfgPath string, stopRun context.CancelFunc, stderr io.Writer) *accountStops {
	s := &accountStops{left: len(cfg.Accounts), stopRun: stopRun, protect: map[string][]string{}, stderr: stderr}
	for _, a := range cfg.Accounts {
		s.protect[a.Name] = protectedPaths(cfg, cfgPath, a.Name)
	}
	return s
}

// protectedPaths are what a wipe of account name must not touch: the
// configuration and every other account's directories.
func protectedPaths(cfg *config, cfgPath, name string) []string {
	abs, _ := filepath.Abs(cfgPath)
	list := []string{abs}
	for _, o := range cfg.Accounts {
		if o.Name != name {
			list = append(list, o.StateDir, o.Maildir)
		}
	}
	return list
}

// guardOutcome finishes a one-shot sync (sync --once) that failed: when
// the guard stopped the account, a remote wipe is carried out and the
// guard's reason is what the user reads.
func guardOutcome(ctx context.Context, a *account, protect []string, log *slog.Logger, err error) error {
	reason, wipe := a.guard.stopped()
	if reason == nil {
		return err
	}
	if wipe {
		if werr := wipeAccount(ctx, a, protect, log); werr != nil {
			return fmt.Errorf("%w; the wipe is incomplete: %w", reason, werr)
		}
		return fmt.Errorf("%w: its local data was deleted and the wipe acknowledged", reason)
	}
	return reason
}

// run runs one account until ctx ends or its guard stops it.
func (s *accountStops) run(ctx context.Context, a *account, log *slog.Logger) {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.engine.Run(ectx) }()
	select {
	case err := <-done:
		if err != nil {
			log.Error("engine stopped", "account", a.cfg.Name, "err", err)
		}
		return
	case <-a.guard.stop:
		cancel()
		<-done
	}
	reason, wipe := a.guard.stopped()
	if wipe {
		log.Warn("remote wipe requested by the server", "account", a.cfg.Name)
		if err := wipeAccount(context.WithoutCancel(ctx), a, s.protect[a.cfg.Name], log); err != nil {
			log.Error("remote wipe incomplete", "account", a.cfg.Name, "err", err)
		}
	}
	log.Error("account stopped", "account", a.cfg.Name, "err", reason)
	msg := fmt.Sprintf("account %q stopped: %v", a.cfg.Name, reason)
	if pe := (*policyError)(nil); errors.As(reason, &pe) {
		msg = pe.Error() + " (the account is stopped)"
	}
	fmt.Fprintf(s.stderr, "easbridge run: %s\n", msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left--; s.left == 0 {
		s.stopRun()
	}
}

// exitCode is 1 when every account stopped for good, else 0.
func (s *accountStops) exitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left == 0 {
		return 1
	}
	return 0
}
