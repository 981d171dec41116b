package eastest

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// DefaultVersions are the protocol versions a Server advertises unless
// Config.Versions says otherwise.
var DefaultVersions = []string{"12.1", "14.0", "14.1", "16.0", "16.1"}

// DefaultCommands are the commands a Server advertises and serves unless
// Config.Commands says otherwise.
var DefaultCommands = []string{
	"Sync", "SendMail", "SmartForward", "SmartReply", "FolderSync", "FolderCreate",
	"FolderDelete", "FolderUpdate", "MoveItems", "GetItemEstimate", "MeetingResponse",
	"Search", "Settings", "Ping", "ItemOperations", "Provision",
}

// maxBody bounds a request body: larger requests get HTTP 413.
const maxBody = 64 << 20

// Config shapes a Server. The zero Config is usable.
type Config struct {
	// Versions lists the protocol versions advertised in OPTIONS and
	// accepted in MS-ASProtocolVersion (default DefaultVersions).
	Versions []string
	// Commands lists the commands advertised and served (default
	// DefaultCommands); others get HTTP 501.
	Commands []string
	// Policy, when not nil, makes provisioning mandatory: a command other
	// than Provision without the current policy key gets HTTP 449 (or, with
	// PolicyStatusInBody and version 14.0 or later, status 142/144 in the
	// response body, MS-ASPROV 3.2.5.1.2).
	Policy *Policy
	// PolicyStatusInBody answers a missing or stale policy key of a 14.0+
	// request with status 142/144 instead of HTTP 449.
	PolicyStatusInBody bool
	// Bearer, when not nil, accepts "Authorization: Bearer TOKEN": it
	// returns the name of the user the token belongs to.
	Bearer func(token string) (user string, ok bool)
	// MinHeartbeat and MaxHeartbeat bound Ping's HeartbeatInterval in
	// seconds (default 60 and 3540, MS-ASCMD 2.2.3.79.1); outside them
	// Ping answers status 5 with the bound.
	MinHeartbeat, MaxHeartbeat int
	// HeartbeatUnit is the length of one heartbeat "second" (default
	// time.Second); tests shorten it to make timeouts fast.
	HeartbeatUnit time.Duration
	// MaxPingFolders bounds the folders of one Ping (default 300); more
	// gets status 6.
	MaxPingFolders int
	// EmptySyncWhenUnchanged answers a Sync that has nothing to report
	// (no commands, current keys, no pending changes) with an empty 200
	// body and keeps the keys, as MS-ASCMD 2.2.1.21 allows and as
	// Exchange and SOGo do; by default such a Sync gets a full answer
	// with new keys.
	EmptySyncWhenUnchanged bool
	// ForgetClientIDs sends a message submitted again with a ClientId
	// already used, as a server that keeps no ClientIds does (MS-ASCMD
	// leaves recognising them to the server); by default the second
	// submission gets status 118 (MessagePreviouslySent).
	ForgetClientIDs bool
	// AutodiscoverURL is the ActiveSync URL that POX Autodiscover
	// (POST .../autodiscover/autodiscover.xml) hands out; by default the
	// server's own address.
	AutodiscoverURL string
	// AutodiscoverRedirect maps lower-case e-mail addresses to the
	// address Autodiscover redirects them to.
	AutodiscoverRedirect map[string]string
	// Now is the clock FilterType windows are measured against (default
	// time.Now).
	Now func() time.Time
}

// User is an account of the Server.
type User struct {
	Name        string // log-on name (also accepted: Email, DOMAIN\Name)
	Password    string
	Email       string
	DisplayName string
	FirstName   string
	LastName    string
	Phone       string
}

// Server is an in-memory EAS server. Create it with New; its methods are
// safe for concurrent use.
type Server struct {
	mu      sync.Mutex
	cfg     Config
	users   map[string]*user // by lower-case name and e-mail address
	seq     uint64           // last modification sequence number
	keys    uint64           // last SyncKey number handed out
	wake    chan struct{}    // closed and replaced on every change
	faults  []*Fault
	sent    []SentMessage
	replies []MeetingReply
	waiting int // requests inside waitFor, for tests
	reqs    int
}

