package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSkipFolders(t *testing.T) {
	names := []string{"Calendar", "Inbox", "Junk Email", "RSS Feeds"}
	for _, tc := range []struct {
		answer  string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"none", nil, ""},
		{" NONE ", nil, ""},
		{"junk email", []string{"Junk Email"}, ""},
		{"RSS Feeds, junk email ,,rss feeds", []string{"RSS Feeds", "Junk Email"}, ""},
		{"Junk", nil, `no folder named "Junk"; its folders are: Calendar, Inbox, Junk Email, RSS Feeds`},
	} {
		got, err := parseSkipFolders(tc.answer, names)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.answer, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q = %q, %v; want %q", tc.answer, got, err, tc.want)
		}
	}
	if got := tomlStrings([]string{`Say "hi"`, "Inbox"}); got != `["Say \"hi\"", "Inbox"]` {
		t.Errorf("tomlStrings = %s", got)
	}
	if got := tomlStrings(nil); got != "" {
		t.Errorf("tomlStrings(nil) = %q, want the key removed", got)
	}
}
