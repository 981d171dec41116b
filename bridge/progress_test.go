package bridge

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/easbridge/easbridge/eas/eastest"
)

// TestInitialSyncProgress syncs a calendar in windows of two: the
// progress callback sees the estimate and a growing count that ends
// complete, and ReadStatus (what `status` shows from another process)
// holds the same.
func TestInitialSyncProgress(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []FolderProgress
	v := newEnv(t, eastest.Config{}, Config{WindowSize: 2, Progress: func(account string, p FolderProgress) {
		mu.Lock()
		defer mu.Unlock()
		if account == "test" && p.Collection == "calendar" {
			seen = append(seen, p)
		}
	}})
	for i := range 7 {
		v.addEvent("E"+itoa(i), "u"+itoa(i))
	}
	v.syncOnce()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 4 {
		t.Fatalf("progress reports %+v, want one per window", seen)
	}
	for i, p := range seen {
		if p.Estimate != 7 || (i > 0 && p.Done < seen[i-1].Done) || p.Complete != (i == len(seen)-1) {
			t.Errorf("report %d: %+v", i, p)
		}
	}
	if last := seen[len(seen)-1]; last.Done != 7 {
		t.Errorf("last report %+v, want 7 done", last)
	}
	st, err := ReadStatus(context.Background(), "test", v.st, nil)
	must(t, err)
	for _, f := range st.Folders {
		if f.Name == "calendar" && (f.Progress == nil || *f.Progress != (FolderProgress{Collection: "calendar", Estimate: 7, Done: 7, Complete: true})) {
			t.Errorf("status progress %+v", f.Progress)
		}
	}
}

// TestInitialSyncProgressLogged checks that without a progress callback
// (stderr is no terminal) the progress goes to the log.
func TestInitialSyncProgressLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	v := newEnv(t, eastest.Config{}, Config{WindowSize: 2, Logger: log})
	for i := range 3 {
		v.addEvent("E"+itoa(i), "u"+itoa(i))
	}
	v.syncOnce()
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(buf.String(), `msg="initial sync done" account=test collection=calendar done=3 estimated=3`) {
		t.Errorf("log lacks the progress:\n%s", buf.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestInitialSyncProgressResumes stops an initial sync halfway; a new
// engine on the same store continues its progress to complete.
func TestInitialSyncProgressResumes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reports := 0
	v := newEnv(t, eastest.Config{}, Config{WindowSize: 2, Progress: func(_ string, p FolderProgress) {
		if p.Collection == "calendar" {
			if reports++; reports == 2 {
				cancel()
			}
		}
	}})
	for i := range 7 {
		v.addEvent("E"+itoa(i), "u"+itoa(i))
	}
	if err := v.e.SyncOnce(ctx); err == nil {
		t.Fatal("the interrupted sync reported success")
	}
	var last FolderProgress
	e2, err := New(Config{Name: "test", Client: v.e.c, Store: v.st, WindowSize: 2, Progress: func(_ string, p FolderProgress) {
		if p.Collection == "calendar" {
			last = p
		}
	}})
	must(t, err)
	must(t, e2.SyncOnce(context.Background()))
	if last != (FolderProgress{Collection: "calendar", Estimate: 7, Done: 7, Complete: true}) {
		t.Errorf("last report after the restart %+v", last)
	}
}
