package dav

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind is what a collection holds.
type Kind int

// The collection kinds. Events and tasks live in separate calendar
// collections, each advertising one component in
// supported-calendar-component-set (RFC 4791 5.2.3).
const (
	KindEvents   Kind = iota + 1 // calendar of VEVENT
	KindTasks                    // calendar of VTODO
	KindJournal                  // calendar of VJOURNAL
	KindContacts                 // address book of vCard
)

// String returns the kind's name, used in logs.
func (k Kind) String() string {
	switch k {
	case KindEvents:
		return "events"
	case KindTasks:
		return "tasks"
	case KindJournal:
		return "journal"
	case KindContacts:
		return "contacts"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// IsCalendar reports whether collections of this kind are CalDAV calendars.
func (k Kind) IsCalendar() bool {
	return k == KindEvents || k == KindTasks || k == KindJournal
}

// Collection describes one calendar or address book.
type Collection struct {
	// ID is the collection's URL segment: stable, non-empty, no "/".
	ID          string
	Kind        Kind
	DisplayName string
	Description string
	// Color is "#RRGGBB" or "#RRGGBBAA" (Apple calendar-color), or "".
	Color string
	// CTag changes whenever anything in the collection changes
	// (CalendarServer getctag). It may equal SyncToken.
	CTag string
	// SyncToken is the opaque current RFC 6578 token. It must be a URI
	// (RFC 6578 4): the handler sends it as is, so the Backend should use a
	// form like "urn:easbridge:sync:<collection>:<revision>".
	SyncToken string
}

// Object is one calendar object resource or vCard.
type Object struct {
	// Name is the resource name inside the collection, e.g. "abc.ics".
	Name string
	UID  string
	// ETag is the strong entity tag without quotes. It changes on every
	// write of the object.
	ETag string
	// Data is the iCalendar or vCard text. Methods say when it is left nil.
	Data    []byte
	ModTime time.Time
	// Size is len(Data) when Data is loaded, else the stored size.
	Size int64
}

// ObjectInput is what the handler writes after validating a PUT body.
type ObjectInput struct {
	// Data is the body as the client sent it (validated, not rewritten).
	Data []byte
	// UID is the UID of the object's components (or the vCard UID).
	UID string
	// Start and End bound, in UTC, every occurrence of the object (for a
	// recurring event the whole series, overrides included), as computed by
	// Span. A zero Start means unbounded before, a zero End unbounded after.
	// Both are zero for vCards and for components without any date.
	// The Backend stores them so QueryTimeRange can use an index.
	Start, End time.Time
}

// Conditions are the HTTP preconditions of a write (RFC 7232).
// An empty string means the header was absent; "*" means any current
// representation. Other values are one ETag without quotes.
type Conditions struct {
	IfMatch     string
	IfNoneMatch string
}

// Errors a Backend returns; the handler maps them to HTTP statuses.
// Backends wrap them with %w and context.
var (
	// ErrNotFound: the collection or object does not exist (404).
	ErrNotFound = errors.New("dav: not found")
	// ErrPreconditionFailed: If-Match or If-None-Match did not hold (412).
	ErrPreconditionFailed = errors.New("dav: precondition failed")
	// ErrInvalidSyncToken: Changes got a token it cannot answer from
	// (403 with DAV:valid-sync-token, RFC 6578 3.2).
	ErrInvalidSyncToken = errors.New("dav: invalid sync token")
	// ErrExists: CreateCollection on an ID already in use (405, RFC 4791 5.3.1).
	ErrExists = errors.New("dav: already exists")
	// ErrForbidden: the Backend refuses the operation (403), e.g. deleting
	// a collection the account cannot lose.
	ErrForbidden = errors.New("dav: forbidden")
)

// UIDConflictError is returned by PutObject when another object in the same
// collection already has the UID (RFC 4791 5.3.2.1 no-uid-conflict,
// RFC 6352 6.3.2.1). errors.Is(err, ErrUIDConflict) holds for it.
type UIDConflictError struct {
	// Name is the resource name of the object that holds the UID.
	Name string
}

// ErrUIDConflict is the sentinel matched by UIDConflictError.
var ErrUIDConflict = errors.New("dav: uid already used in collection")

// Error implements error.
func (e *UIDConflictError) Error() string {
	return fmt.Sprintf("dav: uid already used by %q", e.Name)
}

// Is makes errors.Is(err, ErrUIDConflict) true.
func (e *UIDConflictError) Is(target error) bool { return target == ErrUIDConflict }

// Backend holds the collections and objects the handler serves, for the
// one user the handler authenticates. Every method is one transaction:
// it sees a consistent state and its writes are atomic and durable when it
// returns nil. Every write of an object gives it a new ETag and gives its
// collection a new CTag and SyncToken; so does a delete. Methods must be
// safe for concurrent use. Collection and object names arrive exactly as
// they appear in the URL path (already unescaped).
type Backend interface {
	// Collections lists every collection of the user, of any kind.
	Collections(ctx context.Context) ([]Collection, error)
	// Collection returns one collection, or ErrNotFound.
	Collection(ctx context.Context, id string) (Collection, error)
	// CreateCollection creates c (MKCALENDAR, extended MKCOL). c.ID is the
	// URL segment the client chose; CTag and SyncToken are set by the
	// Backend. It returns the stored collection, or ErrExists.
	CreateCollection(ctx context.Context, c Collection) (Collection, error)
	// UpdateCollection sets the non-nil fields (PROPPATCH); an empty string
	// clears the field. ErrNotFound if the collection is absent.
	UpdateCollection(ctx context.Context, id string, displayName, color *string) error
	// DeleteCollection removes the collection and everything in it.
	DeleteCollection(ctx context.Context, id string) error

	// Objects lists the objects of a collection WITHOUT Data (Name, UID,
	// ETag, ModTime, Size), so that PROPFIND Depth 1 on a large calendar
	// loads no bodies. ErrNotFound if the collection is absent.
	Objects(ctx context.Context, collID string) ([]Object, error)
	// GetObjects returns the named objects WITH Data, in any order; names
	// that do not exist are simply absent from the result (multiget turns
	// them into 404 responses). ErrNotFound only if the collection is absent.
	GetObjects(ctx context.Context, collID string, names []string) ([]Object, error)
	// QueryTimeRange returns, WITH Data, every object of the collection
	// whose stored [Start, End) span (see ObjectInput) overlaps
	// [start, end), treating zero bounds on either side as unbounded, plus
	// every object that has no span at all. It may return more candidates
	// than match: the handler checks each one exactly.
	QueryTimeRange(ctx context.Context, collID string, start, end time.Time) ([]Object, error)
	// PutObject creates or replaces the object named name if cond holds,
	// returning its new ETag and whether it was created. Errors:
	// ErrNotFound (collection), ErrPreconditionFailed, *UIDConflictError
	// (another object of the collection has in.UID).
	PutObject(ctx context.Context, collID, name string, in ObjectInput, cond Conditions) (etag string, created bool, err error)
	// DeleteObject removes the object if cond holds (only IfMatch is
	// meaningful). Errors: ErrNotFound, ErrPreconditionFailed.
	DeleteObject(ctx context.Context, collID, name string, cond Conditions) error
	// Changes reports what changed in the collection since the sync token
	// (RFC 6578): changed objects (created or modified, WITHOUT Data) and
	// names deleted since then, and the collection's current token. An
	// empty since means the initial sync: every object, no deletions. A
	// token the Backend does not recognise, or one from another collection,
	// gives ErrInvalidSyncToken.
	Changes(ctx context.Context, collID, since string) (changed []Object, deleted []string, token string, err error)
}
