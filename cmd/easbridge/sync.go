package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/easbridge/easbridge/internal/logx"
)

var syncCommand = command{"sync every account once, both ways (--once)", syncAccounts}

// syncAccounts runs one complete two-way cycle for every account and exits
// 0, or 1 naming each account that failed and why.
func syncAccounts(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var once bool
	lo := logOptions{quiet: true}
	_, path, ok := parseCommon("sync", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&once, "once", false, "one full cycle, then exit (the only mode; `run` keeps syncing)")
		lo.register(fs)
	})
	if !ok {
		return 2
	}
	if !once {
		fmt.Fprintln(stderr, "easbridge sync: only --once is supported; `easbridge run` keeps the accounts in step")
		return 2
	}
	red := &logx.Redactor{}
	log, err := lo.newLogger(stderr, red)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge sync: %v\n", err)
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge sync: %v\n", err)
		return 2
	}
	status := 0
	// On a terminal the initial sync's progress is one updating line;
	// otherwise the engine logs it (shown with -v).
	tp := newTermProgress(stderr, cfg.Accounts)
	for _, ac := range cfg.Accounts {
		a, err := openAccount(ctx, ac, log, red)
		if err != nil {
			fmt.Fprintf(stderr, "easbridge sync: %v\n", err)
			status = 1
			continue
		}
		a.engine.OnProgress(tp.onProgress())
		err = a.engine.SyncOnce(ctx)
		tp.end()
		if err != nil { // a refused policy or a remote wipe (wipe.go)
			err = guardOutcome(ctx, a, protectedPaths(cfg, *path, ac.Name), log, err)
		}
		a.close()
		if err != nil {
			fmt.Fprintf(stderr, "easbridge sync: account %q: %v\n", ac.Name, err)
			status = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: synced\n", ac.Name)
	}
	return status
}
