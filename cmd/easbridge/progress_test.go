package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/bridge"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name    string
		folders map[string]map[string]bridge.FolderProgress
		want    string
	}{
		{"nothing yet", nil, "initial sync:  work -  home -"},
		{"under way", map[string]map[string]bridge.FolderProgress{
			"work": {"calendar": {Estimate: 100, Done: 50}, "INBOX": {Estimate: 300, Done: 150}},
			"home": {"contacts": {Estimate: 10, Done: 10, Complete: true}},
		}, "initial sync:  work 200/400 (50%)  home done (10)"},
		{"estimate passed", map[string]map[string]bridge.FolderProgress{
			"work": {"INBOX": {Estimate: 3, Done: 5}},
		}, "initial sync:  work 5/5 (100%)  home -"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine([]string{"work", "home"}, tt.folders); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTermProgressRewritesOneLine checks that the terminal display
// rewrites its line in place and ends it once every folder is complete.
func TestTermProgressRewritesOneLine(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressLine(&buf, []accountConfig{{Name: "work"}})
	p.update("work", bridge.FolderProgress{Collection: "INBOX", Estimate: 4, Done: 0})
	p.update("work", bridge.FolderProgress{Collection: "INBOX", Estimate: 4, Done: 4, Complete: true})
	out := buf.String()
	if strings.Count(out, "\r\x1b[K") != 2 || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "work done (4)\n") {
		t.Errorf("output %q", out)
	}
	if newTermProgress(&buf, nil) != nil {
		t.Error("a buffer was taken for a terminal")
	}
}
