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
)

// Run keeps the account in step until ctx ends: a full cycle, then one
// Ping over the synced folders (or Sync polling when the server offers no
// Ping), a cycle whenever the server reports changes or a local change
// wakes the engine, and backoff after errors (honouring Retry-After and
// throttling). It returns nil when ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	e.needFolderSync = true
	if e.cfg.Maildir != nil {
		e.events = make(chan maildir.Event, 256)
		go func() {
			if err := e.cfg.Maildir.Watch(ctx, e.events); err != nil {
				e.log.Error("maildir watcher stopped", "err", err)
			}
		}()
	}
	failures := 0
	reconciled := false
	for {
		err := e.cycle(ctx)
		if err == nil && !reconciled {
			if err = e.reconcileFlags(ctx); err == nil {
				reconciled = true
				err = e.syncAll(ctx)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		e.recordError(err)
		if err != nil {
			failures++
			d := backoff(err, failures)
			e.log.Warn("sync failed, backing off", "err", err, "wait", d)
			if !sleep(ctx, d) {
				return nil
			}
			continue
		}
		failures = 0
		if err := e.waitForChanges(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			e.recordError(err)
			failures++
			d := backoff(err, failures)
			e.log.Warn("ping failed, backing off", "err", err, "wait", d)
			if !sleep(ctx, d) {
				return nil
			}
		}
	}
}

// backoff is the wait after the n-th consecutive failure: the server's
// Retry-After when it gave one, else exponential with jitter.
func backoff(err error, n int) time.Duration {
	var te *eas.ThrottledError
	if errors.As(err, &te) && te.RetryAfter > 0 {
		return min(te.RetryAfter, time.Hour)
	}
	d := minBackoff << min(n-1, 12)
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pingResult carries a Ping's outcome from its goroutine.
type pingResult struct {
	res *eas.PingResult
	err error
}

// waitForChanges returns when the server reports changes, a local change
// wakes the engine, or the heartbeat ends without changes (the caller then
// runs a cycle, which is cheap when nothing changed).
func (e *Engine) waitForChanges(ctx context.Context) error {
	folders, err := e.pingFolders(ctx)
	if err != nil {
		return err
	}
	if e.noPing || len(folders) == 0 {
		t := time.NewTimer(e.cfg.PollInterval)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-e.wake:
		case ev := <-e.events:
			e.mailEvents(ctx, ev)
		case <-t.C:
		}
		return nil
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan pingResult, 1)
	hb := e.heartbeat
	go func() {
		res, err := e.c.Ping(pctx, hb, folders)
		done <- pingResult{res, err}
	}()
	select {
	case <-ctx.Done():
		return nil
	case <-e.wake:
		cancel()
		<-done
		return nil
	case ev := <-e.events:
		cancel()
		<-done
		e.mailEvents(ctx, ev)
		return nil
	case r := <-done:
		return e.pingAnswered(r)
	}
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
// (MS-ASCMD 2.2.3.177.10).
func (e *Engine) pingAnswered(r pingResult) error {
	if r.err != nil {
		var he *eas.HTTPError
		if errors.As(r.err, &he) && (he.StatusCode == http.StatusNotImplemented || he.StatusCode == http.StatusNotFound) {
			e.log.Info("the server offers no Ping, polling")
			e.noPing = true
			return nil
		}
		if errors.Is(r.err, eas.ErrHierarchyChanged) {
			e.needFolderSync = true
			return nil
		}
		return r.err
	}
	switch r.res.Status {
	case eas.PingChanges:
		now := time.Now().UTC()
		e.mu.Lock()
		e.status.lastPush = now
		e.mu.Unlock()
		e.setMeta(context.Background(), metaLastPush, now.Format(time.RFC3339))
	case eas.PingBadHeartbeat:
		if r.res.HeartbeatInterval > 0 {
			e.heartbeat = r.res.HeartbeatInterval
		}
	case eas.PingTooManyFolders:
		if r.res.MaxFolders > 0 {
			e.maxPingFolders = r.res.MaxFolders
		}
	case eas.PingHierarchyStale:
		e.needFolderSync = true
	case eas.PingServerError, eas.PingSyntaxError:
		return errors.New("bridge: the server refused the Ping")
	}
	return nil
}

// pingFolders lists the folders to watch, within the server's MaxFolders:
// DAV collections first, then mail.
func (e *Engine) pingFolders(ctx context.Context) ([]eas.PingFolder, error) {
	colls, err := e.st.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var dav, mail []eas.PingFolder
	for _, c := range colls {
		if c.ServerID == "" || c.SyncKey == "0" {
			continue
		}
		f := eas.PingFolder{ID: c.ServerID, Class: classOf(c.Kind)}
		if c.Kind == store.KindMail {
			mail = append(mail, f)
		} else {
			dav = append(dav, f)
		}
	}
	out := append(dav, mail...)
	if e.maxPingFolders > 0 && len(out) > e.maxPingFolders {
		out = out[:e.maxPingFolders]
	}
	return out, nil
}
