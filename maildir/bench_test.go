package maildir

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkDeliver50KB: deliveries of 50 KB messages, fsync included (the
// default), reported as msgs/s.
func BenchmarkDeliver50KB(b *testing.B) {
	for _, nosync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nosync=%v", nosync), func(b *testing.B) {
			s, err := Open(context.Background(), b.TempDir(), Options{Host: "bench", NoSync: nosync, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			m := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 50<<10/64)
			ctx := context.Background()
			b.SetBytes(int64(len(m)))
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := s.Deliver(ctx, Inbox, fmt.Sprint(i), bytes.NewReader(m), 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

var (
	bigOnce sync.Once
	bigRoot string
)

const bigFolders, bigPerFolder = 5, 20000

// bigMirror makes (once per test binary) a mirror of 100,000 small
// messages in 5 folders, with names as Deliver writes them.
func bigMirror(b *testing.B) string {
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "maildir-bench-")
		if err != nil {
			b.Fatal(err)
		}
		bigRoot = dir
		msg := []byte("From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n")
		for f := 0; f < bigFolders; f++ {
			fd := filepath.Join(dir, fmt.Sprintf(".F%d", f))
			if err := makeMaildir(fd, true); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < bigPerFolder; i++ {
				name := fmt.Sprintf("1795311963.M%06dP5617Q%dR740b0220d7dacdbc.host,S=%d,X=5%%3A%d:2,S", i, i, len(msg), i)
				m := append([]byte(fmt.Sprintf("Message-ID: <%d.%d@x>\r\n", f, i)), msg...)
				if err := os.WriteFile(filepath.Join(fd, "cur", name), m, 0o600); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	return bigRoot
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigRoot != "" {
		os.RemoveAll(bigRoot)
	}
	os.Exit(code)
}

// BenchmarkRescan100k: one full rescan and diff of 100,000 messages with
// nothing changed (what the watcher does on overflow, poll or reconcile),
// and the memory the known state takes (state-MB).
func BenchmarkRescan100k(b *testing.B) {
	root := bigMirror(b)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := Open(context.Background(), root, Options{Host: "bench", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	w := &watcher{s: s, watched: map[string]bool{}, dirty: map[Folder]bool{}, pending: map[ref]pendingCopy{}, problem: map[string]bool{}}
	w.initial()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		w.all()
		if evs := w.rescan(time.Now()); len(evs) != 0 {
			b.Fatalf("events on an unchanged mirror: %v", evs[0])
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "state-MB")
	runtime.KeepAlive(s)
}

// BenchmarkMessageIDs100k: reading the Message-ID of every message, which
// Watch does once at start to pair copy-and-delete moves.
func BenchmarkMessageIDs100k(b *testing.B) {
	root := bigMirror(b)
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		s, err := Open(context.Background(), root, Options{Host: "bench", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		w := &watcher{s: s, watched: map[string]bool{}, dirty: map[Folder]bool{}, pending: map[ref]pendingCopy{}, problem: map[string]bool{}}
		w.initial()
		cpu0 := cpuTime()
		if !w.fillMessageIDs(context.Background()) || len(s.byMID) != bigFolders*bigPerFolder {
			b.Fatalf("read %d Message-IDs", len(s.byMID))
		}
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "fill-cpu-ms/op")
}
