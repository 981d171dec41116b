package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// setupFolders asks which of the server's folders to leave out of the
// mirror (skip_folders). names are the display names of the folders the
// bridge would mirror, as the live check found them. "none" clears the
// list; a name the server does not have is refused, so a typo never
// passes for a choice.
func setupFolders(st *setupState, sf setupFlags, pr *prompter, names []string, out io.Writer) error {
	def := sf.skipFolders
	if def == "" {
		def = strings.Join(st.ac.SkipFolders, ", ")
	}
	for {
		v, err := pr.ask("Folders to leave out, separated by commas (none: mirror all)", def)
		if err != nil {
			return err
		}
		skip, err := parseSkipFolders(v, names)
		if err == nil {
			st.ac.SkipFolders = skip
			return nil
		}
		if !pr.interactive {
			return err
		}
		fmt.Fprintln(out, err)
		def = ""
	}
}

// parseSkipFolders splits a comma-separated answer into folder names,
// each of which must be one of names (case ignored); "none" and "" give
// no names.
func parseSkipFolders(answer string, names []string) ([]string, error) {
	if strings.EqualFold(strings.TrimSpace(answer), "none") {
		return nil, nil
	}
	var skip []string
	for _, part := range strings.Split(answer, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, part) })
		if i < 0 {
			return nil, fmt.Errorf("the server has no folder named %q; its folders are: %s", part, strings.Join(names, ", "))
		}
		if !slices.Contains(skip, names[i]) {
			skip = append(skip, names[i])
		}
	}
	return skip, nil
}

// tomlStrings is a TOML array of strings, or "" (the key removed) when
// list is empty.
func tomlStrings(list []string) string {
	if len(list) == 0 {
		return ""
	}
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = tomlString(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
