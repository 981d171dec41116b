package bridge

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/maildir"
)

// Backoff bounds after failures.
const (
	minBackoff = time.Second
	maxBackoff = 5 * time.Minute
	// userBackoff is the wait after an error only the user or an admin
	// can clear (see needsUser).
	userBackoff = 30 * time.Minute
)

// Run keeps the account in step until ctx ends: a full cycle, then one
// Ping over the synced folders (or Sync polling when the server offers no
// Ping), a cycle whenever the server reports changes or a local change
// wakes the engine, and backoff after errors (honouring Retry-After and
// throttling). It returns nil when ctx ends.
//
// Sleep/wake and network loss: a wall clock that jumps ahead of the
// monotonic one (a suspend) cancels the Ping in flight, ends a backoff,
// and runs a full cycle at once; a Ping that outlives its heartbeat is
// taken for a lost connection; after any failure the next cycle covers
// every folder, which catches up what push could not report.
func (e *Engine) Run(ctx context.Context) error {
	e.needFolderSync = true
	go e.watchClock(ctx)
	e.checkPing(ctx)
	if e.cfg.Maildir != nil {
		e.events = make(chan maildir.Event, 256)
		go func() {
			if err := e.cfg.Maildir.Watch(ctx, e.events); err != nil {
				e.log.Error("maildir watcher stopped", "err", err)
			}
		}()
	}
	failures := 0
	var reconciled time.Time // monotonic time of the last Maildir reconcile
	due := true              // a cycle is due
	for {
		var err error
		if due {
			err = e.cycle(ctx)
			if err == nil && (reconciled.IsZero() || time.Since(reconciled) >= reconcileEvery) {
				if err = e.reconcileMail(ctx); err == nil {
					reconciled = time.Now()
					e.only = nil
					err = e.syncAll(ctx)
				}
			}
			if err == nil && len(e.outboxRetry) > 0 {
				err = e.retryOutbox(ctx)
			}
			if ctx.Err() != nil {
				return nil
			}
			e.recordError(err)
			e.only = nil // after an error too: the retry covers everything
		}
		if err == nil {
			due, err = e.waitForChanges(ctx)
			if ctx.Err() != nil {
				return nil
			}
		}
		if err != nil {
			e.recordError(err)
			failures++
			d := backoff(err, failures)
			e.log.Warn("sync failed, backing off", "err", err, "wait", d)
			if !e.hooks.sleep(ctx, d, e.hooks.resumed) {
				return nil
			}
			due = true
			continue
		}
		failures = 0
	}
}

