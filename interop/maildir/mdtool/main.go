//go:build linux

// Command mdtool drives the maildir package for the interop suite
// (interop/maildir.sh): it delivers generated messages, creates folders,
// lists a mirror, and watches one, printing each event as a JSON line.
//
//	mdtool watch   -root DIR
//	mdtool deliver -root DIR [-f SEG]... -n N [-start I] [-size BYTES] [-prefix P] [-flags FS] [-nosync]
//	mdtool mkfolder -root DIR -f SEG [-f SEG]...
//	mdtool list    -root DIR
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/easbridge/easbridge/maildir"
)

// segs is a repeatable -f flag: one folder level per use, so names may
// hold '/' and '.'.
type segs []string

func (s *segs) String() string     { return strings.Join(*s, "/") }
func (s *segs) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mdtool watch|deliver|mkfolder|list -root DIR ...")
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	root := fs.String("root", "", "mail root")
	var folder segs
	fs.Var(&folder, "f", "folder level (repeat for a path)")
	n := fs.Int("n", 1, "messages to deliver")
	start := fs.Int("start", 0, "first message number")
	size := fs.Int("size", 2000, "approximate message size in bytes")
	prefix := fs.String("prefix", "m", "id prefix; message i has id PREFIX-i")
	flags := fs.String("flags", "", "flags of delivered messages, e.g. S")
	nosync := fs.Bool("nosync", false, "skip fsync (speed, not safety)")
	debounce := fs.Duration("debounce", 0, "watcher debounce")
	fs.Parse(os.Args[2:])
	if *root == "" {
		fmt.Fprintln(os.Stderr, "mdtool: -root is required")
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	st, err := maildir.Open(context.Background(), *root, maildir.Options{Logger: log, NoSync: *nosync, Debounce: *debounce})
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	f, err := maildir.FolderOf(folder...)
	if err != nil {
		fail(err)
	}
	switch cmd {
	case "watch":
		err = watch(ctx, st)
	case "deliver":
		fl, _ := maildir.ParseFlags(*flags)
		err = deliver(ctx, st, f, *start, *n, *size, *prefix, fl)
	case "mkfolder":
		err = st.CreateFolder(ctx, f)
	case "list":
		err = list(ctx, st)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mdtool:", err)
	os.Exit(1)
}

// jsonEvent is one event line.
type jsonEvent struct {
	T        float64 `json:"t"` // unix seconds when emitted
	Kind     string  `json:"kind"`
	Folder   string  `json:"folder,omitempty"`
	Dir      string  `json:"dir,omitempty"`
	Key      string  `json:"key,omitempty"`
	From     string  `json:"from,omitempty"`
	OldKey   string  `json:"old_key,omitempty"`
	Flags    string  `json:"flags"`
	OldFlags string  `json:"old_flags"`
	Keywords string  `json:"keywords,omitempty"`
	Path     string  `json:"path,omitempty"`
	Err      string  `json:"err,omitempty"`
	// LagMS is the time from the file's last status change (the rename a
	// client made) to this event: the watcher's delay.
	LagMS float64 `json:"lag_ms,omitempty"`
}

func watch(ctx context.Context, st *maildir.Store) error {
	events := make(chan maildir.Event, 1024)
	done := make(chan error, 1)
	go func() { done <- st.Watch(ctx, events); close(events) }()
	enc := json.NewEncoder(os.Stdout)
	for ev := range events {
		now := time.Now()
		je := jsonEvent{T: float64(now.UnixNano()) / 1e9, Kind: ev.Kind.String(), Key: string(ev.Key),
			OldKey: string(ev.OldKey), Flags: ev.Flags.String(), OldFlags: ev.OldFlags.String(),
			Keywords: ev.Keywords, Path: ev.Path}
		if ev.Kind != maildir.Ready && ev.Kind != maildir.Problem {
			je.Folder, je.Dir = ev.Folder.String(), string(ev.Folder)
		}
		if ev.Kind == maildir.Moved || ev.Kind == maildir.FolderRenamed {
			je.From = ev.From.String()
		}
		if ev.Err != nil {
			je.Err = ev.Err.Error()
		}
		var sys syscall.Stat_t
		if ev.Path != "" && ev.Kind != maildir.Removed && syscall.Stat(ev.Path, &sys) == nil {
			ctime := time.Unix(sys.Ctim.Sec, sys.Ctim.Nsec)
			je.LagMS = float64(now.Sub(ctime).Microseconds()) / 1000
		}
		if err := enc.Encode(je); err != nil {
			return err
		}
	}
	return <-done
}

func deliver(ctx context.Context, st *maildir.Store, f maildir.Folder, start, n, size int, prefix string, fl maildir.Flags) error {
	if f != maildir.Inbox {
		if err := st.CreateFolder(ctx, f); err != nil && !isExists(err) {
			return err
		}
	}
	t0 := time.Now()
	for i := start; i < start+n; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		m := Message(id, size)
		k, err := st.Deliver(ctx, f, id, strings.NewReader(m), fl)
		if err != nil {
			return err
		}
		fmt.Printf("%s\t%s\t%x\n", k, id, sha256.Sum256([]byte(m)))
	}
	el := time.Since(t0)
	fmt.Fprintf(os.Stderr, "mdtool: delivered %d messages in %v (%.0f/s)\n", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

func isExists(err error) bool { return errors.Is(err, maildir.ErrExists) }

// Message builds a deterministic CRLF message for id, padded to about
// size bytes, with a non-ASCII subject and body.
func Message(id string, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Zoë Sender <zoe@example.org>\r\nTo: bob@example.org\r\n")
	fmt.Fprintf(&b, "Subject: =?UTF-8?Q?Caf=C3=A9_=E2=98=95?= %s\r\n", id)
	fmt.Fprintf(&b, "Message-ID: <%s@easbridge.test>\r\nDate: Sun, 22 Nov 2026 01:00:00 +0000\r\n", id)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	fmt.Fprintf(&b, "Grüße aus dem Testlabor, message %s.\r\n", id)
	line := "The quick brown fox jumps over the lazy dog, 0123456789.\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.String()
}

func list(ctx context.Context, st *maildir.Store) error {
	folders, err := st.Folders(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, f := range folders {
		msgs, err := st.List(ctx, f)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			enc.Encode(map[string]any{"folder": f.String(), "dir": string(f), "key": m.Key, "id": m.ID, "flags": m.Flags.String(), "path": m.Path})
		}
	}
	return nil
}
