package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/dav"
)

// davUser is the one user name serve-dav accepts.
const davUser = "easbridge"

// davPasswordEnv names the environment variable holding the DAV password;
// an environment variable rather than a flag keeps it out of ps output.
const davPasswordEnv = "EASBRIDGE_DAV_PASSWORD"

// defaultCollections are created in an empty store so that a client has
// somewhere to write at once.
var defaultCollections = []store.Collection{
	{Name: "calendar", Kind: store.KindEvents, DisplayName: "Calendar"},
	{Name: "tasks", Kind: store.KindTasks, DisplayName: "Tasks"},
	{Name: "contacts", Kind: store.KindContacts, DisplayName: "Contacts"},
}

// serveDAV runs the CalDAV/CardDAV server over a store directory on its
// own, without any EAS account, until ctx ends (SIGTERM, SIGINT).
func serveDAV(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve-dav", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "store `directory` (created if missing)")
	listen := fs.String("listen", dav.ListenAddr, "`address` to listen on (loopback)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: easbridge serve-dav --dir DIR [--listen ADDR]")
		fmt.Fprintf(stderr, "Serves DIR over CalDAV/CardDAV as user %q, password from $%s.\n", davUser, davPasswordEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	password := os.Getenv(davPasswordEnv)
	if password == "" {
		fmt.Fprintf(stderr, "easbridge serve-dav: $%s is empty; set it to the password clients will use\n", davPasswordEnv)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := runDAVServer(ctx, *dir, *listen, password, stdout, log); err != nil {
		log.Error("serve-dav failed", "err", err)
		return 1
	}
	return 0
}

func runDAVServer(ctx context.Context, dir, listen, password string, stdout io.Writer, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating store directory: %w", err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "state.db"), log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := seedCollections(ctx, st, log); err != nil {
		return err
	}
	h, err := dav.NewHandler(dav.Config{Backend: st.DAV(), User: davUser, Password: password, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() {
		log.Warn("dav server listens beyond loopback; only loopback Host names are answered", "addr", addr.String())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("dav server listening", "addr", addr.String(), "user", davUser, "dir", dir)
	fmt.Fprintf(stdout, "http://%s/\n", addr.String())

	select {
	case err := <-serveErr:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("dav server stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	log.Info("dav server stopped")
	return nil
}

// seedCollections creates the default calendar, task list and address
// book when the store holds no collection at all.
func seedCollections(ctx context.Context, st *store.Store, log *slog.Logger) error {
	existing, err := st.Collections(ctx)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return nil
	}
	for _, c := range defaultCollections {
		if _, err := st.CreateCollection(ctx, c, false); err != nil {
			return err
		}
	}
	log.Info("store seeded with default collections", "count", len(defaultCollections))
	return nil
}
