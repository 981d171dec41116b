package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/easbridge/easbridge/bridge"
)

// The control socket: `easbridge run` answers `easbridge status` over a
// Unix socket in the runtime directory with what only the running daemon
// knows (whether a Ping is outstanding, the last EAS exchange) beside
// what the store holds. The protocol is HTTP on the socket: GET
// /v1/status returns a daemonStatus as JSON. The socket's directory is
// 0700 and the socket 0600, so only the user reaches it.

// controlPath is the Unix socket of the daemon that runs the
// configuration at cfgPath: $XDG_RUNTIME_DIR/easbridge/, else a run/
// directory beside the first account's state. The name carries a hash of
// the configuration's path, so two daemons of two configurations (a demo
// beside the real one) do not meet.
func controlPath(cfgPath string, cfg *config) string {
	dir := ""
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		dir = filepath.Join(rt, "easbridge")
	} else {
		dir = filepath.Join(filepath.Dir(cfg.Accounts[0].StateDir), "run")
	}
	abs, err := filepath.Abs(cfgPath)
	if err != nil {
		abs = cfgPath
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, "control-"+hex.EncodeToString(sum[:6])+".sock")
}

// daemonStatus is the answer of GET /v1/status.
type daemonStatus struct {
	PID      int             `json:"pid"`
	Started  time.Time       `json:"started"`
	DAVURL   string          `json:"dav_url"`
	Accounts []accountStatus `json:"accounts"`
}

// liveStatus is what the daemon knows of one account beyond the store,
// observed on the wire to the EAS server.
type liveStatus struct {
	// PushLive is true while a Ping is outstanding: the server will tell
	// the bridge of changes at once.
	PushLive bool `json:"push_live"`
	// PingSince is when the outstanding Ping was sent.
	PingSince *time.Time `json:"ping_since,omitempty"`
	// LastPingEnd is when the last Ping returned.
	LastPingEnd *time.Time `json:"last_ping_end,omitempty"`
	// LastExchange is when the server last answered any request, and
	// LastCommand which command that was.
	LastExchange *time.Time `json:"last_exchange,omitempty"`
	LastCommand  string     `json:"last_command,omitempty"`
	// LastFailure is the last request that got no answer or an HTTP error,
	// cleared by the next answered one.
	LastFailure string `json:"last_failure,omitempty"`
	Requests    int    `json:"requests"`
}

// wireTracker is the HTTP transport of an account's EAS client that
// watches requests go by: it knows whether a Ping is outstanding, which
// the engine keeps to itself. It sees no bodies and keeps no header.
type wireTracker struct {
	next http.RoundTripper

	mu   sync.Mutex
	live liveStatus
	// pings counts outstanding Pings (one at a time in practice).
	pings int
}

func newWireTracker() *wireTracker { return &wireTracker{next: http.DefaultTransport} }

// client returns an HTTP client sending through the tracker.
func (w *wireTracker) client() *http.Client { return &http.Client{Transport: w} }

// RoundTrip implements http.RoundTripper.
func (w *wireTracker) RoundTrip(req *http.Request) (*http.Response, error) {
	cmd := req.URL.Query().Get("Cmd")
	start := time.Now().UTC()
	w.mu.Lock()
	w.live.Requests++
	if cmd == "Ping" {
		w.pings++
		w.live.PingSince = &start
	}
	w.mu.Unlock()
	resp, err := w.next.RoundTrip(req)
	end := time.Now().UTC()
	w.mu.Lock()
	defer w.mu.Unlock()
	if cmd == "Ping" {
		w.pings--
		w.live.LastPingEnd = &end
	}
	switch {
	case err != nil && req.Context().Err() != nil:
		// The engine cancelled it (a local change interrupts the Ping, or
		// shutdown): not the server's failure.
	case err != nil:
		w.live.LastFailure = fmt.Sprintf("%s at %s: no answer: %v", cmdName(cmd), end.Format(time.RFC3339), err)
	case resp.StatusCode >= 400:
		w.live.LastFailure = fmt.Sprintf("%s at %s: HTTP %s", cmdName(cmd), end.Format(time.RFC3339), resp.Status)
	default:
		w.live.LastFailure = ""
		w.live.LastExchange, w.live.LastCommand = &end, cmdName(cmd)
	}
	return resp, err
}

func cmdName(cmd string) string {
	if cmd == "" {
		return "OPTIONS"
	}
	return cmd
}

// snapshot returns the tracker's current view.
func (w *wireTracker) snapshot() *liveStatus {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.live
	l.PushLive = w.pings > 0
	if !l.PushLive {
		l.PingSince = nil
	}
	return &l
}

// controlServer serves the control socket of a running daemon.
type controlServer struct {
	srv  *http.Server
	path string
}

