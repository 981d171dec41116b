package imapd

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/easbridge/easbridge/maildir"
)

// Server is the IMAP server over one maildir.Store.
//
// Goroutines: the library runs one goroutine per connection, which calls
// our session methods. Folder state shared by sessions (UIDs, the
// library's mailbox tracker) lives in one mailbox per folder, under its
// own mutex; Notify and the idle poll refresh it from other goroutines.
type Server struct {
	cfg   Config
	store *maildir.Store
	log   *slog.Logger
	imap  *imapserver.Server
	ctx   context.Context
	stop  context.CancelFunc

	mu     sync.Mutex
	mboxes map[maildir.Folder]*mailbox
}

// New makes a server for store. It does not listen yet.
func New(store *maildir.Store, cfg Config) (*Server, error) {
	cfg.fill()
	if cfg.User == "" || cfg.Password == "" {
		return nil, errors.New("imapd: user and password are required")
	}
	if err := checkLoopback(cfg.Listen); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, store: store, log: cfg.Logger, ctx: ctx, stop: stop,
		mboxes: map[maildir.Folder]*mailbox{}}
	s.imap = newProtocol(s, nil)
	return s, nil
}

// newProtocol makes the protocol server whose sessions start on first
// and, when users is set, switch at LOGIN to the Server of that user.
func newProtocol(first *Server, users map[string]*Server) *imapserver.Server {
	return imapserver.New(&imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{srv: first, users: users, conn: c}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {},
			imap.CapSpecialUse: {}, imap.CapNamespace: {}, imap.CapChildren: {},
		},
		Logger: slogLogger{first.log},
		// Loopback only, no TLS: a password on the wire stays on this host.
		InsecureAuth: true,
	})
}

// Listen opens the configured address; pass the listener to Serve.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("imapd: listening on %s: %w", s.cfg.Listen, err)
	}
	return ln, nil
}

// Serve accepts connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.imap.Serve(corkListener{ln}); err != nil {
		return fmt.Errorf("imapd: serving: %w", err)
	}
	return nil
}

// Close closes the listeners and every connection.
func (s *Server) Close() error {
	s.stop()
	return s.imap.Close()
}

// Notify tells the server that folder f may have changed in the Store
// (a delivery by the engine, a watcher event): sessions that have it
// selected see the change at once, idling ones get it pushed.
func (s *Server) Notify(f maildir.Folder) {
	s.mu.Lock()
	mb := s.mboxes[f]
	s.mu.Unlock()
	if mb != nil {
		mb.kick()
	}
}

// HandleEvent is Notify for a watcher event, including both folders of a
// move or rename; the engine passes every maildir.Event here.
func (s *Server) HandleEvent(ev maildir.Event) {
	switch ev.Kind {
	case maildir.FolderRemoved, maildir.FolderRenamed:
		s.forget(ev.Folder)
		s.forget(ev.From)
	case maildir.Ready, maildir.Problem:
	default:
		s.Notify(ev.Folder)
		if ev.Kind == maildir.Moved {
			s.Notify(ev.From)
		}
	}
}

// mailbox returns the shared state of f, loading it on first use.
func (s *Server) mailbox(ctx context.Context, f maildir.Folder) (*mailbox, error) {
	s.mu.Lock()
	mb := s.mboxes[f]
	if mb == nil {
		mb = &mailbox{srv: s, folder: f}
		s.mboxes[f] = mb
	}
	s.mu.Unlock()
	if err := mb.load(ctx); err != nil {
		s.mu.Lock()
		if s.mboxes[f] == mb && !mb.loaded() {
			delete(s.mboxes, f)
		}
		s.mu.Unlock()
		return nil, err
	}
	return mb, nil
}

// forget drops the cached state of f and the folders below it (deleted or
// renamed): the next use reads their uid lists again.
func (s *Server) forget(f maildir.Folder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for g := range s.mboxes {
		if g == f || strings.HasPrefix(string(g), string(f)+".") {
			delete(s.mboxes, g)
		}
	}
}

// changed reports a change made over IMAP.
func (s *Server) changed(ev maildir.Event) {
	if s.cfg.Changed != nil {
		s.cfg.Changed(ev)
	}
}

// checkLogin compares in constant time, user name included, so a wrong
// user and a wrong password take the same time.
func (s *Server) checkLogin(user, pass string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.User))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Password))
	return u&p == 1
}

// slogLogger adapts the library's Printf logger; its messages carry
// dynamic text, so they go under one static message as "detail".
type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Printf(format string, args ...any) {
	l.l.Warn("imapd: protocol library", "detail", fmt.Sprintf(format, args...))
}

// checkLoopback refuses an address that is not on loopback: the server
// takes a password without TLS.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("imapd: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("imapd: listen address %q is not loopback; LOGIN without TLS is only safe on loopback", addr)
	}
	return nil
}
