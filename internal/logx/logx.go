// Package logx holds easbridge's log/slog plumbing: a trace level below
// Debug for protocol dumps, and a Handler wrapper that keeps secrets out
// of every record, whatever its level or format.
package logx

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// LevelTrace is below slog.LevelDebug: protocol traces (`-v`).
const LevelTrace = slog.Level(-8)

// Redacted replaces every secret.
const Redacted = "[REDACTED]"

// MinSecretLen is the shortest registered value replaced inside free
// text; shorter ones would shred ordinary words. Attributes with a
// sensitive key are redacted whatever their length.
const MinSecretLen = 4

// sensitiveKeys are substrings of attribute keys whose values are never
// logged (matched case-insensitively, so "dav_password" and
// "AccessToken" count).
var sensitiveKeys = []string{"password", "passwd", "token", "secret", "authorization", "cookie", "credential"}

// credentialText matches credentials inside free text, such as a traced
// HTTP header: "Authorization: Basic dXNlcjpwYXNz", "Bearer eyJ...".
var credentialText = regexp.MustCompile(`(?i)\b(basic|bearer|negotiate|ntlm)\s+[A-Za-z0-9._~+/=-]{6,}`)

// Redactor knows the secret values to hide; cmd registers the Exchange
// password, OAuth tokens and the DAV password as soon as it reads them.
// Safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// Add registers secret values. Values shorter than MinSecretLen are
// ignored in free text.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) >= MinSecretLen && !slices.Contains(r.secrets, v) {
			r.secrets = append(r.secrets, v)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// String returns s with every registered secret and every credential
// pattern replaced.
func (r *Redactor) String(s string) string {
	r.mu.RLock()
	for _, v := range r.secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	r.mu.RUnlock()
	return credentialText.ReplaceAllString(s, "$1 "+Redacted)
}

// sensitive reports whether an attribute key names a secret.
func sensitive(key string) bool {
	k := strings.ToLower(key)
	for _, s := range sensitiveKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// Attr returns a with its value redacted: wholly when the key is
// sensitive, and registered values replaced inside strings, errors,
// Stringers, byte slices and groups otherwise.
func (r *Redactor) Attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if sensitive(a.Key) && !(v.Kind() == slog.KindGroup) {
		return slog.String(a.Key, Redacted)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.String(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]slog.Attr, len(attrs))
		for i, ga := range attrs {
			if sensitive(a.Key) {
				out[i] = slog.String(ga.Key, Redacted)
				continue
			}
			out[i] = r.Attr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		return slog.Attr{Key: a.Key, Value: r.any(v.Any())}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// any redacts a value of kind Any: errors, Stringers and byte slices by
// their text; anything else is kept unless its printed form holds a
// secret.
func (r *Redactor) any(x any) slog.Value {
	var text string
	switch t := x.(type) {
	case error:
		text = t.Error()
	case fmt.Stringer:
		text = t.String()
	case []byte:
		text = string(t)
	default:
		s := fmt.Sprintf("%+v", x)
		if red := r.String(s); red != s {
			return slog.StringValue(red)
		}
		return slog.AnyValue(x)
	}
	return slog.StringValue(r.String(text))
}

// Handler wraps another slog.Handler and redacts every record before it
// reaches it.
type Handler struct {
	inner slog.Handler
	r     *Redactor
}

// NewHandler returns a Handler that redacts with r before passing records
// to inner.
func NewHandler(inner slog.Handler, r *Redactor) *Handler {
	return &Handler{inner: inner, r: r}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.r.Attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.r.Attr(a)
	}
	return &Handler{inner: h.inner.WithAttrs(red), r: h.r}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), r: h.r}
}
