package smtpd

import (
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-smtp"
)

// Group serves the Servers of several accounts on one listener: the user
// name given at AUTH picks the account, whose Sender and Spool take the
// message. The first Server's limits apply to the connection before AUTH.
type Group struct {
	smtp *smtp.Server
}

// NewGroup makes a Group of servers, whose user names must differ.
func NewGroup(servers ...*Server) (*Group, error) {
	if len(servers) == 0 {
		return nil, errors.New("smtpd: a group needs at least one server")
	}
	users := make(map[string]*Server, len(servers))
	for _, s := range servers {
		if users[s.cfg.User] != nil {
			return nil, fmt.Errorf("smtpd: user %q appears twice in a group", s.cfg.User)
		}
		users[s.cfg.User] = s
	}
	return &Group{smtp: newProtocol(servers[0], users)}, nil
}

// Serve accepts connections on ln until Close.
func (g *Group) Serve(ln net.Listener) error {
	if err := g.smtp.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("smtpd: serving: %w", err)
	}
	return nil
}

// Close closes the listeners and connections.
func (g *Group) Close() error { return g.smtp.Close() }
