package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// Sleep/wake and network loss (see Run).
const (
	// clockCheckEvery is how often the wall clock is compared with the
	// monotonic one.
	clockCheckEvery = 15 * time.Second
	// clockJump is how far the wall clock may run ahead of the monotonic
	// clock between two checks before the engine takes it for a suspend
	// (the monotonic clock stands still while the machine sleeps).
	clockJump = 30 * time.Second
	// throttledBackoff is the least wait after the server said it is
	// throttling (HTTP 503 with X-MS-ASThrottle, 429) without a
	// Retry-After.
	throttledBackoff = 30 * time.Second
	// reconcileEvery is how often Run compares the Maildir with the store
	// again, for changes a watcher may have missed.
	reconcileEvery = time.Hour
)

// runHooks are the engine's clocks, replaceable in tests.
type runHooks struct {
	// wallNow returns the wall clock without a monotonic reading.
	wallNow    func() time.Time
	checkEvery time.Duration
	// sleep waits d, or less when ctx ends (false) or the machine woke
	// up (true).
	sleep func(ctx context.Context, d time.Duration, resumed <-chan struct{}) bool
	// resumed receives a signal after a suspend; one slot.
	resumed chan struct{}
	// now is the monotonic clock; lostAddGrace is how long a server may
	// still be applying a request of ours (see waitLostAdds).
	now          func() time.Time
	lostAddGrace time.Duration
	// sendSettle is how long after an unanswered SendMail the Sent
	// folder is trusted to show the message (see Send).
	sendSettle time.Duration
}

func defaultHooks() runHooks {
	return runHooks{
		wallNow:    func() time.Time { return time.Now().Round(0) },
		checkEvery: clockCheckEvery,
		sleep:      sleepOrResume,
		resumed:    make(chan struct{}, 1),
		now:        time.Now,

		lostAddGrace: lostAddGrace,
		sendSettle:   sendSettle,
	}
}

// sleepOrResume waits d; a resume ends the wait early (the network the
// backoff waited for has likely changed).
func sleepOrResume(ctx context.Context, d time.Duration, resumed <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-resumed:
		return true
	case <-t.C:
		return true
	}
}

// watchClock signals hooks.resumed when the wall clock ran ahead of the
// monotonic clock: the machine was suspended (or the clock was set), so
// the Ping in flight is likely on a dead connection and the server may
// have changes its push could not report.
func (e *Engine) watchClock(ctx context.Context) {
	t := time.NewTicker(e.hooks.checkEvery)
	defer t.Stop()
	lastWall, lastMono := e.hooks.wallNow(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wall, mono := e.hooks.wallNow(), time.Now()
		if gap := wall.Sub(lastWall) - mono.Sub(lastMono); gap > clockJump {
			e.log.Info("the machine slept or the clock jumped, syncing at once", "gap", gap.Round(time.Second).String())
			select {
			case e.hooks.resumed <- struct{}{}:
			default:
			}
		}
		lastWall, lastMono = wall, mono
	}
}

// checkPing asks the server which commands it offers (OPTIONS,
// MS-ASHTTP 2.2.4) and polls with Sync from the start when Ping is not
// among them. Without an answer, a Ping that gets HTTP 501 or 404 does
// the same later.
func (e *Engine) checkPing(ctx context.Context) {
	opts, err := e.c.Options(ctx)
	if err != nil || len(opts.Commands) == 0 || opts.HasCommand("Ping") {
		return
	}
	e.log.Info("the server offers no Ping, polling", "every", e.cfg.PollInterval.String())
	e.noPing = true
}

// pingTimeout bounds a Ping: the heartbeat plus a grace for the answer.
// A server that does not answer by then is behind a dead connection (a
// network change, a NAT that dropped the flow).
func pingTimeout(hb time.Duration) time.Duration {
	return hb + max(30*time.Second, hb/10)
}

// errPingLost reports a Ping that outlived its heartbeat.
var errPingLost = errors.New("bridge: the server did not answer the Ping within its heartbeat, the connection is presumed lost")

// throttled reports whether err says the server is throttling the
// device (not merely unavailable).
func throttled(err error) bool {
	var te *eas.ThrottledError
	return errors.As(err, &te) && errors.Is(te.Err, eas.ErrThrottled)
}
