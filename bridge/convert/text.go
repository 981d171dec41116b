package convert

import (
	"html"

	"github.com/emersion/go-ical"
	"regexp"
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) (int, error) { return strconv.Atoi(strings.TrimSpace(s)) }

var (
	reBlockEnd = regexp.MustCompile(`(?i)<(br\s*/?|/p|/div|/li|/tr|/h[1-6])\s*>`)
	reTag      = regexp.MustCompile(`(?s)<[^>]*>`)
	reDrop     = regexp.MustCompile(`(?is)<(script|style|head)[^>]*>.*?</(script|style|head)\s*>`)
)

// htmlText renders HTML as plain text for DESCRIPTION: blocks become
// line breaks, tags go, entities are decoded. It is for display in
// clients that show DESCRIPTION only, not a faithful rendering.
func htmlText(s string) string {
	s = reDrop.ReplaceAllString(s, "")
	s = reBlockEnd.ReplaceAllString(s, "\n")
	s = reTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// setX sets a non-standard text property without the VALUE=TEXT
// parameter go-ical's SetText adds to properties it does not know.
func setX(p ical.Props, name, v string) {
	prop := ical.NewProp(name)
	prop.SetText(v)
	prop.Params.Del(ical.ParamValue)
	p.Set(prop)
}
