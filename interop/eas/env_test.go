//go:build interop

// Package eas_test holds the interop tests of the eas client against a
// real ActiveSync server (SOGo, started by interop/eas-sogo.sh). They read
// the server's address and accounts from the environment; under the
// interop build tag a missing variable is a failure. The tests seed what
// they need and tolerate data left by earlier runs.
package eas_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/smtp"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// env is the server under test.
type env struct {
	url                string
	user, password     string
	user2, password2   string
	smtpHost, smtpPort string
	domain             string
}

func loadEnv(t *testing.T) *env {
	t.Helper()
	get := func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			t.Fatalf("interop: %s is not set (run interop/eas-sogo.sh, or eval the server's start output)", k)
		}
		return v
	}
	e := &env{
		url: get("EAS_URL"), user: get("EAS_USER"), password: get("EAS_PASSWORD"),
		user2: get("EAS_USER_2"), password2: get("EAS_PASSWORD_2"),
		smtpHost: get("SMTP_HOST"), smtpPort: get("SMTP_PORT"),
	}
	e.domain = os.Getenv("EAS_DOMAIN")
	if e.domain == "" {
		e.domain = "example.test"
	}
	return e
}

func (e *env) address(user string) string { return user + "@" + e.domain }

// runID makes names unique per run, so the tests ignore data of earlier
// runs and a server that already has data.
var runID = func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

var devices atomic.Int32

