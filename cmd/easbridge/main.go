// Command easbridge mirrors an Exchange ActiveSync mailbox into a loopback
// CalDAV/CardDAV server and a Maildir, both ways.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// A command is one subcommand of easbridge. It gets the arguments after
// its name and returns the process exit status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands; each lives in a file of its own name.
var commands = map[string]command{
	"serve-dav": {"serve a store directory over CalDAV/CardDAV, without EAS", serveDAV},
	"probe":     probeCommand,
	"run":       runCommand,
	"sync":      syncCommand,
	"status":    statusCommand,
	"service":   serviceCommand,
	"clients":   clientsCommand,
	"demo":      demoCommand,
	"doctor":    doctorCommand,
	"setup":     setupCommand,
	"login":     loginCommand,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	args = moveGlobalConfig(args)
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "easbridge: unknown command %q (see easbridge help)\n", args[0])
		return 2
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

// moveGlobalConfig turns "--config FILE COMMAND ARGS" into
// "COMMAND --config FILE ARGS", so the global flag reaches the command's
// own flag set.
func moveGlobalConfig(args []string) []string {
	var flagArgs []string
	switch {
	case len(args) >= 1 && (args[0] == "--config" || args[0] == "-config"):
		if len(args) < 2 {
			return nil
		}
		flagArgs, args = []string{"--config", args[1]}, args[2:]
	case len(args) >= 1 && strings.HasPrefix(args[0], "--config="):
		flagArgs, args = args[:1], args[1:]
	default:
		return args
	}
	if len(args) == 0 {
		return nil
	}
	out := []string{args[0]}
	out = append(out, flagArgs...)
	return append(out, args[1:]...)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: easbridge [--config FILE] COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
}
