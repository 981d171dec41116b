package imapd

import (
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-imap/v2/imapserver"
)

// Group serves the Servers of several accounts on one listener: the user
// name given at LOGIN (or AUTHENTICATE PLAIN) picks the account, so each
// account's name logs into its own Maildir. The Servers' own Listen
// addresses are not used.
type Group struct {
	servers []*Server
	imap    *imapserver.Server
}

// NewGroup makes a Group of servers, whose user names must differ.
func NewGroup(servers ...*Server) (*Group, error) {
	if len(servers) == 0 {
		return nil, errors.New("imapd: a group needs at least one server")
	}
	users := make(map[string]*Server, len(servers))
	for _, s := range servers {
		if users[s.cfg.User] != nil {
			return nil, fmt.Errorf("imapd: user %q appears twice in a group", s.cfg.User)
		}
		users[s.cfg.User] = s
	}
	return &Group{servers: servers, imap: newProtocol(servers[0], users)}, nil
}

// Serve accepts connections on ln until Close.
func (g *Group) Serve(ln net.Listener) error {
	if err := g.imap.Serve(corkListener{ln}); err != nil {
		return fmt.Errorf("imapd: serving: %w", err)
	}
	return nil
}

// Close closes the listeners, every connection and every Server.
func (g *Group) Close() error {
	err := g.imap.Close()
	for _, s := range g.servers {
		s.Close()
	}
	return err
}
