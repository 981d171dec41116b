package dav

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

// ListenAddr is the address the DAV server listens on unless configured
// otherwise: loopback only (DESIGN.md, local servers and security).
const ListenAddr = "127.0.0.1:5233"

// DefaultMaxObjectSize bounds a PUT body when Config.MaxObjectSize is 0.
const DefaultMaxObjectSize = 4 << 20

// The DAV compliance classes sent in every DAV header: WebDAV 1 and 3
// (RFC 4918 18), CalDAV (RFC 4791 5.1), CardDAV (RFC 6352 6.1) and
// extended MKCOL (RFC 5689 3). Class 2 is absent: there is no locking.
const davClasses = "1, 3, calendar-access, addressbook, extended-mkcol"

// allowMethods is the Allow header of OPTIONS.
const allowMethods = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCOL, MKCALENDAR"

// Config configures NewHandler.
type Config struct {
	// Backend holds the data; required.
	Backend Backend
	// User and Password are the only credentials accepted (HTTP Basic).
	// Both are required.
	User, Password string
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// MaxObjectSize bounds a PUT body in bytes (413 above it);
	// 0 means DefaultMaxObjectSize.
	MaxObjectSize int64
}

// Handler serves CalDAV and CardDAV for one user over a Backend.
//
// URL layout (all names are path segments, escaped in hrefs):
//
//	/                               root (answers PROPFIND for discovery)
//	/.well-known/caldav, .../carddav redirect to the principal (RFC 6764 5)
//	/principals/USER/               the principal
//	/calendars/USER/                calendar home set
//	/calendars/USER/COLL/NAME       calendar collection, object
//	/contacts/USER/                 address book home set
//	/contacts/USER/COLL/NAME        address book collection, object
type Handler struct {
	backend  Backend
	user     string
	userHash [32]byte
	passHash [32]byte
	log      *slog.Logger
	maxSize  int64
}

// NewHandler returns the DAV handler for cfg.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Backend == nil {
		return nil, errors.New("dav: config has no backend")
	}
	if cfg.User == "" || cfg.Password == "" {
		return nil, errors.New("dav: config needs a user and a password")
	}
	if strings.ContainsAny(cfg.User, "/:") {
		return nil, fmt.Errorf("dav: user name %q contains '/' or ':'", cfg.User)
	}
	h := &Handler{
		backend:  cfg.Backend,
		user:     cfg.User,
		userHash: sha256.Sum256([]byte(cfg.User)),
		passHash: sha256.Sum256([]byte(cfg.Password)),
		log:      cfg.Logger,
		maxSize:  cfg.MaxObjectSize,
	}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if h.maxSize <= 0 {
		h.maxSize = DefaultMaxObjectSize
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !loopbackHost(r.Host) {
		// DNS rebinding: a web page that resolves its own name to
		// 127.0.0.1 still sends its own name in Host.
		http.Error(w, "dav: requests must name a loopback host", http.StatusForbidden)
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="easbridge", charset="UTF-8"`)
		http.Error(w, "dav: authentication required", http.StatusUnauthorized)
		return
	}
	w.Header().Set("DAV", davClasses)
	if err := h.serve(w, r); err != nil {
		h.serveError(w, r, err)
	}
}

// authorized checks HTTP Basic credentials in constant time. Comparing
// hashes keeps the time independent of the lengths too.
func (h *Handler) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	uok := subtle.ConstantTimeCompare(u[:], h.userHash[:])
	pok := subtle.ConstantTimeCompare(p[:], h.passHash[:])
	return uok&pok == 1
}

// loopbackHost reports whether a Host header names this machine by a
// loopback name: localhost, 127.0.0.0/8 or ::1, with any port.
func loopbackHost(host string) bool {
	if host == "" {
		return false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodOptions {
		// Answered for any path, "*" included (RFC 9110 9.3.7): clients
		// probe capabilities before they know the layout.
		w.Header().Set("Allow", allowMethods)
		w.WriteHeader(http.StatusOK)
		return nil
	}
	t, err := h.parseTarget(r.URL.Path)
	if err != nil {
		return err
	}
	switch t.kind {
	case targetWellKnown:
		http.Redirect(w, r, h.principalPath(), http.StatusMovedPermanently)
		return nil
	}
	switch r.Method {
	case "PROPFIND":
		return h.propfind(w, r, t)
	case "PROPPATCH":
		return h.proppatch(w, r, t)
	case "REPORT":
		return h.report(w, r, t)
	case http.MethodGet, http.MethodHead:
		return h.get(w, r, t)
	case http.MethodPut:
		return h.put(w, r, t)
	case http.MethodDelete:
		return h.delete(w, r, t)
	case "MKCALENDAR", "MKCOL":
		return h.mkcol(w, r, t)
	}
	w.Header().Set("Allow", allowMethods)
	return httpErrorf(http.StatusMethodNotAllowed, "dav: method %s is not supported", r.Method)
}

// httpError is an error with the HTTP status the handler answers with,
// and optionally a DAV precondition element (RFC 4918 16) for the body.
type httpError struct {
	status int
	// cond is an element like "c:no-uid-conflict" (our fixed prefixes),
	// with inner XML; empty for a plain text answer.
	cond, condInner string
	msg             string
}

func (e *httpError) Error() string { return e.msg }

func httpErrorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// preconditionError is a DAV error answer with a precondition element.
func preconditionError(status int, cond, condInner, format string, args ...any) error {
	return &httpError{status: status, cond: cond, condInner: condInner, msg: fmt.Sprintf(format, args...)}
}

// serveError maps err to a status and writes a readable body.
func (h *Handler) serveError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: statusOf(err), msg: err.Error()}
		if errors.Is(err, ErrInvalidSyncToken) {
			he.cond = "d:valid-sync-token"
		}
	}
	if he.status >= 500 {
		h.log.Error("dav request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		h.log.Debug("dav request refused", "method", r.Method, "path", r.URL.Path, "status", he.status, "err", err)
	}
	if he.cond == "" {
		http.Error(w, he.msg, he.status)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(he.status)
	var b strings.Builder
	b.WriteString(xmlHeader)
	b.WriteString("<d:error" + nsDecls + "><" + he.cond + ">" + he.condInner + "</" + he.cond + ">")
	b.WriteString("<e:message>")
	escapeText(&b, he.msg)
	b.WriteString("</e:message></d:error>\n")
	io.WriteString(w, b.String())
}

// statusOf maps a Backend error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrPreconditionFailed):
		return http.StatusPreconditionFailed
	case errors.Is(err, ErrInvalidSyncToken), errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrExists):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrUIDConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}
