package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is one kind of failure the proxy injects.
type Fault int

// The faults, in the order their rates are drawn.
const (
	Pass        Fault = iota // forwarded untouched
	DropBefore               // connection closed before the request reaches the server
	DropAfter                // server answered (and applied the request), client gets a closed connection
	Unavailable              // 503 with Retry-After, server never sees the request
	Delay                    // forwarded after a random pause
	Truncate                 // server's answer with its Content-Length but the body cut short
	numFaults
)

var faultNames = [numFaults]string{"pass", "drop-before", "drop-after", "503", "delay", "truncate"}

func (f Fault) String() string {
	if f < 0 || f >= numFaults {
		return "fault(" + strconv.Itoa(int(f)) + ")"
	}
	return faultNames[f]
}

// Rates gives the probability of each fault per request; their sum must
// not exceed 1 (the rest passes).
type Rates struct {
	DropBefore, DropAfter, Unavailable, Delay, Truncate float64
}

func (r Rates) list() [numFaults]float64 {
	return [numFaults]float64{0, r.DropBefore, r.DropAfter, r.Unavailable, r.Delay, r.Truncate}
}

// Config configures a Proxy.
type Config struct {
	// Target is the upstream base URL (scheme and host; a path is ignored,
	// the request's own path is forwarded).
	Target *url.URL
	// Seed makes the fault schedule reproducible.
	Seed uint64
	// Rates per fault kind.
	Rates Rates
	// MaxDelay bounds a Delay fault's pause (default 2 s).
	MaxDelay time.Duration
	// RetryAfter is the Retry-After of a 503, in seconds (default 1).
	RetryAfter int
	// Commands, when not empty, limits faults to requests of these EAS
	// commands (the Cmd query parameter; "OPTIONS" for OPTIONS).
	Commands map[string]bool
	// Log receives one line per injected fault; nil discards them.
	Log io.Writer
	// Keys receives the SyncKeys of every Sync answer (see logKeys);
	// nil discards them.
	Keys io.Writer
	// Transport reaches the target (nil: a plain http.Transport without
	// any environment proxy).
	Transport http.RoundTripper
}

// ControlPrefix starts the paths the proxy answers itself instead of
// forwarding: ControlPrefix+"faults?on=0|1" switches injection, and
// ControlPrefix+"stats" returns the counters as JSON.
const ControlPrefix = "/_faultproxy/"

// Proxy is an HTTP reverse proxy that injects faults on a seeded random
// schedule.
type Proxy struct {
	cfg Config
	on  atomic.Bool

	mu  sync.Mutex // guards rng and log writes
	rng *rand.Rand

	requests atomic.Int64
	counts   [numFaults]atomic.Int64
}

// New returns a Proxy for cfg with injection on.
func New(cfg Config) (*Proxy, error) {
	if cfg.Target == nil || cfg.Target.Host == "" {
		return nil, fmt.Errorf("faultproxy: a target URL with a host is required")
	}
	sum := 0.0
	for _, r := range cfg.Rates.list() {
		if r < 0 || r > 1 {
			return nil, fmt.Errorf("faultproxy: rate %v out of [0,1]", r)
		}
		sum += r
	}
	if sum > 1 {
		return nil, fmt.Errorf("faultproxy: the rates add up to %.3f, more than 1", sum)
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 2 * time.Second
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 1
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Transport == nil {
		cfg.Transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second}
	}
	p := &Proxy{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	p.on.Store(true)
	return p, nil
}

// SetFaults switches fault injection on or off (off: pure pass-through).
func (p *Proxy) SetFaults(on bool) { p.on.Store(on) }

// Stats are the proxy's counters.
type Stats struct {
	Requests int64            `json:"requests"`
	Faults   map[string]int64 `json:"faults"`
	On       bool             `json:"faults_on"`
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	s := Stats{Requests: p.requests.Load(), Faults: map[string]int64{}, On: p.on.Load()}
	for f := Pass + 1; f < numFaults; f++ {
		s.Faults[f.String()] = p.counts[f].Load()
	}
	return s
}

// decision is what happens to one request, drawn under the lock so the
// schedule depends only on the seed and the order of requests.
type decision struct {
	n     int64
	fault Fault
	delay time.Duration
	cut   float64 // fraction of the body a Truncate keeps, in [0,1)
}

func (p *Proxy) decide(r *http.Request) decision {
	d := decision{n: p.requests.Add(1)}
	p.mu.Lock()
	defer p.mu.Unlock()
	x := p.rng.Float64()
	d.delay = time.Duration(p.rng.Int64N(int64(p.cfg.MaxDelay)))
	d.cut = p.rng.Float64()
	if !p.on.Load() || (len(p.cfg.Commands) > 0 && !p.cfg.Commands[commandOf(r)]) {
		return d
	}
	acc := 0.0
	for f, r := range p.cfg.Rates.list() {
		acc += r
		if f > 0 && x < acc {
			d.fault = Fault(f)
			break
		}
	}
	return d
}

func (p *Proxy) logFault(d decision, r *http.Request, detail string) {
	p.counts[d.fault].Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.cfg.Log, "%s #%d %s %s %s %s\n", time.Now().UTC().Format("15:04:05.000"), d.n, d.fault,
		r.Method, commandOf(r), detail)
}

