package eas

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// countingWriter counts the bytes of the generated response.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// bigSyncServer streams a Sync response of items mails with bodies of
// bodySize bytes, generated on the fly so the server holds none of it.
func bigSyncServer(items, bodySize int, written *atomic.Int64) *httptest.Server {
	body := strings.Repeat("0123456789abcdef", bodySize/16+1)[:bodySize]
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("MS-ASProtocolVersions", "14.1")
			return
		}
		w.Header().Set("Content-Type", contentTypeWBXML)
		cw := &countingWriter{w: w}
		e := wbxml.NewEncoder(cw)
		e.Start(wbxml.AirSyncSync)
		e.Start(wbxml.AirSyncCollections)
		e.Start(wbxml.AirSyncCollection)
		e.Element(wbxml.AirSyncSyncKey, "2")
		e.Element(wbxml.AirSyncCollectionId, "inbox")
		e.Element(wbxml.AirSyncStatus, "1")
		e.Start(wbxml.AirSyncCommands)
		for i := range items {
			e.Start(wbxml.AirSyncAdd)
			e.Element(wbxml.AirSyncServerId, fmt.Sprint(i+1))
			e.Start(wbxml.AirSyncApplicationData)
			e.Element(wbxml.EmailSubject, fmt.Sprintf("message %d", i))
			e.Element(wbxml.EmailFrom, "sender@example.test")
			e.Start(wbxml.AirSyncBaseBody)
			e.Element(wbxml.AirSyncBaseType, "4")
			e.Element(wbxml.AirSyncBaseEstimatedDataSize, fmt.Sprint(bodySize))
			e.Start(wbxml.AirSyncBaseData)
			e.OpaqueFrom(strings.NewReader(body), int64(len(body)))
			e.End()
			e.End()
			e.End()
			e.End()
		}
		e.End()
		e.End()
		e.End()
		e.End()
		e.Close()
		written.Store(cw.n)
	}))
}

// syncPeakHeap syncs the generated response and returns the peak heap in
// use above the baseline, sampled every millisecond, and the response size.
func syncPeakHeap(tb testing.TB, items, bodySize int) (peak uint64, size int64) {
	var written atomic.Int64
	srv := bigSyncServer(items, bodySize, &written)
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, Credentials: Basic{"u", "p"}, DeviceID: "mem", DeviceType: "t"})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.Version(context.Background()); err != nil {
		tb.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var maxInuse atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > maxInuse.Load() {
					maxInuse.Store(m.HeapInuse)
				}
			}
		}
	})
	n := 0
	var bodyBytes int64
	_, err = c.Sync(context.Background(), &SyncRequest{Collections: []SyncCollection{{CollectionID: "inbox", SyncKey: "1", Class: ClassEmail, GetChanges: true}}},
		func(ch ServerChange) error {
			n++
			if m, ok := ch.Item.(*Email); ok && m.Body != nil {
				bodyBytes += m.Body.Size()
			}
			return nil
		})
	close(stop)
	wg.Wait()
	if err != nil {
		tb.Fatal(err)
	}
	if n != items || bodyBytes != int64(items)*int64(bodySize) {
		tb.Fatalf("got %d items, %d body bytes", n, bodyBytes)
	}
	p := maxInuse.Load()
	if p < base {
		p = base
	}
	return p - base, written.Load()
}

// TestSyncStreamsLargeResponse checks that a response is decoded item by
// item: the client's heap grows by far less than the response.
func TestSyncStreamsLargeResponse(t *testing.T) {
	// A low GC target keeps garbage from hiding what is live.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	peak, size := syncPeakHeap(t, 100, 80<<10)
	ratio := float64(peak) / float64(size)
	t.Logf("response %d bytes, peak heap growth %d bytes, ratio %.3f", size, peak, ratio)
	if ratio > 0.5 {
		t.Errorf("peak heap %.2f times the response size", ratio)
	}
}

// BenchmarkSync50MB syncs a generated 50 MB response and reports the
// peak heap growth relative to the response size: 500 mails with 100 KB
// MIME bodies (held in memory one at a time), and 10 mails with 5 MB
// bodies (which the item decoder spools to temporary files).
func BenchmarkSync50MB(b *testing.B) {
	for _, bc := range []struct {
		name        string
		items, size int
	}{{"500x100KB", 500, 100 << 10}, {"10x5MB", 10, 5 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				peak, size := syncPeakHeap(b, bc.items, bc.size)
				b.ReportMetric(float64(size)/(1<<20), "resp-MB")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(peak)/float64(size), "peak/resp")
				b.SetBytes(size)
			}
		})
	}
}
