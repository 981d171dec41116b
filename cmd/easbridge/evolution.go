package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/easbridge/easbridge/bridge/store"
)

// evolutionSource is one evolution-data-server source: a CalDAV calendar,
// task list or memo list, or a CardDAV address book of one account.
type evolutionSource struct {
	UID, DisplayName, Group, Backend, Parent, Path string
}

// evolutionGroups maps a collection kind to its EDS extension group,
// backend and built-in parent source.
var evolutionGroups = map[store.Kind][3]string{
	store.KindEvents:   {"Calendar", "caldav", "caldav-stub"},
	store.KindTasks:    {"Task List", "caldav", "caldav-stub"},
	store.KindJournal:  {"Memo List", "caldav", "caldav-stub"},
	store.KindContacts: {"Address Book", "carddav", "carddav-stub"},
}

// evolutionSourcesDir is where EDS reads user sources.
func evolutionSourcesDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = filepath.Join(os.Getenv("HOME"), ".config")
	}
	return filepath.Join(dir, "evolution", "sources")
}

// accountSources lists the account's calendars, task lists, memo lists
// and address books from its store (the mirror run keeps).
func accountSources(ctx context.Context, ac accountConfig) ([]evolutionSource, error) {
	db := filepath.Join(ac.StateDir, "state.db")
	if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("account %q has not synced yet (no %s): run `easbridge sync --once` or start the service first", ac.Name, db)
	}
	st, err := store.Open(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, fmt.Errorf("account %q: %w", ac.Name, err)
	}
	defer st.Close()
	colls, err := st.Collections(ctx)
	if err != nil {
		return nil, fmt.Errorf("account %q: %w", ac.Name, err)
	}
	var out []evolutionSource
	for _, c := range colls {
		g, ok := evolutionGroups[c.Kind]
		if !ok {
			continue
		}
		home := "calendars"
		if c.Kind == store.KindContacts {
			home = "contacts"
		}
		name := c.DisplayName
		if name == "" {
			name = c.Name
		}
		out = append(out, evolutionSource{
			UID:         evolutionUID(ac.Name, c.Name),
			DisplayName: name + " (" + ac.Name + ")",
			Group:       g[0], Backend: g[1], Parent: g[2],
			Path: "/" + home + "/" + ac.Name + "/" + c.Name + "/",
		})
	}
	return out, nil
}

// evolutionUID is a source's UID and file name: stable per account and
// collection, so writing again replaces rather than duplicates.
func evolutionUID(account, coll string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '_'
		}, s)
	}
	return "easbridge-" + clean(account) + "--" + clean(coll)
}

// evolutionSourceText is the key file EDS reads (the format Evolution
// writes for a calendar added by URL).
func evolutionSourceText(s evolutionSource, host, port, user string) string {
	esc := func(v string) string { return strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r").Replace(v) }
	return fmt.Sprintf(`[Data Source]
DisplayName=%s
Enabled=true
Parent=%s

[%s]
BackendName=%s
Selected=true

[Authentication]
Host=%s
Method=plain/password
Port=%s
RememberPassword=true
User=%s

[Security]
Method=none

[Offline]
StaySynchronized=true

[WebDAV Backend]
AvoidIfmatch=false
CalendarAutoSchedule=false
ResourcePath=%s
`, esc(s.DisplayName), s.Parent, s.Group, s.Backend, host, port, esc(user), esc(s.Path))
}

// writeEvolution writes every account's sources into dir, removes the
// sources it wrote earlier for collections that are gone, and gives EDS
// the DAV password where a Secret Service answers.
func writeEvolution(ctx context.Context, cfg *config, dir string, out io.Writer) error {
	host, port, err := net.SplitHostPort(cfg.DAV.Listen)
	if err != nil {
		return fmt.Errorf("[dav] listen %q: %w", cfg.DAV.Listen, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var uids []string
	for _, ac := range cfg.Accounts {
		srcs, err := accountSources(ctx, ac)
		if err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, s := range srcs {
			p := filepath.Join(dir, s.UID+".source")
			if err := os.WriteFile(p, []byte(evolutionSourceText(s, host, port, ac.Name)), 0o600); err != nil {
				return err
			}
			keep[s.UID+".source"] = true
			uids = append(uids, s.UID)
			fmt.Fprintf(out, "%-12s %-40s %s\n", s.Group, s.DisplayName, p)
		}
		old, _ := filepath.Glob(filepath.Join(dir, evolutionUID(ac.Name, "")+"*.source"))
		for _, p := range old {
			if !keep[filepath.Base(p)] {
				if err := os.Remove(p); err == nil {
					fmt.Fprintf(out, "removed %s (collection gone)\n", p)
				}
			}
		}
	}
	sort.Strings(uids)
	return evolutionPasswords(ctx, cfg, uids, out)
}

// evolutionPasswords stores the DAV password where EDS looks for it.
func evolutionPasswords(ctx context.Context, cfg *config, uids []string, out io.Writer) error {
	if len(uids) == 0 {
		fmt.Fprintln(out, "No calendars or address books yet: run `easbridge sync --once`, then this again.")
		return nil
	}
	pw, err := cfg.davPassword(ctx)
	if err != nil {
		return err
	}
	if err := storeEDSPasswords(uids, pw); err != nil {
		fmt.Fprintf(out, "Evolution will ask once for the password (%v); `easbridge clients --show-password` prints it.\n", err)
		return nil
	}
	fmt.Fprintf(out, "The DAV password is in the Secret Service for Evolution (%d sources).\n", len(uids))
	fmt.Fprintln(out, "Evolution and GNOME Calendar pick the sources up at once (or at their next start).")
	return nil
}

// errNoSecretService: no session bus answers.
var errNoSecretService = errors.New("no Secret Service on the session bus")
