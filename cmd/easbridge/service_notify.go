package main

import (
	"context"
	"log/slog"

	"github.com/easbridge/easbridge/systemd"
)

// daemonNotifier connects `easbridge run` to a supervising systemd
// (Type=notify in the unit `service install` writes): READY once serving,
// STATUS lines, the watchdog while healthy, STOPPING on shutdown. Outside
// systemd every method does nothing.
type daemonNotifier struct {
	n   *systemd.Notifier
	log *slog.Logger
}

// newDaemonNotifier reads $NOTIFY_SOCKET and, when the unit has
// WatchdogSec=, feeds the watchdog every half timeout until ctx ends,
// skipping pings while healthy (if not nil) returns an error, so a wedged
// daemon is restarted.
func newDaemonNotifier(ctx context.Context, log *slog.Logger, healthy func() error) *daemonNotifier {
	d := &daemonNotifier{n: systemd.NewNotifier(), log: log}
	if wd, ok := systemd.WatchdogInterval(); ok && d.n.Enabled() {
		go d.n.RunWatchdog(ctx, wd, healthy)
	}
	return d
}

// Ready reports that start-up finished.
func (d *daemonNotifier) Ready(status string) { d.report(d.n.Ready(status)) }

// Status sets the line `systemctl --user status easbridge` shows.
func (d *daemonNotifier) Status(status string) { d.report(d.n.Status(status)) }

// Stopping reports that shutdown began.
func (d *daemonNotifier) Stopping(status string) { d.report(d.n.Stopping(status)) }

func (d *daemonNotifier) report(err error) {
	if err != nil && d.log != nil {
		d.log.Warn("service manager notification failed", "err", err)
	}
}
