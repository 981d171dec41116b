package eastest

import (
	"net/http"
	"strconv"
	"time"
)

// FaultKind names a kind of injected fault.
type FaultKind int

// The faults a Server can inject.
const (
	// FaultDrop hijacks the connection and closes it after writing part
	// of a response status line, so the client sees a broken response.
	FaultDrop FaultKind = iota + 1
	// FaultHTTP answers with Fault.Status (default 503) and, when set,
	// a Retry-After header of Fault.RetryAfter, before any processing.
	FaultHTTP
	// FaultProvision answers HTTP 449 (MS-ASHTTP 2.2.2.1.1), as if the
	// policy key were stale.
	FaultProvision
	// FaultDelay holds the request for Fault.Delay, then serves it.
	FaultDelay
	// FaultTruncate serves the request but cuts the WBXML body after
	// Fault.Keep bytes (default: half of it).
	FaultTruncate
	// FaultSyncStatus3 answers every collection of a Sync with status 3
	// (invalid SyncKey) and SyncKey 0, without applying anything.
	FaultSyncStatus3
	// FaultStatus answers with the command's root element holding only
	// Status = Fault.Status, such as the common statuses of MS-ASCMD
	// 2.2.2 (110 server error, 111 retry later, 142 not provisioned,
	// 177 too many devices); commands without a root Status get HTTP 500.
	FaultStatus
	// FaultDropAfter serves the request (its effects stay) and then
	// closes the connection without an answer: the client cannot tell
	// whether the server acted on it.
	FaultDropAfter
)

// Fault is one injected fault. It applies to the next Count requests
// (default 1) whose command is Command ("" for any, including OPTIONS).
type Fault struct {
	Kind       FaultKind
	Command    string
	Count      int
	Status     int           // FaultHTTP (HTTP status), FaultStatus (EAS status)
	RetryAfter time.Duration // FaultHTTP: Retry-After in whole seconds
	Header     http.Header   // FaultHTTP: extra headers (e.g. X-MS-Location for 451)
	Delay      time.Duration // FaultDelay
	Keep       int           // FaultTruncate: bytes kept
}

// Inject queues f; faults apply in the order they were injected.
func (s *Server) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first pending fault for cmd and uses up one of its
// count. Callers hold s.mu.
func (s *Server) takeFault(cmd string) *Fault {
	for i, f := range s.faults {
		if f.Command != "" && f.Command != cmd {
			continue
		}
		f.Count--
		if f.Count == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// apply performs the part of the fault that happens before the request is
// served; it reports whether the request is finished.
func (f *Fault) apply(w http.ResponseWriter, r *http.Request) bool {
	switch f.Kind {
	case FaultDrop:
		dropConn(w)
		return true
	case FaultHTTP:
		st := f.Status
		if st == 0 {
			st = http.StatusServiceUnavailable
		}
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		}
		http.Error(w, http.StatusText(st), st)
		return true
	case FaultProvision:
		http.Error(w, "provisioning required", statusRetryWith)
		return true
	case FaultDelay:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true
		}
	}
	return false
}

// dropConn hijacks the connection and closes it after writing part of a
// response, so the client sees a broken answer.
func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ms-sync.wbxml\r\nContent-Length: 1000\r\n\r\n\x03\x01")
	_ = buf.Flush()
	_ = conn.Close()
}

// cut returns how many of n bytes a FaultTruncate keeps.
func (f *Fault) cut(n int) int {
	if f.Keep > 0 && f.Keep < n {
		return f.Keep
	}
	if f.Keep == 0 {
		return n / 2
	}
	return n
}
