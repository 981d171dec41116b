package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/internal/logx"
)

var demoCommand = command{"run the whole bridge against a built-in sample Exchange server (no account needed)", runDemo}

// demoUser is the account name (and DAV, IMAP and SMTP user) of the demo.
const demoUser = "demo"

// demoMarker marks a directory the demo made, so a later demo may clear
// what the previous one left there and nothing else.
const demoMarker = ".easbridge-demo"

// demoStarted, when set (by tests), receives the sample server once it
// is seeded.
var demoStarted func(*eastest.Server, *eastest.Seeded)

// demoFlags are the flags of `easbridge demo`.
type demoFlags struct {
	dir                        string
	port, imapPort, smtpPort   int
	changes                    time.Duration
	log                        logOptions
	davPassword, easPassword   string // generated
	imapListen, smtpListen     string // resolved
	keepDir                    bool
	logs                       bool
	serverURL, cfgPath, mailIn string
}

// runDemo runs `easbridge run` unchanged against an in-process EAS server
// (eas/eastest) holding a sample mailbox, with a configuration written
// into a demo directory. It prints the settings a DAV, IMAP or SMTP
// client needs, including the DAV password it generated: the only place
// easbridge ever prints a password unasked, since it opens no real
// account. Every --changes the sample server delivers a mail and moves
// an event, so users see push working.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var df demoFlags
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&df.dir, "dir", "", "state `directory` (default: a temporary one, removed on exit)")
	fs.IntVar(&df.port, "port", 5234, "CalDAV/CardDAV `port` on 127.0.0.1 (0: any free port)")
	fs.IntVar(&df.imapPort, "imap-port", 1144, "IMAP `port` on 127.0.0.1 (0: any free port, -1: off)")
	fs.IntVar(&df.smtpPort, "smtp-port", 1588, "SMTP submission `port` on 127.0.0.1 (0: any free port, -1: off)")
	fs.DurationVar(&df.changes, "changes", 2*time.Minute, "how often the sample server changes the mailbox (0: never)")
	df.log.register(fs)
	fs.BoolVar(&df.logs, "logs", false, "show the bridge's informational log on stderr (warnings and errors always show)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "easbridge demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if !df.logs && !df.log.verbose {
		// The settings on stdout stay in view: the initial sync's
		// records would push them off the screen.
		stderr = &infoFilter{w: stderr}
	}
	log, err := df.log.newLogger(stderr, &logx.Redactor{})
	if err != nil {
		fmt.Fprintf(stderr, "easbridge demo: %v\n", err)
		return 2
	}
	cleanup, err := df.prepareDir()
	if err != nil {
		fmt.Fprintf(stderr, "easbridge demo: %v\n", err)
		return 1
	}
	defer cleanup()
	srv, seeded, stopServer, err := df.startServer(log)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge demo: %v\n", err)
		return 1
	}
	defer stopServer()
	if demoStarted != nil {
		demoStarted(srv, seeded)
	}
	if err := df.writeConfig(); err != nil {
		fmt.Fprintf(stderr, "easbridge demo: %v\n", err)
		return 1
	}
	return df.run(ctx, srv, seeded, stdout, stderr, log)
}

// run starts `easbridge run` on the demo configuration, prints the
// settings once its DAV server answers, and drives the server-side
// changes until ctx ends.
func (df *demoFlags) run(ctx context.Context, srv *eastest.Server, seeded *eastest.Seeded, stdout, stderr io.Writer, log *slog.Logger) int {
	pr, pw := io.Pipe()
	runArgs := []string{"--config", df.cfgPath, "--log-format", df.log.format}
	if df.log.verbose {
		runArgs = append(runArgs, "-v")
	}
	done := make(chan int, 1)
	go func() {
		code := runBridge(ctx, runArgs, pw, stderr)
		pw.Close()
		done <- code
	}()
	// run prints the DAV URL once it listens; that line is the signal.
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		code := <-done
		fmt.Fprintf(stderr, "easbridge demo: the bridge did not start; if a port is taken, choose another with --port, --imap-port and --smtp-port (0: any free port)\n")
		return code
	}
	base := strings.TrimSpace(lines.Text())
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	df.printSettings(stdout, base, seeded)
	go df.changeLoop(ctx, srv, seeded, stdout, log)
	return <-done
}

