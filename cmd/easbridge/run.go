package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/easbridge/easbridge/bridge"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/dav"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/internal/logx"
	"github.com/easbridge/easbridge/maildir"
)

var runCommand = command{"run the bridge in the foreground until SIGTERM or SIGINT", runBridge}

// account is one opened account: its store, Maildir and engine.
type account struct {
	cfg    accountConfig
	store  *store.Store
	mail   *maildir.Store
	client *eas.Client
	engine *bridge.Engine
	wire   *wireTracker  // watches the EAS requests for status (control.go)
	guard  *accountGuard // stops the account on a refused policy or a remote wipe (wipe.go)
}

func (a *account) close() {
	if a.store != nil {
		a.store.Close()
	}
}

// metaPolicyKey keeps the account's EAS policy key across runs.
const metaPolicyKey = "eas-policy-key"

// openAccount opens the account's state, Maildir and EAS client. The
// account's password is added to red before anything can log it.
func openAccount(ctx context.Context, ac accountConfig, log *slog.Logger, red *logx.Redactor) (*account, error) {
	if err := os.MkdirAll(ac.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("account %q: creating state directory: %w", ac.Name, err)
	}
	a := &account{cfg: ac}
	st, err := store.Open(ctx, filepath.Join(ac.StateDir, "state.db"), log)
	if err != nil {
		return nil, fmt.Errorf("account %q: %w", ac.Name, err)
	}
	a.store = st
	fail := func(err error) (*account, error) {
		a.close()
		return nil, fmt.Errorf("account %q: %w", ac.Name, err)
	}
	if a.mail, err = maildir.Open(ctx, ac.Maildir, maildir.Options{Logger: log}); err != nil {
		return fail(err)
	}
	creds, err := ac.credentials(ctx, log, red) // auth.go: Basic, or OAuth2 bearer tokens
	if err != nil {
		a.close()
		return nil, err
	}
	dev, err := ac.deviceID()
	if err != nil {
		return fail(err)
	}
	pk, _ := st.Meta(ctx, metaPolicyKey)
	a.wire = newWireTracker()
	ecfg := eas.Config{
		URL: ac.URL, User: ac.Username, Credentials: creds, Version: ac.protocolVersion(),
		DeviceID: dev, DeviceType: "easbridge", Logger: log, PolicyKey: pk, HTTPClient: a.wire.client(),
		OnPolicyKey: func(key string) { _ = st.SetMeta(context.Background(), metaPolicyKey, key) },
	}
	a.guard = guardAccount(&ecfg, ac)
	client, err := eas.New(ecfg)
	if err != nil {
		return fail(err)
	}
	a.client = client
	policy, _ := ac.policy()
	// Without time_zone the system's zone is the user's: all-day events
	// and zone-less blobs then land on the days the desktop shows.
	loc := time.Local
	if ac.TimeZone != "" {
		if loc, err = time.LoadLocation(ac.TimeZone); err != nil {
			return fail(fmt.Errorf("time_zone: %w", err))
		}
	}
	a.engine, err = bridge.New(bridge.Config{
		Name: ac.Name, Client: client, Store: st, Maildir: a.mail, Policy: policy,
		MailFilter: ages[ac.MailAge], CalendarFilter: ages[ac.CalendarAge], Local: loc, Self: ac.Email,
		SkipFolders: ac.SkipFolders,
		Logger:      log,
	})
	if err != nil {
		return fail(err)
	}
	return a, nil
}

// parseCommon parses the flags every account command takes.
func parseCommon(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*flag.FlagSet, *string, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", defaultConfigPath(), "configuration `file`")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, false
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "easbridge %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, nil, false
	}
	return fs, path, true
}

// runBridge runs every account's engine and the DAV server until ctx
// ends, then shuts down cleanly: the DAV server drains, each engine
// abandons its in-flight request (nothing is committed for it, so the
// next start repeats it with the same SyncKey and ClientIds).
func runBridge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var lo logOptions
	_, path, ok := parseCommon("run", args, stderr, lo.register)
	if !ok {
		return 2
	}
	red := &logx.Redactor{}
	log, err := lo.newLogger(stderr, red)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge run: %v\n", err)
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge run: %v\n", err)
		return 2
	}
	davPW, err := cfg.davPassword(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge run: %v\n", err)
		return 2
	}
	red.Add(davPW)
	var accounts []*account
	defer func() {
		for _, a := range accounts {
			a.close()
		}
	}()
	handlers := map[string]http.Handler{}
	for _, ac := range cfg.Accounts {
		ac.park = true // a refused OAuth sign-in waits for `easbridge login`
		a, err := openAccount(ctx, ac, log, red)
		if err != nil {
			fmt.Fprintf(stderr, "easbridge run: %v\n", err)
			return 1
		}
		accounts = append(accounts, a)
		h, err := dav.NewHandler(dav.Config{Backend: a.engine.DAV(), User: ac.Name, Password: davPW, Logger: log})
		if err != nil {
			fmt.Fprintf(stderr, "easbridge run: %v\n", err)
			return 1
		}
		handlers[ac.Name] = h
	}
	ln, err := net.Listen("tcp", cfg.DAV.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge run: dav listen: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: byUser(handlers, cfg.Accounts[0].Name), ReadHeaderTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("dav server failed", "err", err)
		}
	}()
	log.Info("dav server listening", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "http://%s/\n", ln.Addr().String())
	ctl := startControl(*path, cfg, accounts, fmt.Sprintf("http://%s/", ln.Addr()), log)
	defer ctl.close()
	mail, err := startMail(ctx, cfg, accounts, davPW, log)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge run: %v\n", err)
		return 1
	}
	defer mail.close()
	// Under systemd (Type=notify) start-up ends here: DAV answers and every
	// engine is about to run.
	notify := newDaemonNotifier(ctx, log, nil)
	notify.Ready(fmt.Sprintf("serving DAV on %s for %d account(s)", ln.Addr(), len(accounts)))

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	stops := newAccountStops(cfg, *path, stopRun, stderr)
	var wg sync.WaitGroup
	for _, a := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stops.run(runCtx, a, log)
		}()
	}
	<-runCtx.Done()
	notify.Stopping("shutting down")
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	mail.close()
	wg.Wait()
	log.Info("stopped")
	return stops.exitCode()
}

// byUser routes each DAV request to the account named by its Basic user
// name (every account is its own DAV principal); requests without one go
// to the first account, whose handler answers 401 with the challenge.
func byUser(handlers map[string]http.Handler, first string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _, _ := r.BasicAuth()
		h, ok := handlers[user]
		if !ok {
			h = handlers[first]
		}
		h.ServeHTTP(w, r)
	})
}
