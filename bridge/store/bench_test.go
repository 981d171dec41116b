package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// loaded returns a store with n events in "cal" (one transaction).
func loaded(b *testing.B, n int) *Store {
	b.Helper()
	ctx := context.Background()
	s := openTest(b)
	c := mustCollection(b, s, "cal", KindEvents)
	err := s.write(ctx, func(tx *sql.Tx) error {
		for i := range n {
			uid := fmt.Sprintf("u%d", i)
			data := event(uid)
			spans, _ := Spans(data)
			if _, err := putObjectTx(ctx, tx, c.ID, uid+".ics", uid, data, spans, time.Now()); err != nil {
				return err
			}
			if err := s.queueObject(ctx, tx, c.ID, uid+".ics", false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkPutObject(b *testing.B) {
	s := loaded(b, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		uid := fmt.Sprintf("new%d", i)
		if _, _, err := s.PutObject(ctx, "cal", uid+".ics", PutInput{Data: event(uid), UID: uid}, Conditions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObjects(b *testing.B) {
	s := loaded(b, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Objects(ctx, "cal"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQueryTimeRangeMonth(b *testing.B) {
	s := loaded(b, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if _, err := s.QueryTimeRange(ctx, "cal", utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetObjects100(b *testing.B) {
	s := loaded(b, 10000)
	ctx := context.Background()
	var names []string
	for i := 0; i < 10000; i += 100 {
		names = append(names, fmt.Sprintf("u%d.ics", i))
	}
	b.ResetTimer()
	for range b.N {
		objs, err := s.GetObjects(ctx, "cal", names)
		if err != nil || len(objs) != 100 {
			b.Fatal(len(objs), err)
		}
	}
}