// startControl serves the control socket for accounts until close. A
// socket left by a daemon that died (kill -9) is removed; one a live
// daemon answers on is left alone and this daemon serves none (status
// then shows the other one). Failures are logged: the bridge runs on
// without a control socket.
func startControl(cfgPath string, cfg *config, accounts []*account, davURL string, log *slog.Logger) *controlServer {
	path := controlPath(cfgPath, cfg)
	ln, err := listenControl(path)
	if err != nil {
		log.Warn("control socket not served; status reads the store only", "path", path, "err", err)
		return nil
	}
	started := time.Now().UTC()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		ds := daemonStatus{PID: os.Getpid(), Started: started, DAVURL: davURL}
		for _, a := range accounts {
			s, err := bridge.ReadStatus(r.Context(), a.cfg.Name, a.store, a.mail)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			ds.Accounts = append(ds.Accounts, accountStatus{Status: s, DAVURL: davURL, Maildir: a.cfg.Maildir, Live: a.wire.snapshot()})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ds)
	})
	cs := &controlServer{path: path, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	go func() {
		if err := cs.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("control socket failed", "err", err)
		}
	}()
	log.Info("control socket listening", "path", path)
	return cs
}

// listenControl makes the socket's directory (0700) and listens on path
// (0600), replacing a stale socket file.
func listenControl(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, errors.New("another easbridge run of this configuration answers on the socket")
		}
		// Nobody listens: a daemon died without removing it.
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing the stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// close stops serving and removes the socket.
func (cs *controlServer) close() {
	if cs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = cs.srv.Shutdown(ctx)
}

// errNoDaemon means no daemon answers on the control socket; stale says
// that a socket file was there (a daemon killed without cleaning up).
type errNoDaemon struct{ stale bool }

func (e errNoDaemon) Error() string {
	if e.stale {
		return "no daemon answers (a stale control socket was left by one that stopped abruptly)"
	}
	return "no daemon is running"
}

// askDaemon asks the daemon running cfgPath for its status.
func askDaemon(ctx context.Context, cfgPath string, cfg *config) (*daemonStatus, error) {
	path := controlPath(cfgPath, cfg)
	if _, err := os.Lstat(path); err != nil {
		return nil, errNoDaemon{}
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://easbridge/v1/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && (errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)) {
			return nil, errNoDaemon{stale: true}
		}
		return nil, fmt.Errorf("asking the daemon: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("asking the daemon: %s", resp.Status)
	}
	var ds daemonStatus
	if err := json.NewDecoder(resp.Body).Decode(&ds); err != nil {
		return nil, fmt.Errorf("reading the daemon's answer: %w", err)
	}
	return &ds, nil
}

// daemonJSON is the "daemon" member of `status --json`.
func daemonJSON(ds *daemonStatus, err error) map[string]any {
	if err != nil {
		return map[string]any{"running": false, "note": err.Error()}
	}
	return map[string]any{"running": true, "pid": ds.PID, "started": ds.Started, "dav_url": ds.DAVURL}
}

// printDaemon prints whether a daemon answered and since when it runs.
func printDaemon(w io.Writer, ds *daemonStatus, err error) {
	if err != nil {
		fmt.Fprintf(w, "daemon: %v; read from the store\n", err)
		return
	}
	fmt.Fprintf(w, "daemon: running (pid %d, up %s, DAV %s)\n", ds.PID, time.Since(ds.Started).Round(time.Second), ds.DAVURL)
}

// printLive prints an account's push state as the daemon sees it.
func printLive(w io.Writer, l *liveStatus) {
	if l == nil {
		return
	}
	switch {
	case l.PushLive && l.PingSince != nil:
		fmt.Fprintf(w, "  push: live (Ping outstanding since %s)\n", ago(l.PingSince))
	case l.PushLive:
		fmt.Fprintln(w, "  push: live (Ping outstanding)")
	default:
		fmt.Fprintln(w, "  push: not live (no Ping outstanding: syncing, backing off, or polling)")
	}
	if l.LastExchange != nil {
		fmt.Fprintf(w, "  last answer from the server: %s (%s)\n", ago(l.LastExchange), l.LastCommand)
	}
	if l.LastFailure != "" {
		fmt.Fprintf(w, "  last failed request: %s\n", l.LastFailure)
	}
}

// printProgress prints the initial syncs under way, one folder each.
func printProgress(w io.Writer, folders []bridge.FolderStatus) {
	for _, f := range folders {
		if p := f.Progress; p != nil && !p.Complete {
			fmt.Fprintf(w, "  initial sync: %s %d of about %d\n", f.Name, p.Done, p.Estimate)
		}
	}
}
