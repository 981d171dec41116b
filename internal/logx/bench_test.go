package logx

import (
	"io"
	"log/slog"
	"testing"
)

// BenchmarkHandler measures what redaction adds to one record with five
// attributes, against the bare text handler.
func BenchmarkHandler(b *testing.B) {
	r := &Redactor{}
	r.Add("Exch@nge-Pa55word!", "dav-local-7f3a9c", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.x.y")
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"bare", slog.NewTextHandler(io.Discard, nil)},
		{"redacting", NewHandler(slog.NewTextHandler(io.Discard, nil), r)},
	} {
		log := slog.New(bc.h)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				log.Info("sync applied", "account", "work", "folder", "Calendar", "adds", 12,
					"sync_key", "{8f1a-22}", "detail", "Status 1 for collection 3 after 2 windows")
			}
		})
	}
}
