package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// setting is one key = value line setup writes; an empty Value comments
// the key out (it would override what setup stored).
type setting struct {
	Key, Value string
}

// newConfigHeader starts a configuration file setup creates.
const newConfigHeader = `# easbridge configuration (TOML), written by "easbridge setup".
# Re-run "easbridge setup" to change an account; edits by hand are kept.
`

var (
	headerLine = regexp.MustCompile(`^\s*\[`)
	keyLine    = regexp.MustCompile(`^\s*([A-Za-z0-9_-]+)\s*=`)
)

// editAccount returns the configuration text with the [[account]] named
// name set to settings: keys it has are replaced in place, missing ones
// added after its last key, and every other line (comments, other
// accounts, other tables) kept as it is. An account not in the text is
// appended.
func editAccount(text, name string, settings []setting) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if text == "" {
		lines = strings.Split(strings.TrimRight(newConfigHeader, "\n"), "\n")
	}
	start, end := findAccount(lines, name)
	if start < 0 {
		lines = append(lines, "", "[[account]]")
		for _, s := range settings {
			if s.Value != "" {
				lines = append(lines, s.Key+" = "+s.Value)
			}
		}
		return strings.Join(lines, "\n") + "\n"
	}
	block := append([]string(nil), lines[start:end]...)
	for _, s := range settings {
		block = setKey(block, s)
	}
	out := append(append(append([]string(nil), lines[:start]...), block...), lines[end:]...)
	return strings.Join(out, "\n") + "\n"
}

// findAccount returns the line range of the [[account]] block whose name
// is name, or -1.
func findAccount(lines []string, name string) (int, int) {
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "[[account]]" {
			continue
		}
		end := i + 1
		for end < len(lines) && !headerLine.MatchString(lines[end]) {
			end++
		}
		for _, l := range lines[i+1 : end] {
			if m := keyLine.FindStringSubmatch(l); m != nil && m[1] == "name" {
				var v struct{ Name string }
				if _, err := toml.Decode(l, &v); err == nil && v.Name == name {
					return i, end
				}
			}
		}
		i = end - 1
	}
	return -1, -1
}

// setKey sets (or comments out, for an empty value) one key in an
// account block.
func setKey(block []string, s setting) []string {
	last := 0
	for i, l := range block {
		m := keyLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		last = i
		if m[1] != s.Key {
			continue
		}
		if s.Value == "" {
			block[i] = "# " + strings.TrimSpace(l) + "  # replaced by easbridge setup"
		} else {
			block[i] = s.Key + " = " + s.Value
		}
		return block
	}
	if s.Value == "" {
		return block
	}
	out := append([]string(nil), block[:last+1]...)
	out = append(out, s.Key+" = "+s.Value)
	return append(out, block[last+1:]...)
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeConfigFile checks text as easbridge would read it, then replaces
// path atomically with mode 0600 (its directory 0700).
func writeConfigFile(path, text string) error {
	var cfg config
	md, err := toml.Decode(text, &cfg)
	if err != nil {
		return fmt.Errorf("the edited configuration does not parse: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("the configuration has an unknown key %s", und[0])
	}
	if err := cfg.check(); err != nil {
		return fmt.Errorf("the edited configuration is invalid: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the config directory: %w", err)
	}
	tmp := path + ".setup-tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return fmt.Errorf("writing the configuration: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing the configuration: %w", err)
	}
	return nil
}

// readConfigText returns the configuration file's text, "" when it does
// not exist yet.
func readConfigText(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", fmt.Errorf("%s is not a text file", path)
	}
	return string(b), nil
}
