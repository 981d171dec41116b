// Command faultproxy is an HTTP reverse proxy on loopback that injects
// faults between easbridge and an EAS server, for interop/crash.sh: by a
// seeded random schedule it drops connections before forwarding, drops
// them after the server answered (the server applied the request, the
// client never heard: the hard case for sync keys), answers 503 with
// Retry-After, delays requests, and cuts response bodies short while
// keeping their Content-Length. Everything else passes through.
//
//	faultproxy -target http://127.0.0.1:25000 -seed 42 -drop-after 0.05 \
//	    -log faults.log -addr-file proxy.addr
//
// It prints its address (host:port) on stdout, or writes it to -addr-file.
// GET /_faultproxy/faults?on=0 turns it into a pure pass-through (on=1
// back), GET /_faultproxy/stats returns the counters as JSON. SIGINT or
// SIGTERM stop it; the counters go to stderr on exit.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
}

func run() error {
	target := flag.String("target", "", "upstream base URL, e.g. http://127.0.0.1:25000")
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	addrFile := flag.String("addr-file", "", "write the listening address here (default: stdout)")
	seed := flag.Uint64("seed", 1, "seed of the fault schedule")
	logPath := flag.String("log", "", "file that gets one line per injected fault")
	keysPath := flag.String("keys", "", "file that gets the SyncKeys of every Sync answer")
	off := flag.Bool("pass", false, "start with fault injection off")
	var r Rates
	flag.Float64Var(&r.DropBefore, "drop-before", 0.03, "rate of connections closed before forwarding")
	flag.Float64Var(&r.DropAfter, "drop-after", 0.05, "rate of connections closed after the server answered")
	flag.Float64Var(&r.Unavailable, "503", 0.03, "rate of 503 answers with Retry-After")
	flag.Float64Var(&r.Delay, "delay", 0.05, "rate of delayed requests")
	flag.Float64Var(&r.Truncate, "truncate", 0.04, "rate of answers cut short")
	maxDelay := flag.Duration("max-delay", 2*time.Second, "longest injected delay")
	retryAfter := flag.Int("retry-after", 1, "Retry-After seconds of a 503")
	commands := flag.String("commands", "", "comma-separated EAS commands that get faults (default: all requests)")
	flag.Parse()

	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-target %q is not an absolute URL", *target)
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", *listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: only loopback addresses", *listen)
	}
	cfg := Config{Target: u, Seed: *seed, Rates: r, MaxDelay: *maxDelay, RetryAfter: *retryAfter, Commands: map[string]bool{}}
	for _, c := range strings.Split(*commands, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cfg.Commands[c] = true
		}
	}
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("opening the log: %w", err)
		}
		defer f.Close()
		cfg.Log = f
	}
	if *keysPath != "" {
		f, err := os.OpenFile(*keysPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("opening the keys log: %w", err)
		}
		defer f.Close()
		cfg.Keys = f
	}
	p, err := New(cfg)
	if err != nil {
		return err
	}
	p.SetFaults(!*off)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return fmt.Errorf("writing the address: %w", err)
		}
	} else {
		fmt.Println(ln.Addr().String())
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		srv.Close()
	}()
	err = srv.Serve(ln)
	json.NewEncoder(os.Stderr).Encode(p.Stats())
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
