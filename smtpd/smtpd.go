package smtpd

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// DefaultListen is the default submission address: loopback, port 1587
// (587 needs privileges; 1587 is the customary unprivileged stand-in).
const DefaultListen = "127.0.0.1:1587"

// DefaultMaxMessageBytes bounds a message: 64 MiB.
const DefaultMaxMessageBytes = 64 << 20

// Sender sends one message. msg is the message as submitted; to is the
// envelope (which includes Bcc recipients that are not in the header:
// see AddBcc).
type Sender interface {
	Send(ctx context.Context, from string, to []string, msg io.Reader) error
}

// Spool keeps a message that could not be sent now, for a later attempt
// (in the daemon: a file in the Maildir outbox).
type Spool interface {
	Spool(ctx context.Context, from string, to []string, msg io.Reader) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, from string, to []string, msg io.Reader) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, from string, to []string, msg io.Reader) error {
	return f(ctx, from, to, msg)
}

// SpoolFunc adapts a function to Spool.
type SpoolFunc func(ctx context.Context, from string, to []string, msg io.Reader) error

// Spool calls f.
func (f SpoolFunc) Spool(ctx context.Context, from string, to []string, msg io.Reader) error {
	return f(ctx, from, to, msg)
}

// permanent marks an error as a refusal that retrying will not fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as permanent: the client gets a 5xx reply and the
// message is not spooled.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent says whether err (or an error it wraps) was marked
// Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Config configures a Server.
type Config struct {
	// Listen is the TCP address; default DefaultListen. It must be a
	// loopback address.
	Listen string
	// User is the only user name accepted (the account's name).
	User string
	// Password is the local password.
	Password string
	// Domain is the name in the greeting; default "localhost".
	Domain string
	// MaxMessageBytes bounds a message; default DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// MaxRecipients bounds RCPT TO per message; default 500.
	MaxRecipients int
	// SendTimeout bounds one Sender call; default 2 minutes.
	SendTimeout time.Duration
	// TempDir holds messages while they are handled; default os.TempDir.
	TempDir string
	// Logger receives problems; default slog.Default.
	Logger *slog.Logger
}

func (c *Config) fill() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Domain == "" {
		c.Domain = "localhost"
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = 500
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Server is the submission server.
type Server struct {
	cfg    Config
	sender Sender
	spool  Spool
	log    *slog.Logger
	smtp   *smtp.Server
}

// New makes a server; spool may be nil (then a temporary failure is a
// 451 to the client).
func New(cfg Config, sender Sender, spool Spool) (*Server, error) {
	cfg.fill()
	if cfg.User == "" || cfg.Password == "" || sender == nil {
		return nil, errors.New("smtpd: user, password and sender are required")
	}
	if err := checkLoopback(cfg.Listen); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, sender: sender, spool: spool, log: cfg.Logger}
	s.smtp = newProtocol(s, nil)
	return s, nil
}

// newProtocol makes the protocol server whose sessions start on first
// and, when users is set, switch at AUTH to the Server of that user.
func newProtocol(first *Server, users map[string]*Server) *smtp.Server {
	cfg := first.cfg
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: first, users: users}, nil
	}))
	srv.Addr = cfg.Listen
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = 5 * time.Minute
	srv.WriteTimeout = time.Minute
	// AUTH without TLS: acceptable only because checkLoopback holds.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = slogLogger{first.log}
	return srv
}

// checkLoopback refuses an address that is not on loopback: the server
// takes a password without TLS.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("smtpd: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("smtpd: listen address %q is not loopback; AUTH without TLS is only safe on loopback", addr)
	}
	return nil
}

// Listen opens the configured address; pass the listener to Serve.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("smtpd: listening on %s: %w", s.cfg.Listen, err)
	}
	return ln, nil
}

// Serve accepts connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.smtp.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("smtpd: serving: %w", err)
	}
	return nil
}

// Close closes the listeners and connections.
func (s *Server) Close() error { return s.smtp.Close() }

func (s *Server) checkLogin(user, pass string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.User))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Password))
	return u&p == 1
}

// session is one SMTP connection.
type session struct {
	srv    *Server
	users  map[string]*Server // by user name, in a Group; nil otherwise
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms offers PLAIN only.
func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth checks the local user and password.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		srv := s.srv
		if u := s.users[user]; u != nil {
			srv = u
		}
		if (identity != "" && identity != user) || !srv.checkLogin(user, pass) {
			s.srv.log.Info("smtpd: login refused")
			return smtp.ErrAuthFailed
		}
		s.srv, s.authed = srv, true
		return nil
	}), nil
}

// Mail starts a message; only after AUTH.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

// Rcpt adds a recipient.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.to = append(s.to, to)
	return nil
}

// Reset forgets the envelope.
func (s *session) Reset() { s.from, s.to = "", nil }

// Logout ends the session.
func (s *session) Logout() error { return nil }

// slogLogger adapts the library's logger to slog under a static message.
type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) {
	l.l.Warn("smtpd: protocol library", "detail", fmt.Sprintf(format, v...))
}

func (l slogLogger) Println(v ...any) {
	l.l.Warn("smtpd: protocol library", "detail", fmt.Sprint(v...))
}

// tempFile makes the file a message waits in.
func (s *Server) tempFile() (*os.File, error) {
	f, err := os.CreateTemp(s.cfg.TempDir, "easbridge-smtp-*")
	if err != nil {
		return nil, fmt.Errorf("smtpd: temp file: %w", err)
	}
	return f, nil
}
