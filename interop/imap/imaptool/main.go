// Command imaptool runs easbridge's IMAP and SMTP servers over a Maildir
// for the interop/imap.sh acceptance suite and bench/imap/run, and fills
// Maildirs through the maildir package.
//
//	imaptool serve -root DIR [-imap ADDR] [-smtp ADDR] [-user U -pass P] [-out DIR] [-control FIFO]
//	imaptool fill -root DIR [-folder NAME] -n N [-prefix P]
//	imaptool bench -addr HOST:PORT -root DIR [-control FIFO]
//
// serve runs the maildir watcher and forwards its events to the IMAP
// server (as the engine will), logs every change made over IMAP as a JSON
// line to OUT/changes.jsonl, and hands SMTP submissions to a Sender that
// writes them to OUT/sent/ — or, when EAS_URL is set, sends them with
// eas.Client.SendMail (EAS_USER, EAS_PASSWORD). A temporary failure is
// spooled to the Maildir outbox. Lines "deliver FOLDER SUBJECT" on the
// control FIFO deliver a message through the Store in-process and call
// Notify, which is what the sync engine does after an EAS Sync.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/imapd"
	"github.com/easbridge/easbridge/maildir"
	"github.com/easbridge/easbridge/smtpd"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: imaptool serve|fill|bench ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "fill":
		err = fill(os.Args[2:])
	case "bench":
		err = bench(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imaptool:", err)
		os.Exit(1)
	}
}

func folderFlag(name string) (maildir.Folder, error) {
	if name == "" || strings.EqualFold(name, "INBOX") {
		return maildir.Inbox, nil
	}
	return maildir.FolderOf(strings.Split(name, "/")...)
}

// message is a small test message with a unique Message-ID.
func message(subject string, i int) string {
	var rnd [6]byte
	rand.Read(rnd[:])
	return fmt.Sprintf("From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: %s\r\n"+
		"Date: %s\r\nMessage-ID: <%s-%d-%s@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Body of %s.\r\n", subject, time.Now().Format(time.RFC1123Z), subject, i, hex.EncodeToString(rnd[:]), subject)
}