// New returns a Server with the given configuration and no users.
func New(cfg Config) *Server {
	if len(cfg.Versions) == 0 {
		cfg.Versions = DefaultVersions
	}
	if len(cfg.Commands) == 0 {
		cfg.Commands = DefaultCommands
	}
	if cfg.MinHeartbeat == 0 {
		cfg.MinHeartbeat = 60
	}
	if cfg.MaxHeartbeat == 0 {
		cfg.MaxHeartbeat = 3540
	}
	if cfg.HeartbeatUnit == 0 {
		cfg.HeartbeatUnit = time.Second
	}
	if cfg.MaxPingFolders == 0 {
		cfg.MaxPingFolders = 300
	}
	return &Server{cfg: cfg, users: map[string]*user{}, wake: make(chan struct{})}
}

// Requests returns how many requests the server has received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs
}

// changed records a modification and wakes every waiting Ping and Sync.
// Callers hold s.mu.
func (s *Server) changed() uint64 {
	s.seq++
	s.broadcast()
	return s.seq
}

// broadcast wakes every waiting Ping and Sync. Callers hold s.mu.
func (s *Server) broadcast() {
	close(s.wake)
	s.wake = make(chan struct{})
}

func lower(s string) string { return strings.ToLower(s) }

// newKey returns a SyncKey never handed out before. Callers hold s.mu.
func (s *Server) newKey() string {
	s.keys++
	return "{" + strconv.FormatUint(s.keys, 10) + "}"
}

func (s *Server) lookupUser(name string) *user {
	name = strings.ToLower(name)
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	return s.users[name]
}

// request is one decoded EAS request.
type request struct {
	w        http.ResponseWriter
	r        *http.Request
	cmd      string
	q        query
	user     *user
	dev      *device
	version  eas.Version
	root     *wbxml.Node // nil for an empty or non-WBXML body
	body     []byte
	rfc822   bool // Content-Type message/rfc822 (SendMail & co. before 14.0)
	fault    *Fault
	waitDone <-chan struct{}
}

// ServeHTTP serves OPTIONS and POST on any path (MS-ASHTTP 2.2.1).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r)
	if err != nil && r.Method != http.MethodOptions {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.reqs++
	f := s.takeFault(q.cmd)
	s.mu.Unlock()
	if f != nil && f.apply(w, r) {
		return
	}
	name, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="eastest"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	u := s.lookupUser(name)
	s.mu.Unlock()
	if u == nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="eastest"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if isAutodiscover(r) && r.Method == http.MethodPost {
		s.autodiscover(w, r)
		return
	}
	s.setHeaders(w)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	req := &request{w: w, r: r, cmd: q.cmd, q: q, user: u, fault: f}
	if status, msg := s.prepare(req); status != 0 {
		http.Error(w, msg, status)
		return
	}
	s.dispatch(req)
}

func (s *Server) setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("MS-Server-ActiveSync", "15.20")
	h.Set("MS-ASProtocolVersions", strings.Join(s.cfg.Versions, ","))
	h.Set("MS-ASProtocolCommands", strings.Join(s.cfg.Commands, ","))
	h.Set("Cache-Control", "private")
}

// authenticate checks Basic credentials, or a bearer token through
// Config.Bearer, and returns the user name.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
		if s.cfg.Bearer == nil {
			return "", false
		}
		return s.cfg.Bearer(strings.TrimSpace(tok))
	}
	name, pass, ok := r.BasicAuth()
	if !ok {
		return "", false
	}
	s.mu.Lock()
	u := s.lookupUser(name)
	s.mu.Unlock()
	if u == nil || subtle.ConstantTimeCompare([]byte(pass), []byte(u.Password)) != 1 {
		return "", false
	}
	return name, true
}