// prepareDir makes the demo directory, or clears the state a previous
// demo left in a given one (the sample server starts afresh each time,
// so old sync keys would only provoke a full resync).
func (df *demoFlags) prepareDir() (cleanup func(), err error) {
	cleanup = func() {}
	if df.dir == "" {
		if df.dir, err = os.MkdirTemp("", "easbridge-demo-"); err != nil {
			return nil, fmt.Errorf("creating a demo directory: %w", err)
		}
		dir := df.dir
		cleanup = func() { _ = os.RemoveAll(dir) }
	} else {
		df.keepDir = true
		if df.dir, err = filepath.Abs(df.dir); err != nil {
			return nil, err
		}
		entries, err := os.ReadDir(df.dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("demo directory: %w", err)
		}
		if len(entries) > 0 {
			if _, err := os.Stat(filepath.Join(df.dir, demoMarker)); err != nil {
				return nil, fmt.Errorf("demo directory %s is not empty and was not made by a demo; choose an empty or new one", df.dir)
			}
			for _, sub := range []string{"state", "Mail"} {
				if err := os.RemoveAll(filepath.Join(df.dir, sub)); err != nil {
					return nil, fmt.Errorf("clearing the previous demo: %w", err)
				}
			}
		}
	}
	if err := os.MkdirAll(df.dir, 0o700); err != nil {
		return cleanup, fmt.Errorf("creating the demo directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(df.dir, demoMarker), []byte("made by easbridge demo\n"), 0o600); err != nil {
		return cleanup, err
	}
	return cleanup, nil
}

// startServer starts the sample EAS server on a loopback port and seeds
// it with the sample mailbox in the local time zone.
func (df *demoFlags) startServer(log *slog.Logger) (*eastest.Server, *eastest.Seeded, func(), error) {
	df.easPassword, df.davPassword = rand.Text(), rand.Text()[:16]
	srv := eastest.New(eastest.Config{EmptySyncWhenUnchanged: true})
	if err := srv.AddUser(eastest.User{Name: demoUser, Password: df.easPassword, Email: "demo@example.test",
		DisplayName: "Demo User", FirstName: "Demo", LastName: "User"}); err != nil {
		return nil, nil, nil, err
	}
	seeded, err := srv.Seed(demoUser, time.Now(), time.Local)
	if err != nil {
		return nil, nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sample server: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = hs.Serve(ln) }()
	df.serverURL = "http://" + ln.Addr().String() + "/Microsoft-Server-ActiveSync"
	log.Info("sample exchange server seeded", "mails", seeded.Mails, "events", seeded.Events, "tasks", seeded.Tasks, "contacts", seeded.Contacts)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		hs.Close()
	}
	return srv, seeded, stop, nil
}

// writeConfig writes the configuration `run` reads: the passwords sit in
// 0600 files that password_command reads, so neither the config nor any
// command line holds them.
func (df *demoFlags) writeConfig() error {
	secrets := filepath.Join(df.dir, "secrets")
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		return err
	}
	read := func(name, value string) (string, error) {
		p := filepath.Join(secrets, name)
		if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
			return "", err
		}
		return "cat '" + strings.ReplaceAll(p, "'", `'\''`) + "'", nil
	}
	davCmd, err := read("dav-password", df.davPassword)
	if err != nil {
		return err
	}
	easCmd, err := read("exchange-password", df.easPassword)
	if err != nil {
		return err
	}
	if df.imapListen, err = demoListen(df.imapPort); err != nil {
		return fmt.Errorf("imap port: %w", err)
	}
	if df.smtpListen, err = demoListen(df.smtpPort); err != nil {
		return fmt.Errorf("smtp port: %w", err)
	}
	cfg := config{
		DAV:  davConfig{Listen: net.JoinHostPort("127.0.0.1", strconv.Itoa(df.port)), PasswordCommand: davCmd},
		IMAP: listenConfig{Listen: df.imapListen}, SMTP: listenConfig{Listen: df.smtpListen},
		Accounts: []accountConfig{{Name: demoUser, URL: df.serverURL, Username: demoUser, PasswordCommand: easCmd,
			Email: "demo@example.test", Maildir: filepath.Join(df.dir, "Mail"), StateDir: filepath.Join(df.dir, "state"),
			MailAge: "all", CalendarAge: "all", TimeZone: localZoneName()}},
	}
	df.cfgPath = filepath.Join(df.dir, "config.toml")
	f, err := os.OpenFile(df.cfgPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "# Written by `easbridge demo` for its sample server; rewritten at every start.")
	if err := toml.NewEncoder(f).Encode(cfg); err != nil {
		f.Close()
		return fmt.Errorf("writing the demo config: %w", err)
	}
	return f.Close()
}

// localZoneName is the IANA name of the local time zone ($TZ, else the
// /etc/localtime link), so the demo's events carry the user's own TZID;
// "" when it cannot be told (the engine then uses UTC).
func localZoneName() string {
	name := strings.TrimPrefix(os.Getenv("TZ"), ":")
	if name == "" {
		target, err := os.Readlink("/etc/localtime")
		if err != nil {
			return ""
		}
		_, name, _ = strings.Cut(target, "zoneinfo/")
	}
	if _, err := time.LoadLocation(name); err != nil || name == "" || filepath.IsAbs(name) {
		return ""
	}
	return name
}

