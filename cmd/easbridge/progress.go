package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/easbridge/easbridge/bridge"
)

// termProgress shows the initial-sync progress of every account on one
// line of a terminal, rewritten in place ("\r", erase line).
type termProgress struct {
	mu       sync.Mutex
	w        io.Writer
	accounts []string
	folders  map[string]map[string]bridge.FolderProgress
	last     time.Time
	shown    bool // a line is on screen, not yet ended
}

// progressRedraw bounds how often the line is rewritten.
const progressRedraw = 250 * time.Millisecond

// newTermProgress returns a progress line on w when w is a terminal, else
// nil: the engines then log their progress instead.
func newTermProgress(w io.Writer, accounts []accountConfig) *termProgress {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) || os.Getenv("TERM") == "dumb" {
		return nil
	}
	return newProgressLine(w, accounts)
}

func newProgressLine(w io.Writer, accounts []accountConfig) *termProgress {
	p := &termProgress{w: w, folders: map[string]map[string]bridge.FolderProgress{}}
	for _, a := range accounts {
		p.accounts = append(p.accounts, a.Name)
	}
	return p
}

// update takes one report (a bridge.ProgressFunc).
func (p *termProgress) update(account string, fp bridge.FolderProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.folders[account] == nil {
		p.folders[account] = map[string]bridge.FolderProgress{}
	}
	p.folders[account][fp.Collection] = fp
	now := time.Now()
	done := p.allComplete()
	if !done && !fp.Complete && now.Sub(p.last) < progressRedraw {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r\x1b[K"+progressLine(p.accounts, p.folders))
	p.shown = !done
	if done {
		fmt.Fprintln(p.w)
	}
}

// allComplete reports whether no reported initial sync is still open.
func (p *termProgress) allComplete() bool {
	for _, fs := range p.folders {
		for _, fp := range fs {
			if !fp.Complete {
				return false
			}
		}
	}
	return true
}

// end finishes a line left open (an interrupted sync).
func (p *termProgress) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}

// onProgress is the progress receiver to give an engine (nil without a
// terminal).
func (p *termProgress) onProgress() bridge.ProgressFunc {
	if p == nil {
		return nil
	}
	return p.update
}

// progressLine renders the accounts' progress, for example
// "initial sync:  work 1234/2000 (61%)  home done".
func progressLine(accounts []string, folders map[string]map[string]bridge.FolderProgress) string {
	var b strings.Builder
	b.WriteString("initial sync:")
	for _, a := range accounts {
		est, done, open := 0, 0, false
		for _, fp := range folders[a] {
			est += max(fp.Estimate, fp.Done)
			done += fp.Done
			open = open || !fp.Complete
		}
		switch {
		case len(folders[a]) == 0:
			fmt.Fprintf(&b, "  %s -", a)
		case !open:
			fmt.Fprintf(&b, "  %s done (%d)", a, done)
		default:
			fmt.Fprintf(&b, "  %s %d/%d (%d%%)", a, done, est, done*100/max(est, 1))
		}
	}
	return b.String()
}
