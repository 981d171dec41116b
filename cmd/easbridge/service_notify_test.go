package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestDaemonNotifier(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "40000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDaemonNotifier(ctx, nil, nil)
	d.Ready("serving")
	seen := map[string]bool{}
	buf := make([]byte, 512)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !(seen["READY=1\nSTATUS=serving"] && seen["WATCHDOG=1"]) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %v: %v", seen, err)
		}
		seen[string(buf[:n])] = true
	}
}

func TestDaemonNotifierOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	d := newDaemonNotifier(context.Background(), nil, nil)
	d.Ready("x")
	d.Stopping("y")
}
