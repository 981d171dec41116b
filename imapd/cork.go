package imapd

import (
	"net"
	"sync"
)

// The protocol library flushes its buffered writer after every response
// line, so a FETCH of 1,000 messages costs 1,000 small writes, and the
// client as many reads (python's imaplib spends most of its time there).
// While our Fetch runs, a corked connection gathers those writes and sends
// them in blocks of corkBlock; the tagged completion that follows is
// written as usual, so nothing waits for a timer and IDLE pushes (written
// outside FETCH) go out at once.

// corkBlock is the size at which a corked connection writes anyway.
const corkBlock = 64 << 10

// corkListener wraps every accepted connection in a corkConn.
type corkListener struct{ net.Listener }

func (l corkListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &corkConn{Conn: c}, nil
}

// corkConn is a connection whose writes can be held back and batched.
type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

// Write writes through, or gathers while corked.
func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= corkBlock {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (c *corkConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	if cap(c.buf) > 4*corkBlock {
		c.buf = nil
	}
	return err
}

// cork starts gathering writes.
func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork sends what was gathered and writes through again.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.flushLocked()
}

// corked runs fn with the session's connection corked, when it is a
// corkConn.
func (s *session) corked(fn func() error) error {
	cc, ok := s.conn.NetConn().(*corkConn)
	if !ok {
		return fn()
	}
	cc.cork()
	err := fn()
	if uerr := cc.uncork(); err == nil {
		err = uerr
	}
	return err
}
