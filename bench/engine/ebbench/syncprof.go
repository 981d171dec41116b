package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/easbridge/easbridge/bridge"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/maildir"
)

// runSyncProf runs one initial sync (bridge.Engine.SyncOnce) with a CPU
// profile, wired as `easbridge sync --once` wires it (Basic auth, a fresh
// state and Maildir), for finding where the engine spends its time.
func runSyncProf(args []string) error {
	fs := flag.NewFlagSet("syncprof", flag.ContinueOnError)
	base := fs.String("url", "", "the ActiveSync URL")
	user := fs.String("user", "", "user name (the password comes from $EAS_PASSWORD)")
	dir := fs.String("dir", "", "a new folder for the state and the Maildir")
	prof := fs.String("cpuprofile", "", "CPU profile file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" || *user == "" || *dir == "" || *prof == "" {
		return errors.New("syncprof needs -url, -user, -dir and -cpuprofile")
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	st, err := store.Open(ctx, filepath.Join(*dir, "state.db"), log)
	if err != nil {
		return err
	}
	defer st.Close()
	md, err := maildir.Open(ctx, filepath.Join(*dir, "mail"), maildir.Options{Logger: log})
	if err != nil {
		return err
	}
	c, err := eas.New(eas.Config{URL: *base, User: *user, Credentials: eas.Basic{User: *user, Password: os.Getenv("EAS_PASSWORD")},
		DeviceID: fmt.Sprintf("syncprof%d", time.Now().UnixNano()), DeviceType: "easbridge", Logger: log})
	if err != nil {
		return err
	}
	e, err := bridge.New(bridge.Config{Name: "prof", Client: c, Store: st, Maildir: md, Logger: log})
	if err != nil {
		return err
	}
	f, err := os.Create(*prof)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	err = e.SyncOnce(ctx)
	pprof.StopCPUProfile()
	fmt.Printf("sync took %.1f s\n", time.Since(start).Seconds())
	return err
}
