package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/easbridge/easbridge/bridge/convert"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/dav"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/maildir"
)

// Defaults of Config.
const (
	DefaultHeartbeat    = 9 * time.Minute
	DefaultPollInterval = 5 * time.Minute
	// collectionsPerSync bounds the collections of one Sync request.
	collectionsPerSync = 16
	// outboxPerSync bounds the local changes of one collection sent in one
	// Sync request.
	outboxPerSync = 100
	// maxRounds bounds the Sync rounds of one cycle, so a server that
	// always says MoreAvailable cannot keep the engine forever.
	maxRounds = 10000
)

// Config configures an Engine.
type Config struct {
	// Name is the account's name, used in logs.
	Name string
	// Client talks to the account's server; Store holds its state. Both
	// are required.
	Client *eas.Client
	Store  *store.Store
	// Policy decides fields changed on both sides (server-wins default).
	Policy convert.Policy
	// Maildir is the account's mail mirror; nil leaves mail folders out.
	Maildir *maildir.Store
	// MailFilter limits how far back mail is synced (0 = everything).
	MailFilter eas.FilterType
	// CalendarFilter limits how far back calendars are synced (MS-ASCMD
	// 2.2.3.73; 0 = everything).
	CalendarFilter eas.FilterType
	// Local is the user's zone for converted items (nil: UTC); Self the
	// user's e-mail address.
	Local *time.Location
	Self  string
	// Heartbeat is the Ping heartbeat asked for first (DefaultHeartbeat);
	// the server's bounds adjust it.
	Heartbeat time.Duration
	// PollInterval is the Sync polling period when the server offers no
	// Ping (DefaultPollInterval).
	PollInterval time.Duration
	// WindowSize is the Sync window per collection (1..512, default 512).
	WindowSize int
	// SkipFolders names server folders (by display name, case ignored)
	// that are not mirrored: their items never come down, and a folder
	// mirrored before is dropped locally (it stays on the server).
	SkipFolders []string
	// Logger receives the engine's records; nil discards them.
	Logger *slog.Logger
	// Progress, when set, receives the initial-sync progress (a terminal
	// shows it); when nil, progress is logged. Either way `status` shows it.
	Progress ProgressFunc
}

// Engine mirrors one account. See the package documentation for which
// goroutine owns what.
type Engine struct {
	cfg  Config
	st   *store.Store
	c    *eas.Client
	log  *slog.Logger
	wake chan struct{}

	// Owned by the goroutine running Run or SyncOnce.
	heartbeat      time.Duration
	maxPingFolders int
	needFolderSync bool
	noPing         bool
	// only, when not nil, limits the next cycle to these folders (by
	// ServerId) plus those with local changes or a fresh key.
	only    map[string]bool
	mailOut map[int64][]mailChange
	events  chan maildir.Event

	progress progressState
	hooks    runHooks
	// started is when the engine was made and addSent when a Sync with
	// adds last left: a server may still be applying those (waitLostAdds).
	started, addSent time.Time
	// held are the folders whose adds wait for that grace period.
	held map[int64]bool
	// resyncSeen collects the ServerIds a resync from key 0 reported, by
	// collection ServerId (resyncFolder).
	resyncSeen map[string]map[string]bool
	// outboxRetry are the outbox messages whose send failed for a reason
	// that may pass (the server unreachable, busy, an unanswered try):
	// Run tries them again after each good cycle.
	outboxRetry map[maildir.Key]bool
	metaCache   map[string]string    // last meta values written
	syncedAt    map[string]time.Time // last synced-at written per collection

	mu     sync.Mutex // guards status
	status runStatus
}

// runStatus is what the running engine knows beyond the store.
type runStatus struct {
	lastPush  time.Time
	lastError string
}