// demoListen resolves a mail port flag: -1 is off, 0 a free port now.
func demoListen(port int) (string, error) {
	switch {
	case port < 0:
		return listenOff, nil
	case port > 0:
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
	}
	// The port is free now and, on an idle loopback, still free a moment
	// later when run binds it; run logs and goes on without the server
	// if another program took it in between.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// printSettings prints what clients need to connect to the demo.
func (df *demoFlags) printSettings(w io.Writer, base string, seeded *eastest.Seeded) {
	listen := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	c := clientsFor(listen, demoUser, filepath.Join(df.dir, "Mail"), df.davPassword)
	fmt.Fprintf(w, "easbridge demo: the bridge runs against a built-in sample Exchange server\n")
	fmt.Fprintf(w, "(%d mails, %d events, %d tasks, %d contacts). Point a client at it:\n\n", seeded.Mails, seeded.Events, seeded.Tasks, seeded.Contacts)
	fmt.Fprintf(w, "  server (discovery)  %s\n", c.Base)
	fmt.Fprintf(w, "  CalDAV              %s\n", c.CalDAV)
	fmt.Fprintf(w, "  CardDAV             %s\n", c.CardDAV)
	fmt.Fprintf(w, "  user name           %s\n", c.User)
	fmt.Fprintf(w, "  password            %s\n", c.Password)
	for _, m := range []struct{ name, addr, flag, greeting, bye string }{
		{"IMAP", df.imapListen, "--imap-port", "* OK", "a LOGOUT\r\n"}, {"SMTP", df.smtpListen, "--smtp-port", "220", "QUIT\r\n"},
	} {
		switch {
		case m.addr == listenOff:
		case greets(m.addr, m.greeting, m.bye):
			fmt.Fprintf(w, "  %-4s                %s, no TLS, same user and password\n", m.name, m.addr)
		default:
			fmt.Fprintf(w, "  %-4s                not serving: %s is taken (choose another with %s)\n", m.name, m.addr, m.flag)
		}
	}
	fmt.Fprintf(w, "  Maildir             %s\n", c.Maildir)
	fmt.Fprintf(w, "  config              %s\n", df.cfgPath)
	if !df.keepDir {
		fmt.Fprintf(w, "  (the directory %s is removed when the demo stops)\n", df.dir)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Thunderbird: Calendar > New Calendar > On the Network, location %s.\n", c.Base)
	fmt.Fprintf(w, "Step-by-step for every client: easbridge --config %s clients\n", df.cfgPath)
	fmt.Fprintf(w, "Status while it runs:          easbridge --config %s status\n", df.cfgPath)
	if df.changes > 0 {
		fmt.Fprintf(w, "Every %s the sample server delivers a mail and moves the \"Push check\" event.\n", df.changes)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// greets reports whether the server on addr greets with prefix (ours,
// not another program holding the port), then says bye; run starts the
// mail servers just after DAV, so it waits a moment for them.
func greets(addr, prefix, bye string) bool {
	for i := 0; i < 20; i++ {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			buf := make([]byte, len(prefix))
			_, err := io.ReadFull(c, buf)
			if err == nil {
				// Leave politely, so the server logs no broken connection.
				_, _ = io.WriteString(c, bye)
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				_, _ = io.Copy(io.Discard, c)
			}
			c.Close()
			return err == nil && string(buf) == prefix
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// changeLoop makes server-side changes every df.changes until ctx ends.
func (df *demoFlags) changeLoop(ctx context.Context, srv *eastest.Server, seeded *eastest.Seeded, stdout io.Writer, log *slog.Logger) {
	if df.changes <= 0 {
		return
	}
	t := time.NewTicker(df.changes)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := demoChange(srv, seeded, now, n); err != nil {
				log.Warn("sample server change failed", "err", err)
				continue
			}
			fmt.Fprintf(stdout, "%s  the sample server delivered mail #%d and moved the \"Push check\" event\n", now.Format("15:04:05"), n)
		}
	}
}

// infoFilter drops the Info records of the bridge's log, text or JSON
// (slog writes one record per Write).
type infoFilter struct{ w io.Writer }

func (f *infoFilter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(" level=INFO ")) || bytes.Contains(p, []byte(`"level":"INFO"`)) {
		return len(p), nil
	}
	return f.w.Write(p)
}

// demoChange is the n-th server-side change: one new mail, one moved event.
func demoChange(srv *eastest.Server, seeded *eastest.Seeded, now time.Time, n int) error {
	if _, err := srv.DeliverMail(demoUser, eastest.DemoMail(now, n)); err != nil {
		return err
	}
	return srv.ChangeItem(demoUser, seeded.Calendar, seeded.PushEvent, eastest.PushEvent(now, time.Local, n))
}