func fill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	root := fs.String("root", "", "maildir root")
	folder := fs.String("folder", "", "folder (IMAP name)")
	n := fs.Int("n", 1, "messages")
	prefix := fs.String("prefix", "msg", "subject prefix")
	sync := fs.Bool("sync", false, "fsync each delivery")
	fs.Parse(args)
	ctx := context.Background()
	st, err := maildir.Open(ctx, *root, maildir.Options{NoSync: !*sync, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	f, err := folderFlag(*folder)
	if err != nil {
		return err
	}
	if f != maildir.Inbox {
		if err := st.CreateFolder(ctx, f); err != nil && !errors.Is(err, maildir.ErrExists) {
			return err
		}
	}
	for i := 0; i < *n; i++ {
		subj := fmt.Sprintf("%s %d", *prefix, i)
		if _, err := st.Deliver(ctx, f, "", strings.NewReader(message(subj, i)), 0); err != nil {
			return err
		}
	}
	return nil
}

type serveFlags struct {
	root, imapAddr, smtpAddr, user, pass, out, control string
}

func serve(args []string) error {
	var sf serveFlags
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	fs.StringVar(&sf.root, "root", "", "maildir root")
	fs.StringVar(&sf.imapAddr, "imap", imapd.DefaultListen, "IMAP address")
	fs.StringVar(&sf.smtpAddr, "smtp", smtpd.DefaultListen, "SMTP address")
	fs.StringVar(&sf.user, "user", "alice", "user name")
	fs.StringVar(&sf.pass, "pass", "secret", "password")
	fs.StringVar(&sf.out, "out", "", "output directory (changes.jsonl, sent/)")
	fs.StringVar(&sf.control, "control", "", "control FIFO")
	fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	st, err := maildir.Open(ctx, sf.root, maildir.Options{Logger: log})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(sf.out, "sent"), 0o700); err != nil {
		return err
	}
	changes, err := os.OpenFile(filepath.Join(sf.out, "changes.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer changes.Close()
	var chMu sync.Mutex
	logChange := func(source string, ev maildir.Event) {
		chMu.Lock()
		defer chMu.Unlock()
		json.NewEncoder(changes).Encode(map[string]any{"source": source, "kind": ev.Kind.String(),
			"folder": ev.Folder.String(), "from": ev.From.String(), "key": ev.Key, "flags": ev.Flags.String()})
	}
	isrv, ssrv, err := startServers(sf, st, log, logChange)
	if err != nil {
		return err
	}
	defer isrv.Close()
	defer ssrv.Close()

	events := make(chan maildir.Event, 256)
	go func() {
		if err := st.Watch(ctx, events); err != nil {
			log.Error("imaptool: watcher stopped", "err", err)
		}
	}()
	go func() {
		for ev := range events {
			logChange("watcher", ev)
			isrv.HandleEvent(ev)
		}
	}()
	if sf.control != "" {
		go control(ctx, sf.control, st, isrv, log)
	}
	<-ctx.Done()
	return nil
}

// startServers starts imapd and smtpd over st: the Sender records or sends
// by EAS, the Spool delivers to the outbox with the envelope's Bcc.
func startServers(sf serveFlags, st *maildir.Store, log *slog.Logger, logChange func(string, maildir.Event)) (*imapd.Server, *smtpd.Server, error) {
	isrv, err := imapd.New(st, imapd.Config{Listen: sf.imapAddr, User: sf.user, Password: sf.pass, Logger: log,
		Changed: func(ev maildir.Event) { logChange("imap", ev) }})
	if err != nil {
		return nil, nil, err
	}
	sender, err := newSender(filepath.Join(sf.out, "sent"), log)
	if err != nil {
		return nil, nil, err
	}
	spool := smtpd.SpoolFunc(func(ctx context.Context, _ string, to []string, msg io.Reader) error {
		r, err := smtpd.AddBcc(msg, to)
		if err != nil {
			return err
		}
		_, err = st.Deliver(ctx, st.Outbox(), "", r, 0)
		return err
	})
	ssrv, err := smtpd.New(smtpd.Config{Listen: sf.smtpAddr, User: sf.user, Password: sf.pass, Logger: log}, sender, spool)
	if err != nil {
		return nil, nil, err
	}
	iln, err := isrv.Listen()
	if err != nil {
		return nil, nil, err
	}
	sln, err := ssrv.Listen()
	if err != nil {
		return nil, nil, err
	}
	go isrv.Serve(iln)
	go ssrv.Serve(sln)
	fmt.Println("ready", iln.Addr(), sln.Addr())
	return isrv, ssrv, nil
}

// control reads "deliver FOLDER SUBJECT" lines from a FIFO.
func control(ctx context.Context, path string, st *maildir.Store, srv *imapd.Server, log *slog.Logger) {
	for ctx.Err() == nil {
		f, err := os.Open(path)
		if err != nil {
			log.Error("imaptool: control fifo", "err", err)
			return
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.SplitN(sc.Text(), " ", 3)
			if len(fields) != 3 || fields[0] != "deliver" {
				continue
			}
			fo, err := folderFlag(fields[1])
			if err != nil {
				continue
			}
			if _, err := st.Deliver(ctx, fo, "", strings.NewReader(message(fields[2], 0)), 0); err != nil {
				log.Error("imaptool: deliver", "err", err)
				continue
			}
			srv.Notify(fo)
		}
		f.Close()
	}
}

// newSender writes each message to dir, or sends it by EAS SendMail when
// EAS_URL is set.
func newSender(dir string, log *slog.Logger) (smtpd.Sender, error) {
	var n int
	var mu sync.Mutex
	record := func(data []byte, to []string) error {
		mu.Lock()
		n++
		name := filepath.Join(dir, fmt.Sprintf("%03d.eml", n))
		mu.Unlock()
		env := "X-Envelope-To: " + strings.Join(to, ", ") + "\r\n"
		return os.WriteFile(name, append([]byte(env), data...), 0o600)
	}
	url := os.Getenv("EAS_URL")
	if url == "" {
		return smtpd.SenderFunc(func(_ context.Context, _ string, to []string, msg io.Reader) error {
			data, err := io.ReadAll(msg)
			if err != nil {
				return err
			}
			if strings.Contains(string(data), "X-Test-Fail: permanent") {
				return smtpd.Permanent(errors.New("test sender refuses this message"))
			}
			if strings.Contains(string(data), "X-Test-Fail: temporary") {
				return errors.New("test sender is offline")
			}
			return record(data, to)
		}), nil
	}
	c, err := eas.New(eas.Config{URL: url, User: os.Getenv("EAS_USER"),
		Credentials: eas.Basic{User: os.Getenv("EAS_USER"), Password: os.Getenv("EAS_PASSWORD")},
		DeviceID:    "easbridgeimaptool", DeviceType: "easbridge", Logger: log})
	if err != nil {
		return nil, err
	}
	return smtpd.SenderFunc(func(ctx context.Context, _ string, to []string, msg io.Reader) error {
		r, err := smtpd.AddBcc(msg, to)
		if err != nil {
			return smtpd.Permanent(err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		var rnd [8]byte
		rand.Read(rnd[:])
		if err := c.SendMail(ctx, &eas.Message{MIME: data, ClientID: hex.EncodeToString(rnd[:]), SaveInSentItems: true}); err != nil {
			var ne net.Error
			if errors.Is(err, eas.ErrUnavailable) || errors.Is(err, eas.ErrThrottled) ||
				errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) {
				return err // temporary: spooled to the outbox
			}
			return smtpd.Permanent(err)
		}
		return record(data, to)
	}), nil
}