// account is one user with its own device on the server.
type account struct {
	t       *testing.T
	c       *eas.Client
	user    string
	email   string
	v       eas.Version
	folders []eas.Folder
	fkey    string
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newAccount connects user (1 or 2) with protocol version v and a device
// id of its own, and runs FolderSync.
func newAccount(t *testing.T, e *env, n int, v eas.Version) *account {
	t.Helper()
	user, pw := e.user, e.password
	if n == 2 {
		user, pw = e.user2, e.password2
	}
	// A device of its own for every account of every test.
	dev := fmt.Sprintf("ebit%s%dd%d", runID, v, devices.Add(1))
	c, err := eas.New(eas.Config{
		URL: e.url, User: user, Credentials: eas.Basic{User: user, Password: pw},
		DeviceID: dev, DeviceType: "easbridgeinterop", Version: v,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &account{t: t, c: c, user: user, email: e.address(user), v: v}
	ctx := ctxFor(t, time.Minute)
	if _, err := c.Provision(ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	fc, err := c.FolderSync(ctx, "0")
	if err != nil {
		t.Fatalf("FolderSync: %v", err)
	}
	a.folders, a.fkey = fc.Added, fc.SyncKey
	return a
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// folder returns the first folder of type typ.
func (a *account) folder(typ eas.FolderType) eas.Folder {
	a.t.Helper()
	for _, f := range a.folders {
		if f.Type == typ {
			return f
		}
	}
	a.t.Fatalf("no folder of type %d among %d folders", typ, len(a.folders))
	return eas.Folder{}
}

// collection is the client side of one synced folder: the SyncKey and the
// items by ServerId, as a sync engine would keep them.
type collection struct {
	a     *account
	id    string
	class eas.Class
	key   string
	items map[string]eas.Item
}

// open syncs a folder from key 0 to the end.
func (a *account) open(f eas.Folder) *collection {
	a.t.Helper()
	col := &collection{a: a, id: f.ServerID, class: f.Type.Class(), key: "0", items: map[string]eas.Item{}}
	col.pull()
	return col
}

// sync sends one Sync for the collection, applying the server's changes
// (an Add is an upsert: a server may resend items it already sent). A
// SyncKey the server rejects (status 3) is handled as a sync engine
// would: sync the folder again from key 0, reconciling by ServerId, and
// send the same commands (same ClientIds) once more.
func (col *collection) sync(sc eas.SyncCollection) *eas.CollectionResult {
	col.a.t.Helper()
	cr, err := col.syncOnce(sc)
	if errors.Is(err, eas.ErrInvalidSyncKey) && col.key != "0" {
		col.a.t.Logf("Sync %s: key %s rejected, syncing again from 0", col.id, col.key)
		col.key = "0"
		col.pull()
		cr, err = col.syncOnce(sc)
	}
	if err != nil {
		col.a.t.Fatalf("Sync %s (key %s): %v", col.id, col.key, err)
	}
	return cr
}

func (col *collection) syncOnce(sc eas.SyncCollection) (*eas.CollectionResult, error) {
	sc.CollectionID, sc.SyncKey, sc.Class = col.id, col.key, col.class
	if sc.WindowSize == 0 {
		sc.WindowSize = 100
	}
	if sc.Options == nil {
		sc.Options = &eas.SyncOptions{BodyPreferences: []eas.BodyPreference{{Type: 1, TruncationSize: 200000}}}
	}
	ctx := ctxFor(col.a.t, 2*time.Minute)
	res, err := col.a.c.Sync(ctx, &eas.SyncRequest{Collections: []eas.SyncCollection{sc}}, func(ch eas.ServerChange) error {
		switch ch.Kind {
		case eas.ChangeAdd, eas.ChangeModify, eas.ChangeFetch:
			if ch.Item != nil {
				col.items[ch.ServerID] = ch.Item
			}
		case eas.ChangeDelete, eas.ChangeSoftDelete:
			delete(col.items, ch.ServerID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cr := res.Collection(col.id)
	if cr == nil {
		return nil, fmt.Errorf("no result for the collection")
	}
	col.key = cr.SyncKey
	return cr, nil
}

// pull fetches the server's changes until there are none left.
func (col *collection) pull() {
	col.a.t.Helper()
	for i := 0; i < 200; i++ {
		getChanges := col.key != "0"
		wasZero := col.key == "0"
		cr := col.sync(eas.SyncCollection{GetChanges: getChanges})
		if wasZero {
			continue // key 0 only hands out the first key
		}
		if !cr.MoreAvailable {
			return
		}
	}
	col.a.t.Fatalf("Sync %s never finished", col.id)
}

// settle pulls until the server answers "no changes" (an empty response
// or one without items), so that a following Ping waits for new changes.
func (col *collection) settle() {
	col.a.t.Helper()
	for i := 0; i < 10; i++ {
		before := len(col.items)
		cr := col.sync(eas.SyncCollection{GetChanges: true})
		if cr.NoChanges || (!cr.MoreAvailable && len(col.items) == before && i > 0) {
			return
		}
	}
}

// pullUntil pulls until ok reports true, up to d. Servers whose SyncKey
// is a timestamp (SOGo: whole seconds) report a change made within the
// second of the reader's key only on a later Sync, so a reader polls.
func (col *collection) pullUntil(d time.Duration, ok func() bool) bool {
	col.a.t.Helper()
	deadline := time.Now().Add(d)
	for {
		col.pull()
		if ok() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// find returns the ServerId of the first item match accepts.
func (col *collection) find(match func(eas.Item) bool) (string, bool) {
	for id, it := range col.items {
		if match(it) {
			return id, true
		}
	}
	return "", false
}

// waitFor pulls until match finds an item, up to d.
func (col *collection) waitFor(d time.Duration, match func(eas.Item) bool) (string, bool) {
	col.a.t.Helper()
	deadline := time.Now().Add(d)
	for {
		col.pull()
		if id, ok := col.find(match); ok {
			return id, true
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(2 * time.Second)
	}
}

func subjectIs(s string) func(eas.Item) bool {
	return func(it eas.Item) bool {
		m, ok := it.(*eas.Email)
		return ok && m.Subject == s
	}
}

// deliver sends a message over SMTP to the server's MTA.
func (e *env) deliver(t *testing.T, from, to string, msg string) {
	t.Helper()
	msg = strings.ReplaceAll(msg, "\n", "\r\n")
	if err := smtp.SendMail(e.smtpHost+":"+e.smtpPort, nil, from, []string{to}, []byte(msg)); err != nil {
		t.Fatalf("SMTP delivery to %s: %v", to, err)
	}
}

// versions returns the protocol versions both the server and the client
// speak, newest first.
func versions(t *testing.T, e *env) []eas.Version {
	t.Helper()
	c, err := eas.New(eas.Config{URL: e.url, User: e.user, Credentials: eas.Basic{User: e.user, Password: e.password}, DeviceID: "ebinteropoptions", DeviceType: "easbridgeinterop"})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.Options(ctxFor(t, 30*time.Second))
	if err != nil {
		t.Fatalf("OPTIONS: %v", err)
	}
	var out []eas.Version
	for _, v := range eas.SupportedVersions {
		for _, s := range opts.Versions {
			if s == v {
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no common protocol version in %v", opts.Versions)
	}
	return out
}

// forVersions runs fn as a subtest per common protocol version.
func forVersions(t *testing.T, fn func(t *testing.T, e *env, v eas.Version)) {
	e := loadEnv(t)
	for _, v := range versions(t, e) {
		t.Run(v.String(), func(t *testing.T) { fn(t, e, v) })
	}
}

func mailMessage(from, to, subject, body string) string {
	return fmt.Sprintf("From: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s@easbridge.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n",
		from, to, subject, time.Now().Format(time.RFC1123Z), strings.ReplaceAll(subject, " ", "."), body)
}
