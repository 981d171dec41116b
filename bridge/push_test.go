package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// pingCounter wraps the server's handler, counting Ping requests and
// signalling each one on pings (when not full). While hold is set, Pings
// get no answer until the client gives up (a dead connection).
type pingCounter struct {
	h     http.Handler
	n     atomic.Int64
	pings chan struct{}
	hold  atomic.Bool
}

func (p *pingCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("Cmd") == "Ping" {
		p.n.Add(1)
		select {
		case p.pings <- struct{}{}:
		default:
		}
		if p.hold.Load() {
			// Reading the body lets the server notice the client leaving.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			return
		}
	}
	p.h.ServeHTTP(w, r)
}

// newPushEnv is newEnv whose server counts Pings.
func newPushEnv(t *testing.T, scfg eastest.Config, ecfg Config) (*env, *pingCounter) {
	t.Helper()
	if scfg.HeartbeatUnit == 0 {
		scfg.HeartbeatUnit = time.Millisecond
	}
	srv := eastest.New(scfg)
	must(t, srv.AddUser(eastest.User{Name: "alice", Password: "secret", Email: "alice@example.test"}))
	pc := &pingCounter{h: srv, pings: make(chan struct{}, 1)}
	ts := httptest.NewServer(pc)
	t.Cleanup(ts.Close)
	c, err := eas.New(eas.Config{URL: ts.URL + "/Microsoft-Server-ActiveSync", User: "alice",
		Credentials: eas.Basic{User: "alice", Password: "secret"}, DeviceID: "bridgetest2", DeviceType: "easbridge", Version: eas.V141})
	must(t, err)
	st, err := store.Open(context.Background(), t.TempDir()+"/state.db", nil)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	ecfg.Client, ecfg.Store, ecfg.Name = c, st, "test"
	e, err := New(ecfg)
	must(t, err)
	return &env{t: t, srv: srv, st: st, e: e, cal: srv.FolderID("alice", eastest.TypeCalendar)}, pc
}

// runEngine runs the engine until the test ends; stop ends it early and
// waits for it, so the test may then read the engine's fields.
func (v *env) runEngine() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.e.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				v.t.Error(err)
			}
		})
	}
	v.t.Cleanup(stop)
	return stop
}

func (v *env) synced(coll string) bool {
	c, err := v.st.CollectionByName(context.Background(), coll)
	return err == nil && c.SyncKey != "0"
}

// TestPingMaxFolders lets the server take two folders per Ping (status 6
// with MaxFolders 2): the engine keeps to the limit, and a change in a
// folder left out of the Ping still arrives.
func TestPingMaxFolders(t *testing.T) {
	t.Parallel()
	v, _ := newPushEnv(t, eastest.Config{MaxPingFolders: 2}, Config{})
	stop := v.runEngine()
	waitFor(t, "initial sync", func() bool { return v.synced("calendar") && v.synced("contacts") && v.synced("tasks") })
	for _, typ := range []int{eastest.TypeCalendar, eastest.TypeContacts, eastest.TypeTasks, eastest.TypeNotes} {
		folder := v.srv.FolderID("alice", typ)
		var it eas.Item
		switch typ {
		case eastest.TypeCalendar:
			it = &eas.Event{Subject: "Pushed", UID: "p1", StartTime: t0, EndTime: t0.Add(time.Hour)}
		case eastest.TypeContacts:
			it = &eas.Contact{FirstName: "Pushed", LastName: "Person"}
		case eastest.TypeTasks:
			it = &eas.Task{Subject: "Pushed"}
		case eastest.TypeNotes:
			it = &eas.Note{Subject: "Pushed"}
		}
		if _, err := v.srv.AddItem("alice", folder, it); err != nil {
			t.Fatal(err)
		}
		coll, err := v.st.CollectionByServerID(context.Background(), folder)
		must(t, err)
		waitFor(t, "the change in "+coll.Name, func() bool { return countContaining(v.objects(coll.Name), "Pushed") == 1 })
	}
	stop()
	if v.e.maxPingFolders != 2 {
		t.Errorf("the engine pings %d folders, want the server's 2", v.e.maxPingFolders)
	}
}

// TestPingHeartbeatBounds asks for heartbeats outside the server's bounds
// (status 5): the engine takes the bound the server names and push works.
func TestPingHeartbeatBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		min, max int
		ask      time.Duration
		want     time.Duration
	}{
		{"too long", 60, 100, 540 * time.Second, 100 * time.Second},
		{"too short", 60, 3540, 10 * time.Second, 60 * time.Second},
		{"within", 60, 3540, 120 * time.Second, 120 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, pc := newPushEnv(t, eastest.Config{MinHeartbeat: tt.min, MaxHeartbeat: tt.max}, Config{Heartbeat: tt.ask})
			stop := v.runEngine()
			waitFor(t, "initial sync", func() bool { return v.synced("calendar") })
			waitFor(t, "a Ping", func() bool { return pc.n.Load() > 1 })
			v.addEvent("Pushed", "hb-1")
			waitFor(t, "the pushed event", func() bool { return countContaining(v.objects("calendar"), "Pushed") == 1 })
			stop()
			if v.e.heartbeat != tt.want {
				t.Errorf("heartbeat %s, want %s", v.e.heartbeat, tt.want)
			}
		})
	}
}

