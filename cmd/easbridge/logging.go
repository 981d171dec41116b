package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/easbridge/easbridge/internal/logx"
)

// logOptions are the logging flags of the long-running commands:
// --log-format text|json and -v for protocol traces.
type logOptions struct {
	format  string
	verbose bool
	// quiet raises the level without -v from Info to Warn, for commands
	// that print their own result (sync --once).
	quiet bool
}

// register adds the logging flags to fs.
func (o *logOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "log-format", "text", "log `format` on stderr: text or json")
	fs.BoolVar(&o.verbose, "v", false, "log protocol traces (credentials and secrets stay redacted)")
}

// newLogger returns a logger writing to w in the chosen format, at Info
// or, with -v, at trace level, that redacts every value red knows and
// every attribute named like a secret.
func (o *logOptions) newLogger(w io.Writer, red *logx.Redactor) (*slog.Logger, error) {
	level := slog.LevelInfo
	if o.quiet {
		level = slog.LevelWarn
	}
	if o.verbose {
		level = logx.LevelTrace
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: levelNames}
	if os.Getenv("JOURNAL_STREAM") != "" {
		// journald stamps every line itself.
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return levelNames(groups, a)
		}
	}
	var h slog.Handler
	switch o.format {
	case "text", "":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("unknown --log-format %q (text or json)", o.format)
	}
	if red == nil {
		red = &logx.Redactor{}
	}
	return slog.New(logx.NewHandler(h, red)), nil
}

// levelNames prints the trace level as TRACE rather than DEBUG-4.
func levelNames(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok && l <= logx.LevelTrace {
			return slog.String(slog.LevelKey, "TRACE")
		}
	}
	return a
}
