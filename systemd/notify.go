package systemd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends state changes to the service manager over the datagram
// socket named by $NOTIFY_SOCKET (sd_notify(3)). The zero value and a nil
// *Notifier are valid and send nothing, so a daemon started outside systemd
// needs no special case.
type Notifier struct {
	addr *net.UnixAddr
}

// NewNotifier returns a Notifier for $NOTIFY_SOCKET, or nil when the
// variable is unset (not started by systemd with Type=notify).
func NewNotifier() *Notifier {
	return NotifierFor(os.Getenv("NOTIFY_SOCKET"))
}

// NotifierFor returns a Notifier for the socket name as systemd passes it:
// a file system path, or an abstract socket name starting with "@". It
// returns nil for an empty name.
func NotifierFor(name string) *Notifier {
	if name == "" {
		return nil
	}
	// The Go runtime maps a leading "@" to a leading NUL byte on Linux,
	// which is how the kernel names abstract sockets.
	return &Notifier{addr: &net.UnixAddr{Name: name, Net: "unixgram"}}
}

// Enabled reports whether n sends anything.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Notify sends one datagram of newline-separated VARIABLE=value
// assignments, such as "READY=1\nSTATUS=syncing".
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	if state == "" {
		return errors.New("systemd: empty notification")
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("systemd: connecting to notify socket: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("systemd: sending notification: %w", err)
	}
	return nil
}

// Ready tells the manager that start-up has finished, with a status line.
func (n *Notifier) Ready(status string) error {
	return n.Notify("READY=1\n" + statusLine(status))
}

// Stopping tells the manager that an orderly shutdown has begun.
func (n *Notifier) Stopping(status string) error {
	return n.Notify("STOPPING=1\n" + statusLine(status))
}

// Status sets the one-line status that `systemctl --user status` shows.
func (n *Notifier) Status(status string) error {
	return n.Notify(statusLine(status))
}

// Watchdog sends one keep-alive ping.
func (n *Notifier) Watchdog() error { return n.Notify("WATCHDOG=1") }

func statusLine(s string) string {
	// A newline would start a new assignment; keep the status one line.
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")
	return "STATUS=" + s
}

// WatchdogInterval reads $WATCHDOG_USEC and $WATCHDOG_PID as
// sd_watchdog_enabled(3) does: it returns the manager's timeout when the
// watchdog is on for this process, and false otherwise.
func WatchdogInterval() (time.Duration, bool) {
	return watchdogInterval(os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), os.Getpid())
}

func watchdogInterval(usec, pid string, self int) (time.Duration, bool) {
	if usec == "" {
		return 0, false
	}
	u, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || u == 0 {
		return 0, false
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil || p != self {
			return 0, false
		}
	}
	return time.Duration(u) * time.Microsecond, true
}

// RunWatchdog pings the watchdog every half timeout (the interval
// sd_watchdog_enabled(3) recommends) until ctx ends, as long as healthy
// returns nil; a nil healthy counts as always healthy. When the daemon
// stops being healthy the pings stop and the manager restarts it. It
// returns at once when the watchdog is off or n is disabled.
func (n *Notifier) RunWatchdog(ctx context.Context, timeout time.Duration, healthy func() error) {
	if !n.Enabled() || timeout <= 0 {
		return
	}
	t := time.NewTicker(timeout / 2)
	defer t.Stop()
	for {
		if healthy == nil || healthy() == nil {
			_ = n.Watchdog()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
