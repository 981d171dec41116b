package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// record is one line of the proxy's log.
type record struct {
	Start   int64       `json:"t"`  // Unix milliseconds
	Ms      float64     `json:"ms"` // until the response body ended
	Method  string      `json:"method"`
	Cmd     string      `json:"cmd"`
	Query   string      `json:"query"`
	Status  int         `json:"status"`
	ReqLen  int         `json:"req_bytes"`
	RespLen int64       `json:"resp_bytes"`
	Header  http.Header `json:"header,omitempty"`
	Body    []byte      `json:"body,omitempty"`
}

// proxy forwards requests to target and logs each.
type proxy struct {
	target *url.URL
	hc     *http.Client
	record bool
	mu     sync.Mutex
	log    *json.Encoder
}

func runProxy(args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	target := fs.String("target", "", "base URL of the server (scheme://host:port)")
	logPath := fs.String("log", "", "JSON lines log, one per request")
	rec := fs.Bool("record", false, "also log request headers (not Authorization) and bodies")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" || *logPath == "" {
		return errors.New("proxy needs -target URL and -log FILE")
	}
	f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the log: %w", err)
	}
	defer f.Close()
	p := &proxy{target: u, record: *rec, log: json.NewEncoder(f),
		hc: &http.Client{
			Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()
	srv := &http.Server{Handler: p}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the request", http.StatusBadRequest)
		return
	}
	out := *p.target
	out.Path, out.RawQuery = r.URL.Path, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, out.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	rec := record{Start: start.UnixMilli(), Method: r.Method, Cmd: r.URL.Query().Get("Cmd"), Query: r.URL.RawQuery, ReqLen: len(body)}
	if p.record {
		rec.Header = r.Header.Clone()
		rec.Header.Del("Authorization")
		rec.Body = body
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		rec.Status = http.StatusBadGateway
		if r.Context().Err() != nil {
			rec.Status = 499 // the client gave up first (a Ping the bridge interrupted), as nginx logs it
		}
		p.write(rec, start)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	rec.Status = resp.StatusCode
	rec.RespLen, _ = io.Copy(w, resp.Body)
	p.write(rec, start)
}

func (p *proxy) write(rec record, start time.Time) {
	rec.Ms = float64(time.Since(start).Microseconds()) / 1000
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log.Encode(rec)
}
