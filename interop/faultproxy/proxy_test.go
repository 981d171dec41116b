package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// upstream is a fake EAS server that counts the requests it applied and
// echoes their body with a fixed prefix.
type upstream struct {
	applied atomic.Int64
	srv     *httptest.Server
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.applied.Add(1)
		w.Header().Set("X-Cmd", r.URL.Query().Get("Cmd"))
		w.Header().Set("Connection", "keep-alive")
		w.Write([]byte("answer:" + r.Method + ":" + string(body) + strings.Repeat("x", 1000)))
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// syncBuffer is a log the handler goroutines write while the test reads
// it (the proxy writes a fault's line before the client can see it).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs a proxy in front of up with rates, returning its URL.
func start(t *testing.T, up *upstream, r Rates, log io.Writer) (*Proxy, string) {
	t.Helper()
	target, _ := url.Parse(up.srv.URL)
	p, err := New(Config{Target: target, Seed: 7, Rates: r, MaxDelay: 20 * time.Millisecond, RetryAfter: 3, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	return p, ps.URL
}

// client never reuses connections, so a dropped one cannot leak into the
// next request.
func client() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func post(t *testing.T, base string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := client().Post(base+"/Microsoft-Server-ActiveSync?Cmd=Sync&User=u", "application/vnd.ms-sync.wbxml", strings.NewReader("req"))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestFaults(t *testing.T) {
	full := "answer:POST:req" + strings.Repeat("x", 1000)
	tests := []struct {
		name    string
		rates   Rates
		applied int64 // requests the upstream saw
		check   func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{"pass", Rates{}, 1, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 200 || string(body) != full || resp.Header.Get("X-Cmd") != "Sync" {
				t.Errorf("pass-through: %v %v %q", err, resp, body)
			}
		}},
		{"drop before", Rates{DropBefore: 1}, 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Errorf("got an answer %d, want a closed connection", resp.StatusCode)
			}
		}},
		{"drop after", Rates{DropAfter: 1}, 1, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Errorf("got an answer %d, want a closed connection", resp.StatusCode)
			}
		}},
		{"503", Rates{Unavailable: 1}, 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "3" {
				t.Errorf("want 503 with Retry-After 3: %v %v", err, resp)
			}
		}},
		{"delay", Rates{Delay: 1}, 1, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || string(body) != full {
				t.Errorf("a delayed request must still pass: %v %q", err, body)
			}
		}},
		{"truncate", Rates{Truncate: 1}, 1, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if resp == nil {
				t.Fatalf("want headers, got %v", err)
			}
			if resp.ContentLength != int64(len(full)) {
				t.Errorf("Content-Length %d, want the full %d", resp.ContentLength, len(full))
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) >= len(full) || !strings.HasPrefix(full, string(body)) {
				t.Errorf("want a cut prefix and an unexpected EOF: %v, %d bytes", err, len(body))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t)
			var log syncBuffer
			p, base := start(t, up, tt.rates, &log)
			resp, body, err := post(t, base)
			tt.check(t, resp, body, err)
			if got := up.applied.Load(); got != tt.applied {
				t.Errorf("upstream applied %d requests, want %d", got, tt.applied)
			}
			st := p.Stats()
			if st.Requests != 1 {
				t.Errorf("counted %d requests, want 1", st.Requests)
			}
			faults := int64(0)
			for _, n := range st.Faults {
				faults += n
			}
			lines := strings.Count(log.String(), "\n")
			if tt.name == "pass" {
				if faults != 0 || lines != 0 {
					t.Errorf("pass-through logged %d faults: %q", faults, log.String())
				}
			} else if faults != 1 || lines != 1 || !strings.Contains(log.String(), " Sync ") {
				t.Errorf("want one counted and logged fault naming the command, got %d, %q", faults, log.String())
			}
		})
	}
}

// The schedule depends only on the seed: two proxies with the same seed
// inject the same faults in the same order.
func TestScheduleIsSeeded(t *testing.T) {
	r := Rates{DropBefore: 0.2, Unavailable: 0.2, Delay: 0.2}
	run := func() []Fault {
		target, _ := url.Parse("http://127.0.0.1:1")
		p, err := New(Config{Target: target, Seed: 99, Rates: r})
		if err != nil {
			t.Fatal(err)
		}
		var out []Fault
		for range 200 {
			out = append(out, p.decide(httptest.NewRequest("POST", "/?Cmd=Sync", nil)).fault)
		}
		return out
	}
	a, b := run(), run()
	seen := map[Fault]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %v then %v with the same seed", i, a[i], b[i])
		}
		seen[a[i]]++
	}
	for _, f := range []Fault{Pass, DropBefore, Unavailable, Delay} {
		if seen[f] == 0 {
			t.Errorf("%v never drawn in 200 requests: %v", f, seen)
		}
	}
	if seen[DropAfter]+seen[Truncate] != 0 {
		t.Errorf("faults with rate 0 drawn: %v", seen)
	}
}

func TestControl(t *testing.T) {
	up := newUpstream(t)
	p, base := start(t, up, Rates{Unavailable: 1}, nil)
	get := func(path string) Stats {
		resp, err := client().Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s Stats
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return s
	}
	if s := get(ControlPrefix + "faults?on=0"); s.On {
		t.Fatalf("faults still on: %+v", s)
	}
	resp, body, err := post(t, base)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(string(body), "answer:") {
		t.Fatalf("with faults off the request must pass: %v %v", err, resp)
	}
	get(ControlPrefix + "faults?on=1")
	if resp, _, _ := post(t, base); resp == nil || resp.StatusCode != 503 {
		t.Fatalf("with faults on again want 503, got %v", resp)
	}
	s := get(ControlPrefix + "stats")
	if s.Requests != 2 || s.Faults["503"] != 1 || !s.On || p.Stats().Requests != 2 {
		t.Errorf("stats %+v", s)
	}
	resp, err = client().Get(base + ControlPrefix + "faults?on=maybe")
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("a bad on value: %v %v", err, resp)
	}
}

func TestNewRejects(t *testing.T) {
	target, _ := url.Parse("http://127.0.0.1:1")
	for _, c := range []Config{
		{},
		{Target: target, Rates: Rates{DropBefore: 0.6, DropAfter: 0.6}},
		{Target: target, Rates: Rates{Delay: -0.1}},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// Commands limits the faults to the named EAS commands.
func TestCommands(t *testing.T) {
	up := newUpstream(t)
	target, _ := url.Parse(up.srv.URL)
	p, err := New(Config{Target: target, Rates: Rates{Unavailable: 1}, Commands: map[string]bool{"Ping": true}})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	defer ps.Close()
	if resp, _, err := post(t, ps.URL); err != nil || resp.StatusCode != 200 {
		t.Errorf("a Sync must pass when only Ping gets faults: %v %v", err, resp)
	}
	resp, err := client().Post(ps.URL+"/Microsoft-Server-ActiveSync?Cmd=Ping", "application/vnd.ms-sync.wbxml", strings.NewReader(""))
	if err != nil || resp.StatusCode != 503 {
		t.Errorf("a Ping must get the fault: %v %v", err, resp)
	}
	if err == nil {
		resp.Body.Close()
	}
}
