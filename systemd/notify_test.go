package systemd

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen opens a real unixgram socket as the service manager would.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

func TestNotifyMessages(t *testing.T) {
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify"),
		fmt.Sprintf("@easbridge-test-%d-%d", os.Getpid(), time.Now().UnixNano()),
	} {
		c := listen(t, name)
		n := NotifierFor(name)
		for _, tc := range []struct {
			send func() error
			want string
		}{
			{func() error { return n.Ready("syncing 2 accounts") }, "READY=1\nSTATUS=syncing 2 accounts"},
			{func() error { return n.Status("push live\nEVIL=1") }, "STATUS=push live EVIL=1"},
			{n.Watchdog, "WATCHDOG=1"},
			{func() error { return n.Stopping("shutting down") }, "STOPPING=1\nSTATUS=shutting down"},
		} {
			if err := tc.send(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := recv(t, c); got != tc.want {
				t.Errorf("%s: got %q, want %q", name, got, tc.want)
			}
		}
	}
}

func TestNotifyDisabled(t *testing.T) {
	var n *Notifier
	if n.Enabled() || n.Ready("x") != nil || NotifierFor("") != nil {
		t.Error("nil notifier is not a silent no-op")
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if NewNotifier() != nil {
		t.Error("notifier without NOTIFY_SOCKET")
	}
}

func TestNotifyNoListener(t *testing.T) {
	n := NotifierFor(filepath.Join(t.TempDir(), "absent"))
	if err := n.Ready(""); err == nil || !strings.Contains(err.Error(), "notify socket") {
		t.Errorf("got %v, want an error naming the notify socket", err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		ok        bool
	}{
		{"", "", 0, false},
		{"120000000", "", 2 * time.Minute, true},
		{"120000000", "42", 2 * time.Minute, true},
		{"120000000", "43", 0, false},
		{"0", "", 0, false},
		{"-5", "", 0, false},
		{"abc", "", 0, false},
		{"5000", "x", 0, false},
	} {
		got, ok := watchdogInterval(tc.usec, tc.pid, 42)
		if got != tc.want || ok != tc.ok {
			t.Errorf("watchdogInterval(%q, %q) = %v, %v; want %v, %v", tc.usec, tc.pid, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRunWatchdogPings(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify")
	c := listen(t, name)
	n := NotifierFor(name)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.RunWatchdog(ctx, 20*time.Millisecond, nil); close(done) }()
	for i := 0; i < 3; i++ {
		if got := recv(t, c); got != "WATCHDOG=1" {
			t.Fatalf("ping %d: %q", i, got)
		}
	}
	cancel()
	<-done
}

func TestRunWatchdogUnhealthyStops(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify")
	c := listen(t, name)
	n := NotifierFor(name)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	healthy := make(chan error, 1)
	healthy <- nil
	calls := make(chan struct{}, 100)
	go n.RunWatchdog(ctx, 10*time.Millisecond, func() error {
		calls <- struct{}{}
		select {
		case err := <-healthy:
			return err
		default:
			return fmt.Errorf("stuck")
		}
	})
	if got := recv(t, c); got != "WATCHDOG=1" {
		t.Fatalf("first ping %q", got)
	}
	// Wait for two more health checks that fail; no ping may follow them.
	<-calls
	<-calls
	<-calls
	cancel()
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err == nil {
		t.Errorf("ping %q sent while unhealthy", buf[:n])
	}
}