// New returns an Engine for the account of cfg.
func New(cfg Config) (*Engine, error) {
	if cfg.Client == nil || cfg.Store == nil {
		return nil, errors.New("bridge: an engine needs a client and a store")
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.WindowSize <= 0 || cfg.WindowSize > eas.MaxWindowSize {
		cfg.WindowSize = eas.MaxWindowSize
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		cfg: cfg, st: cfg.Store, c: cfg.Client, log: log.With("account", cfg.Name),
		wake: make(chan struct{}, 1), heartbeat: cfg.Heartbeat, needFolderSync: true,
		mailOut: map[int64][]mailChange{}, outboxRetry: map[maildir.Key]bool{}, metaCache: map[string]string{}, syncedAt: map[string]time.Time{},
		hooks: defaultHooks(), started: time.Now(),
	}, nil
}

// Wake tells the engine that local changes wait; it interrupts a Ping at
// once. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// DAV returns the account's store as a dav.Backend whose writes wake the
// engine.
func (e *Engine) DAV() dav.Backend { return &wakingBackend{Backend: e.st.DAV(), e: e} }

// SyncOnce runs one complete two-way cycle: local folder changes and the
// hierarchy, then every collection until the server has nothing more and
// the outbox is flushed (entries the server rejects are quarantined).
func (e *Engine) SyncOnce(ctx context.Context) error {
	e.needFolderSync = true
	err := e.cycle(ctx)
	if err == nil {
		// Flag changes made while no watcher ran, then send them, and
		// whatever waits in the Maildir outbox.
		if err = e.reconcileMail(ctx); err == nil {
			err = e.syncAll(ctx)
		}
		if err == nil {
			err = e.flushOutbox(ctx)
		}
	}
	e.recordError(err)
	return err
}

// cycle brings the hierarchy and every collection up to date.
func (e *Engine) cycle(ctx context.Context) error {
	for attempt := 0; attempt < 3; attempt++ {
		if e.needFolderSync {
			if err := e.syncFolders(ctx); err != nil {
				return err
			}
		}
		err := e.syncAll(ctx)
		if errors.Is(err, eas.ErrHierarchyChanged) {
			e.needFolderSync = true
			continue
		}
		return err
	}
	return errors.New("bridge: the folder hierarchy keeps changing")
}

func (e *Engine) recordError(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	e.status.lastError = msg
	// Kept in the store too, for `easbridge status` in another process.
	e.setMeta(context.WithoutCancel(context.Background()), metaLastError, msg)
}

// setMeta writes an engine meta value unless it is the one last written,
// so a quiet cycle costs no database writes (each is an fsync).
func (e *Engine) setMeta(ctx context.Context, key, value string) {
	if v, ok := e.metaCache[key]; ok && v == value {
		return
	}
	if err := e.st.SetMeta(ctx, key, value); err == nil {
		e.metaCache[key] = value
	}
}

// markSynced records when a collection last synced, at most once a minute.
func (e *Engine) markSynced(ctx context.Context, name string) {
	now := time.Now().UTC()
	if last, ok := e.syncedAt[name]; ok && now.Sub(last) < time.Minute {
		return
	}
	e.syncedAt[name] = now
	e.setMeta(ctx, metaSyncedAt+name, now.Format(time.RFC3339))
}

// Meta keys the engine keeps in the store.
const (
	metaLastError = "engine-last-error"
	metaLastPush  = "engine-last-push"
	metaSyncedAt  = "engine-synced-at:" // + collection name: RFC 3339 time of the last good Sync
)

// wakingBackend is the store's dav.Backend that wakes the engine after
// every successful write.
type wakingBackend struct {
	dav.Backend
	e *Engine
}

func (b *wakingBackend) PutObject(ctx context.Context, collID, name string, in dav.ObjectInput, cond dav.Conditions) (string, bool, error) {
	etag, created, err := b.Backend.PutObject(ctx, collID, name, in, cond)
	if err == nil {
		b.e.Wake()
	}
	return etag, created, err
}

func (b *wakingBackend) DeleteObject(ctx context.Context, collID, name string, cond dav.Conditions) error {
	err := b.Backend.DeleteObject(ctx, collID, name, cond)
	if err == nil {
		b.e.Wake()
	}
	return err
}

func (b *wakingBackend) CreateCollection(ctx context.Context, c dav.Collection) (dav.Collection, error) {
	out, err := b.Backend.CreateCollection(ctx, c)
	if err == nil {
		b.e.needFolderSyncWake()
	}
	return out, err
}

func (b *wakingBackend) UpdateCollection(ctx context.Context, id string, displayName, color *string) error {
	err := b.Backend.UpdateCollection(ctx, id, displayName, color)
	if err == nil {
		b.e.needFolderSyncWake()
	}
	return err
}

func (b *wakingBackend) DeleteCollection(ctx context.Context, id string) error {
	err := b.Backend.DeleteCollection(ctx, id)
	if err == nil {
		b.e.needFolderSyncWake()
	}
	return err
}

// needFolderSyncWake wakes the engine for a folder change; the engine
// looks at the store's folder queue on every cycle, so no state is shared.
func (e *Engine) needFolderSyncWake() { e.Wake() }

// wrapf wraps err with context, keeping nil nil.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