// prepare checks version, command and device, reads the body and enforces
// the policy; it returns an HTTP status and message on failure.
func (s *Server) prepare(req *request) (int, string) {
	r := req.r
	vs := req.q.version
	if vs == "" {
		vs = r.Header.Get("MS-ASProtocolVersion")
	}
	if !contains(s.cfg.Versions, vs) {
		return http.StatusBadRequest, "unsupported MS-ASProtocolVersion " + strconv.Quote(vs)
	}
	v, err := eas.ParseVersion(vs)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	req.version = v
	if req.cmd == "" || !contains(s.cfg.Commands, req.cmd) {
		return http.StatusNotImplemented, "command not supported: " + strconv.Quote(req.cmd)
	}
	if req.q.deviceID == "" {
		return http.StatusBadRequest, "missing DeviceId"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return http.StatusBadRequest, "reading body: " + err.Error()
	}
	if len(body) > maxBody {
		return http.StatusRequestEntityTooLarge, "body too large"
	}
	req.body = body
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	req.rfc822 = strings.HasPrefix(ct, "message/rfc822")
	if len(body) > 0 && !req.rfc822 {
		root, err := wbxml.Parse(bytes.NewReader(body))
		if err != nil {
			return http.StatusBadRequest, "malformed WBXML: " + err.Error()
		}
		req.root = root
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req.dev = req.user.device(req.q.deviceID, req.q.deviceType)
	req.waitDone = r.Context().Done()
	return 0, ""
}

// dispatch runs the command handler and writes its answer.
func (s *Server) dispatch(req *request) {
	if f := req.fault; f != nil && f.Kind == FaultStatus {
		if _, ok := statusRoots[req.cmd]; !ok {
			http.Error(req.w, "injected fault", http.StatusInternalServerError)
			return
		}
		s.writeStatusOnly(req, f.Status)
		return
	}
	if req.cmd != "Provision" {
		if st := s.checkPolicy(req); st != 0 {
			if st == statusRetryWith {
				http.Error(req.w, "provisioning required", st)
				return
			}
			s.writeStatusOnly(req, st)
			return
		}
	}
	var resp *wbxml.Node
	var err error
	switch req.cmd {
	case "Provision":
		resp, err = s.provision(req)
	case "Settings":
		resp, err = s.settings(req)
	case "FolderSync":
		resp, err = s.folderSync(req)
	case "FolderCreate":
		resp, err = s.folderCreate(req)
	case "FolderUpdate":
		resp, err = s.folderUpdate(req)
	case "FolderDelete":
		resp, err = s.folderDelete(req)
	case "Sync":
		resp, err = s.sync(req)
	case "Ping":
		resp, err = s.ping(req)
	case "GetItemEstimate":
		resp, err = s.getItemEstimate(req)
	case "SendMail", "SmartReply", "SmartForward":
		resp, err = s.sendMail(req)
	case "MoveItems":
		resp, err = s.moveItems(req)
	case "ItemOperations":
		resp, err = s.itemOperations(req)
	case "MeetingResponse":
		resp, err = s.meetingResponse(req)
	case "Search":
		resp, err = s.search(req)
	default:
		err = &httpError{http.StatusNotImplemented, "command not implemented"}
	}
	if err != nil {
		var he *httpError
		if errors.As(err, &he) {
			http.Error(req.w, he.msg, he.status)
			return
		}
		http.Error(req.w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.write(req, resp)
}

// write encodes resp (nil: an empty 200 answer) and applies a truncation
// fault if one is pending for this request.
func (s *Server) write(req *request, resp *wbxml.Node) {
	if f := req.fault; f != nil && f.Kind == FaultDropAfter {
		dropConn(req.w)
		return
	}
	if resp == nil {
		req.w.WriteHeader(http.StatusOK)
		return
	}
	ctype := "application/vnd.ms-sync.wbxml"
	var b []byte
	var err error
	if req.cmd == "ItemOperations" && req.q.acceptMultiPart {
		ctype = "application/vnd.ms-sync.multipart"
		b, err = multipartBody(resp)
	} else {
		b, err = encode(resp)
	}
	if err != nil {
		http.Error(req.w, "eastest: encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if f := req.fault; f != nil && f.Kind == FaultTruncate {
		b = b[:f.cut(len(b))]
	}
	req.w.Header().Set("Content-Type", ctype)
	req.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	req.w.WriteHeader(http.StatusOK)
	_, _ = req.w.Write(b)
}

// httpError makes a handler answer with an HTTP status instead of WBXML.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.msg) }

func badRequest(msg string) error { return &httpError{http.StatusBadRequest, msg} }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
