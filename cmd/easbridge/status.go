package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/easbridge/easbridge/bridge"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/maildir"
)

var statusCommand = command{"show each account's folders, outbox, conflicts and errors (--json)", showStatus}

// accountStatus is one account in `status --json`.
type accountStatus struct {
	*bridge.Status
	DAVURL  string `json:"dav_url"`
	Maildir string `json:"maildir"`
	// SignIn is the Microsoft 365 sign-in (auth = "oauth2"), see auth.go.
	SignIn *signInStatus `json:"sign_in,omitempty"`
	// Live is what the running daemon sees on the wire (control.go); nil
	// when the status was read from the store.
	Live *liveStatus `json:"live,omitempty"`
}

// showStatus reads every account's state (beside a running daemon: the
// store allows readers while it writes) and prints it.
func showStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var asJSON bool
	_, path, ok := parseCommon("status", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	})
	if !ok {
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge status: %v\n", err)
		return 2
	}
	daemon, derr := askDaemon(ctx, *path, cfg)
	var out []accountStatus
	if derr == nil {
		out = daemon.Accounts
		for i := range out {
			for _, ac := range cfg.Accounts {
				if out[i].Status != nil && ac.Name == out[i].Account {
					out[i].SignIn = readSignIn(ac)
				}
			}
		}
	}
	for _, ac := range cfg.Accounts {
		if derr == nil {
			break
		}
		s, err := readAccountStatus(ctx, ac)
		if err != nil {
			fmt.Fprintf(stderr, "easbridge status: account %q: %v\n", ac.Name, err)
			return 1
		}
		out = append(out, accountStatus{Status: s, DAVURL: fmt.Sprintf("http://%s/", cfg.DAV.Listen), Maildir: ac.Maildir, SignIn: readSignIn(ac)})
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"accounts": out, "daemon": daemonJSON(daemon, derr)}); err != nil {
			return 1
		}
		return 0
	}
	printDaemon(stdout, daemon, derr)
	for _, a := range out {
		printStatus(stdout, a)
	}
	return 0
}

func readAccountStatus(ctx context.Context, ac accountConfig) (*bridge.Status, error) {
	db := filepath.Join(ac.StateDir, "state.db")
	if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("no state yet (run `easbridge sync --once` first): %w", err)
	}
	st, err := store.Open(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	md, err := maildir.Open(ctx, ac.Maildir, maildir.Options{})
	if err != nil {
		md = nil // the folders are shown without message counts
	}
	return bridge.ReadStatus(ctx, ac.Name, st, md)
}

func printStatus(w io.Writer, a accountStatus) {
	fmt.Fprintf(w, "account %s  (DAV %s, Maildir %s)\n", a.Account, a.DAVURL, a.Maildir)
	if a.SignIn != nil {
		fmt.Fprintf(w, "  sign-in: %s\n", a.SignIn)
	}
	fmt.Fprintf(w, "  last push: %s\n", ago(a.LastPush))
	printLive(w, a.Live)
	printProgress(w, a.Folders)
	if a.LastError != "" {
		fmt.Fprintf(w, "  last error: %s\n", a.LastError)
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  FOLDER\tKIND\tITEMS\tSYNCED\tOUTBOX\tERROR")
	for _, f := range a.Folders {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%d\t%s\n", f.Name, f.Kind, f.Items, ago(f.SyncedAt), f.Pending, f.LastError)
	}
	tw.Flush()
	fmt.Fprintf(w, "  conflicts: %d\n", len(a.Conflicts))
	for _, c := range a.Conflicts {
		fmt.Fprintf(w, "    %s/%s: %s wins (%s)\n", c.Collection, c.Item, c.Winner, c.Reason)
	}
	fmt.Fprintf(w, "  quarantined: %d\n", len(a.Quarantined))
	for _, q := range a.Quarantined {
		fmt.Fprintf(w, "    %s/%s: %s\n", q.Collection, q.Item, q.Reason)
	}
}

// ago renders a time as an age.
func ago(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return time.Since(*t).Round(time.Second).String() + " ago"
}