// backoff is the wait after the n-th consecutive failure: the server's
// Retry-After when it gave one (MS-ASHTTP 2.2.2.1.1, HTTP 503), else
// exponential with jitter, starting at throttledBackoff when the server
// said it throttles the device.
func backoff(err error, n int) time.Duration {
	var te *eas.ThrottledError
	if errors.As(err, &te) && te.RetryAfter > 0 {
		return min(te.RetryAfter, time.Hour)
	}
	d := minBackoff << min(n-1, 12)
	if throttled(err) {
		d = max(d, throttledBackoff)
	}
	d = min(d, maxBackoff)
	if needsUser(err) {
		d = userBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// needsUser says whether err is one that only the user or an Exchange
// admin can clear: rejected credentials, ActiveSync refused for the
// account, the device limit, a refused policy, a wipe, an untrusted
// certificate. Retrying soon cannot help, and repeated logins with a
// wrong password can lock the account on the server, so the engine
// retries such errors twice an hour at most (status shows them meanwhile).
func needsUser(err error) bool {
	for _, target := range []error{eas.ErrUnauthorized, eas.ErrForbidden, eas.ErrTooManyDevices,
		eas.ErrPolicyRefused, eas.ErrRemoteWipe, eas.ErrTLS} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// pingResult carries a Ping's outcome from its goroutine.
type pingResult struct {
	res *eas.PingResult
	err error
}

// waitForChanges returns when the server reports changes, a local change
// wakes the engine, or the heartbeat ends; due says whether a cycle is
// needed, and e.only which collections it must cover (nil: all). A Ping
// that expires without changes needs no Sync: the next Ping follows.
//
// Folders beyond the server's MaxFolders are not in the Ping: every Ping
// that ends (expired or with changes) brings a Sync of them too, so they
// are at most one heartbeat behind.
func (e *Engine) waitForChanges(ctx context.Context) (due bool, err error) {
	folders, rest, err := e.pingFolders(ctx)
	if err != nil {
		return false, err
	}
	if e.noPing || len(folders) == 0 {
		t := time.NewTimer(e.cfg.PollInterval)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-e.wake:
			e.only = map[string]bool{}
		case ev := <-e.events:
			e.mailEvents(ctx, ev)
			e.only = map[string]bool{}
		case <-e.hooks.resumed:
		case <-t.C:
		}
		return true, nil
	}
	hb := e.heartbeat
	pctx, cancel := context.WithTimeout(ctx, pingTimeout(hb))
	defer cancel()
	done := make(chan pingResult, 1)
	go func() {
		res, err := e.c.Ping(pctx, hb, folders)
		if err != nil && errors.Is(pctx.Err(), context.DeadlineExceeded) {
			err = errPingLost
		}
		done <- pingResult{res, err}
	}()
	select {
	case <-ctx.Done():
		return false, nil
	case <-e.wake:
		cancel()
		<-done
		e.only = map[string]bool{}
		return true, nil
	case ev := <-e.events:
		cancel()
		<-done
		e.mailEvents(ctx, ev)
		e.only = map[string]bool{}
		return true, nil
	case <-e.hooks.resumed:
		cancel()
		<-done
		e.only = nil // catch up everything
		return true, nil
	case r := <-done:
		due, err := e.pingAnswered(r)
		if err == nil && len(rest) > 0 && r.res != nil && (r.res.Status == eas.PingExpired || r.res.Status == eas.PingChanges) {
			due = true
			if !pingAllChanged(r) {
				if e.only == nil {
					e.only = map[string]bool{}
				}
				for _, id := range rest {
					e.only[id] = true
				}
			}
		}
		return due, err
	}
}

// pingAllChanged reports whether a Ping answer asks for every folder.
func pingAllChanged(r pingResult) bool {
	return r.res.Status == eas.PingChanges && len(r.res.Folders) == 0
}

// mailEvents handles ev and every Maildir event already waiting. A failure
// is logged: what it concerned is found again by the next reconcile or
// reported again (the outbox).
func (e *Engine) mailEvents(ctx context.Context, ev maildir.Event) {
	for {
		if err := e.handleMailEvent(ctx, ev); err != nil {
			e.log.Warn("maildir change not carried to the server", "kind", ev.Kind.String(), "err", err)
			e.recordError(err)
		}
		select {
		case ev = <-e.events:
		default:
			return
		}
	}
}

// pingAnswered adjusts the heartbeat and folder limit from a Ping answer
// (MS-ASCMD 2.2.3.177.10) and says whether a cycle is due.
func (e *Engine) pingAnswered(r pingResult) (bool, error) {
	if r.err != nil {
		var he *eas.HTTPError
		if errors.As(r.err, &he) && (he.StatusCode == http.StatusNotImplemented || he.StatusCode == http.StatusNotFound) {
			e.log.Info("the server offers no Ping, polling")
			e.noPing = true
			return true, nil
		}
		if errors.Is(r.err, eas.ErrHierarchyChanged) {
			e.needFolderSync = true
			return true, nil
		}
		return false, r.err
	}
	switch r.res.Status {
	case eas.PingChanges:
		now := time.Now().UTC()
		e.mu.Lock()
		e.status.lastPush = now
		e.mu.Unlock()
		e.setMeta(context.Background(), metaLastPush, now.Format(time.RFC3339))
		e.only = map[string]bool{}
		for _, f := range r.res.Folders {
			e.only[f] = true
		}
		if len(r.res.Folders) == 0 {
			e.only = nil
		}
		return true, nil
	case eas.PingBadHeartbeat:
		if r.res.HeartbeatInterval > 0 && r.res.HeartbeatInterval != e.heartbeat {
			e.heartbeat = r.res.HeartbeatInterval
			return false, nil
		}
		return false, errors.New("bridge: the server refused every heartbeat")
	case eas.PingTooManyFolders:
		if r.res.MaxFolders > 0 && (e.maxPingFolders == 0 || r.res.MaxFolders < e.maxPingFolders) {
			e.maxPingFolders = r.res.MaxFolders
			return false, nil
		}
		return false, errors.New("bridge: the server refused the Ping's folder count")
	case eas.PingHierarchyStale:
		e.needFolderSync = true
		return true, nil
	case eas.PingServerError, eas.PingSyntaxError, eas.PingMissingParams:
		return false, errors.New("bridge: the server refused the Ping")
	}
	return false, nil // expired: nothing changed
}

// pingFolders lists the folders to watch within the server's MaxFolders
// (MS-ASCMD 2.2.3.100.1): the Inbox first, then the DAV collections, then
// the other mail folders; rest are the ServerIds left out.
func (e *Engine) pingFolders(ctx context.Context) (watch []eas.PingFolder, rest []string, err error) {
	colls, err := e.st.Collections(ctx)
	if err != nil {
		return nil, nil, err
	}
	var inbox, dav, mail []eas.PingFolder
	for _, c := range colls {
		if c.ServerID == "" || c.SyncKey == "0" || (c.Kind == store.KindMail && e.cfg.Maildir == nil) {
			continue
		}
		f := eas.PingFolder{ID: c.ServerID, Class: classOf(c.Kind)}
		switch {
		case c.Name == inboxName:
			inbox = append(inbox, f)
		case c.Kind == store.KindMail:
			mail = append(mail, f)
		default:
			dav = append(dav, f)
		}
	}
	watch = append(append(inbox, dav...), mail...)
	if e.maxPingFolders > 0 && len(watch) > e.maxPingFolders {
		for _, f := range watch[e.maxPingFolders:] {
			rest = append(rest, f.ID)
		}
		watch = watch[:e.maxPingFolders]
	}
	return watch, rest, nil
}