// commandOf names the request for the log: its EAS Cmd when it has one.
// The query also carries user and device names, nothing secret, but the
// command is all a reader needs.
func commandOf(r *http.Request) string {
	if c := r.URL.Query().Get("Cmd"); c != "" {
		return c
	}
	if r.Method == http.MethodOptions {
		return "OPTIONS"
	}
	return r.URL.Path
}

// ServeHTTP forwards r to the target, or injects the fault its draw picks.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, ControlPrefix) {
		p.control(w, r)
		return
	}
	d := p.decide(r)
	switch d.fault {
	case DropBefore:
		p.logFault(d, r, "")
		drop(w)
		return
	case Unavailable:
		p.logFault(d, r, "")
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Retry-After", strconv.Itoa(p.cfg.RetryAfter))
		http.Error(w, "service unavailable (injected)", http.StatusServiceUnavailable)
		return
	case Delay:
		p.logFault(d, r, d.delay.Round(time.Millisecond).String())
		select {
		case <-time.After(d.delay):
		case <-r.Context().Done():
			return
		}
	}
	resp, body, err := p.forward(r.Context(), r)
	if err != nil {
		if r.Context().Err() == nil {
			http.Error(w, "faultproxy: upstream: "+err.Error(), http.StatusBadGateway)
		}
		return
	}
	p.logKeys(r, resp, body)
	switch d.fault {
	case DropAfter:
		p.logFault(d, r, fmt.Sprintf("status %d, %d bytes lost", resp.StatusCode, len(body)))
		drop(w)
	case Truncate:
		keep := int(float64(len(body)) * d.cut)
		p.logFault(d, r, fmt.Sprintf("status %d, %d of %d bytes", resp.StatusCode, keep, len(body)))
		truncated(w, resp, body, keep)
	default:
		copyHeader(w.Header(), resp.Header)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}
}

// forward sends r to the target and reads the whole answer, so that the
// server has finished with the request before a fault decides what the
// client hears.
func (p *Proxy) forward(ctx context.Context, r *http.Request) (*http.Response, []byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the request: %w", err)
	}
	u := *p.cfg.Target
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	out, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	copyHeader(out.Header, r.Header)
	out.ContentLength = int64(len(body))
	resp, err := p.cfg.Transport.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	return resp, data, nil
}

// hopHeaders are connection-level headers a proxy must not forward
// (RFC 9110 7.6.1).
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Content-Length": true,
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if hopHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

// drop closes the client's connection without a response.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort the handler, which resets the stream.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // a reset, as a crashed middlebox gives
	}
	conn.Close()
}

// truncated writes resp's status and headers with the full body's
// Content-Length but only its first keep bytes, then closes the connection.
func truncated(w http.ResponseWriter, resp *http.Response, body []byte, keep int) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	h := http.Header{}
	copyHeader(h, resp.Header)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	h.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(body[:keep])
	buf.Flush()
}

// control answers the proxy's own endpoints.
func (p *Proxy) control(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, ControlPrefix) {
	case "faults":
		switch r.URL.Query().Get("on") {
		case "1", "true":
			p.SetFaults(true)
		case "0", "false":
			p.SetFaults(false)
		default:
			http.Error(w, "faultproxy: on must be 0 or 1", http.StatusBadRequest)
			return
		}
		fallthrough
	case "stats":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(p.Stats())
	default:
		http.NotFound(w, r)
	}
}
