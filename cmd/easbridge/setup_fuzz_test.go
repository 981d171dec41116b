package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// FuzzEditAccount: whatever configuration text setup finds, if it parses,
// the edited text parses too, holds the account exactly once with the
// values set, and keeps every comment line.
func FuzzEditAccount(f *testing.F) {
	f.Add("# c\n[dav]\nlisten = \"x\"\n", "work", "https://a/b")
	f.Add("[[account]]\nname = \"work\"\nurl = \"u\"\n# keep\n[[account]]\nname = \"b\"\n", "work", "v\"q")
	f.Add("[[account]]\nname = 'work' # lit\npassword_command = \"p\"\n", "work", "\x01")
	f.Add("", "a.b-c", "")
	f.Fuzz(func(t *testing.T, text, name, url string) {
		var before map[string]any
		// TOML holds only UTF-8; setup's answers come from a terminal or flags.
		if !utf8.ValidString(url) || !utf8.ValidString(text) {
			return
		}
		if _, err := toml.Decode(text, &before); err != nil || !accountName.MatchString(name) {
			return
		}
		got := editAccount(text, name, []setting{{"name", tomlString(name)}, {"url", tomlString(url)}, {"password_command", ""}})
		var after struct {
			Account []map[string]any `toml:"account"`
		}
		if _, err := toml.Decode(got, &after); err != nil {
			// Inputs whose account array is not a plain [[account]] list
			// (account = 1, inline tables) may not take an appended block.
			if _, isList := before["account"].([]map[string]any); isList || before["account"] == nil {
				t.Fatalf("edited text does not parse: %v\n--- before\n%s\n--- after\n%s", err, text, got)
			}
			return
		}
		n := 0
		for _, a := range after.Account {
			if a["name"] == name {
				n++
				if a["url"] != url {
					t.Fatalf("url = %v, want %q\n%s", a["url"], url, got)
				}
			}
		}
		if n != 1 {
			t.Fatalf("account %q appears %d times\n--- before\n%s\n--- after\n%s", name, n, text, got)
		}
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "#") && !strings.Contains(got, strings.TrimSpace(l)) {
				t.Fatalf("comment %q lost\n%s", l, got)
			}
		}
	})
}
