// Command svctool serves interop/service.sh: it renders the launchd
// agent (so a real plist parser can check it on Linux) and runs a
// stand-in daemon that speaks sd_notify through package systemd, for a
// real systemd user manager to supervise.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/easbridge/easbridge/launchd"
	"github.com/easbridge/easbridge/systemd"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: svctool plist BINARY CONFIG LOG | unit BINARY CONFIG WATCHDOG | notifyd [-unhealthy-after D]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "plist":
		if len(os.Args) != 5 {
			fmt.Fprintln(os.Stderr, "usage: svctool plist BINARY CONFIG LOG")
			os.Exit(2)
		}
		b, err := launchd.Render(launchd.Agent{Binary: os.Args[2], Config: os.Args[3], LogPath: os.Args[4]})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(b)
	case "unit":
		// unit BINARY CONFIG WATCHDOG: the real rendered unit, aimed at
		// this program, with a short watchdog for the test.
		if len(os.Args) != 5 {
			fmt.Fprintln(os.Stderr, "usage: svctool unit BINARY CONFIG WATCHDOG")
			os.Exit(2)
		}
		wd, err := time.ParseDuration(os.Args[4])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		b, err := systemd.Render(systemd.Unit{Binary: os.Args[2], Config: os.Args[3], Watchdog: wd, RestartSec: time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(b)
	case "notifyd":
		os.Exit(notifyd(os.Args[2:]))
	case "--config":
		// Started by a rendered unit as "svctool --config FILE run".
		os.Exit(notifyd(nil))
	default:
		fmt.Fprintf(os.Stderr, "svctool: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

// notifyd reports READY with a status, pings the watchdog while healthy,
// and reports STOPPING on SIGTERM. With -unhealthy-after it turns
// unhealthy after that long, so the manager's watchdog must kill it.
func notifyd(args []string) int {
	fs := flag.NewFlagSet("notifyd", flag.ExitOnError)
	after := fs.Duration("unhealthy-after", 0, "stop pinging the watchdog after this long (or $SVCTOOL_UNHEALTHY_AFTER)")
	fs.Parse(args)
	if v := os.Getenv("SVCTOOL_UNHEALTHY_AFTER"); v != "" && *after == 0 {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		*after = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	n := systemd.NewNotifier()
	if !n.Enabled() {
		fmt.Fprintln(os.Stderr, "notifyd: NOTIFY_SOCKET not set")
		return 1
	}
	var unhealthy atomic.Bool
	if *after > 0 {
		time.AfterFunc(*after, func() { unhealthy.Store(true) })
	}
	if wd, ok := systemd.WatchdogInterval(); ok {
		go n.RunWatchdog(ctx, wd, func() error {
			if unhealthy.Load() {
				return fmt.Errorf("unhealthy")
			}
			return nil
		})
	}
	if err := n.Ready("serving 1 account"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ctx.Done()
	n.Stopping("stopping on signal")
	return 0
}