// TestPollingWhenPingNotOffered serves a server whose OPTIONS lists no
// Ping: the engine never sends one and polls with Sync instead.
func TestPollingWhenPingNotOffered(t *testing.T) {
	t.Parallel()
	cmds := slices.DeleteFunc(slices.Clone(eastest.DefaultCommands), func(c string) bool { return c == "Ping" })
	v, pc := newPushEnv(t, eastest.Config{Commands: cmds}, Config{PollInterval: 20 * time.Millisecond})
	v.runEngine()
	waitFor(t, "initial sync", func() bool { return v.synced("calendar") })
	v.addEvent("Polled", "poll-1")
	waitFor(t, "the polled event", func() bool { return countContaining(v.objects("calendar"), "Polled") == 1 })
	if n := pc.n.Load(); n != 0 {
		t.Errorf("%d Pings sent to a server that does not offer Ping", n)
	}
}

// TestSuspendCancelsPingAndCatchesUp holds every Ping unanswered, as a
// connection that died while the machine slept, then moves the wall clock
// an hour ahead of the monotonic one: the engine drops the Ping and
// syncs at once, bringing the change the Ping could not report.
func TestSuspendCancelsPingAndCatchesUp(t *testing.T) {
	t.Parallel()
	v, pc := newPushEnv(t, eastest.Config{}, Config{})
	var mu sync.Mutex
	offset := time.Duration(0)
	v.e.hooks.checkEvery = 5 * time.Millisecond
	v.e.hooks.wallNow = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Round(0).Add(offset)
	}
	pc.hold.Store(true)
	v.runEngine()
	waitFor(t, "initial sync", func() bool { return v.synced("calendar") })
	select {
	case <-pc.pings:
	case <-time.After(20 * time.Second):
		t.Fatal("no Ping")
	}
	v.addEvent("While asleep", "sleep-1")
	mu.Lock()
	offset += time.Hour
	mu.Unlock()
	waitFor(t, "the change made while asleep", func() bool { return countContaining(v.objects("calendar"), "While asleep") == 1 })
}

// TestBackoffHonoursRetryAfter answers the first FolderSync with 503 and
// Retry-After: 7: the engine waits exactly that, then syncs.
func TestBackoffHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	v, _ := newPushEnv(t, eastest.Config{}, Config{})
	var mu sync.Mutex
	var waits []time.Duration
	v.e.hooks.sleep = func(ctx context.Context, d time.Duration, _ <-chan struct{}) bool {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err() == nil
	}
	v.srv.Inject(eastest.Fault{Kind: eastest.FaultHTTP, Command: "FolderSync", Status: http.StatusServiceUnavailable, RetryAfter: 7 * time.Second})
	v.runEngine()
	waitFor(t, "initial sync", func() bool { return v.synced("calendar") })
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 1 || waits[0] != 7*time.Second {
		t.Errorf("waits %v, want [7s]", waits)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	throttle := &eas.ThrottledError{Command: "Sync", Err: eas.ErrThrottled}
	tests := []struct {
		name     string
		err      error
		n        int
		min, max time.Duration
	}{
		{"retry-after", &eas.ThrottledError{RetryAfter: 42 * time.Second, Err: eas.ErrUnavailable}, 5, 42 * time.Second, 42 * time.Second},
		{"retry-after capped", &eas.ThrottledError{RetryAfter: 5 * time.Hour, Err: eas.ErrThrottled}, 1, time.Hour, time.Hour},
		{"first failure", errors.New("x"), 1, minBackoff / 2, minBackoff},
		{"fifth failure", errors.New("x"), 5, 8 * time.Second, 16 * time.Second},
		{"capped", errors.New("x"), 40, maxBackoff / 2, maxBackoff},
		{"throttled without retry-after", throttle, 1, throttledBackoff / 2, throttledBackoff},
		{"unavailable without retry-after", &eas.ThrottledError{Err: eas.ErrUnavailable}, 1, minBackoff / 2, minBackoff},
		{"wrong password", fmt.Errorf("sync: %w", eas.ErrUnauthorized), 1, userBackoff / 2, userBackoff},
		{"device limit", fmt.Errorf("folder sync: %w", eas.ErrTooManyDevices), 3, userBackoff / 2, userBackoff},
		{"access refused", eas.ErrForbidden, 1, userBackoff / 2, userBackoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				if d := backoff(tt.err, tt.n); d < tt.min || d > tt.max {
					t.Fatalf("backoff %s, want within [%s, %s]", d, tt.min, tt.max)
				}
			}
		})
	}
	if d := pingTimeout(9 * time.Minute); d <= 9*time.Minute {
		t.Errorf("a 9 min Ping times out after %s", d)
	}
}
