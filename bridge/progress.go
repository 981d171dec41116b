package bridge

import (
	"context"
	"encoding/json"
	"time"

	"github.com/easbridge/easbridge/bridge/store"
)

// FolderProgress is the progress of one collection's initial sync: the
// server's estimate of its items (GetItemEstimate, MS-ASCMD 2.2.1.9, taken
// after the priming Sync) against the items mirrored so far. The estimate
// is the server's guess; Done may pass it.
type FolderProgress struct {
	Collection string `json:"collection"`
	Estimate   int    `json:"estimated"`
	Done       int    `json:"done"`
	Complete   bool   `json:"complete"`
}

// ProgressFunc receives progress reports from the engine goroutine of one
// account (several accounts may call it at the same time).
type ProgressFunc func(account string, p FolderProgress)

// metaProgress + collection name holds the collection's FolderProgress as
// JSON, so that `easbridge status` in another process shows it, and a
// restarted engine continues it.
const metaProgress = "engine-progress:"

// progressLogEvery bounds how often progress is logged per collection
// when no ProgressFunc is set.
const progressLogEvery = 10 * time.Second

// progressState is the engine's view of the initial syncs under way
// (owned by the engine goroutine).
type progressState struct {
	loaded  bool
	folders map[string]*FolderProgress // by collection name
	logged  map[string]time.Time
}

// loadProgress picks up initial syncs a previous run left unfinished.
func (e *Engine) loadProgress(ctx context.Context) {
	p := &e.progress
	if p.loaded {
		return
	}
	p.loaded = true
	p.folders, p.logged = map[string]*FolderProgress{}, map[string]time.Time{}
	colls, err := e.st.Collections(ctx)
	if err != nil {
		return
	}
	for _, c := range colls {
		if fp := readProgress(ctx, e.st, c.Name); fp != nil && !fp.Complete {
			p.folders[c.Name] = fp
		}
	}
}

// readProgress reads a collection's recorded progress (nil: none).
func readProgress(ctx context.Context, st *store.Store, name string) *FolderProgress {
	v, err := st.Meta(ctx, metaProgress+name)
	if err != nil || v == "" {
		return nil
	}
	var fp FolderProgress
	if json.Unmarshal([]byte(v), &fp) != nil {
		return nil
	}
	fp.Collection = name
	return &fp
}

// startProgress records the estimate of a collection whose initial sync
// begins.
func (e *Engine) startProgress(ctx context.Context, c store.Collection, estimate int) {
	e.loadProgress(ctx)
	fp := &FolderProgress{Collection: c.Name, Estimate: estimate}
	if n, err := e.st.ItemCount(ctx, c.ID); err == nil {
		fp.Done = n
	}
	e.progress.folders[c.Name] = fp
	e.reportProgress(ctx, fp, true)
}

// advanceProgress updates the progress of a collection in initial sync
// after one of its answers was committed; more says whether the server
// has more to bring.
func (e *Engine) advanceProgress(ctx context.Context, c store.Collection, more bool) {
	e.loadProgress(ctx)
	fp := e.progress.folders[c.Name]
	if fp == nil {
		return
	}
	if n, err := e.st.ItemCount(ctx, c.ID); err == nil {
		fp.Done = n
	}
	if !more {
		fp.Complete = true
		delete(e.progress.folders, c.Name)
	}
	e.reportProgress(ctx, fp, fp.Complete)
}

// OnProgress sets the receiver of progress reports (Config.Progress); call
// it before Run or SyncOnce.
func (e *Engine) OnProgress(fn ProgressFunc) { e.cfg.Progress = fn }

// reportProgress records fp for `status` and tells the user: through
// Config.Progress (a terminal line), else in the log, at most every
// progressLogEvery per collection unless force.
func (e *Engine) reportProgress(ctx context.Context, fp *FolderProgress, force bool) {
	if b, err := json.Marshal(fp); err == nil {
		e.setMeta(ctx, metaProgress+fp.Collection, string(b))
	}
	if e.cfg.Progress != nil {
		e.cfg.Progress(e.cfg.Name, *fp)
		return
	}
	now := time.Now()
	if !force && now.Sub(e.progress.logged[fp.Collection]) < progressLogEvery {
		return
	}
	e.progress.logged[fp.Collection] = now
	msg := "initial sync progress"
	if fp.Complete {
		msg = "initial sync done"
	}
	e.log.Info(msg, "collection", fp.Collection, "done", fp.Done, "estimated", fp.Estimate)
}
