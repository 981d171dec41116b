// Package launchd renders the launchd agent property list that `easbridge
// service install` writes to ~/Library/LaunchAgents on macOS.
package launchd

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

//go:embed easbridge.plist.tmpl
var plistText string

var plistTemplate = template.Must(template.New("easbridge.plist").Funcs(template.FuncMap{
	"xml": func(s string) (string, error) {
		var b strings.Builder
		if err := xml.EscapeText(&b, []byte(s)); err != nil {
			return "", err
		}
		return b.String(), nil
	},
}).Parse(plistText))

// DefaultLabel is the job label, and the plist's base name.
const DefaultLabel = "org.easbridge.easbridge"

// DefaultThrottle is the least time launchd waits between two starts.
const DefaultThrottle = 10 * time.Second

// Agent holds what a rendered property list depends on.
type Agent struct {
	// Label names the job; empty means DefaultLabel.
	Label string
	// Binary is the absolute path of the easbridge executable.
	Binary string
	// Config is the absolute path of the configuration file.
	Config string
	// LogPath receives stdout and stderr, conventionally
	// ~/Library/Logs/easbridge.log.
	LogPath string
	// Throttle is ThrottleInterval; zero means DefaultThrottle.
	Throttle time.Duration
}

// FileName returns the plist's file name for a label: "<label>.plist".
func FileName(label string) string {
	if label == "" {
		label = DefaultLabel
	}
	return label + ".plist"
}

// Render returns the property list for a: started at login, restarted
// after a failure, running "<Binary> --config <Config> run" as a
// background process with its output in LogPath.
func Render(a Agent) ([]byte, error) {
	if a.Label == "" {
		a.Label = DefaultLabel
	}
	if strings.ContainsAny(a.Label, "/ \t\n") {
		return nil, fmt.Errorf("launchd: label %q must be a reverse-DNS name", a.Label)
	}
	for _, p := range []string{a.Binary, a.Config, a.LogPath} {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("launchd: path %q must be absolute", p)
		}
		for _, r := range p {
			// XML 1.0 cannot carry most control characters at all.
			if r < 0x20 {
				return nil, fmt.Errorf("launchd: control character in path %q", p)
			}
		}
	}
	th := a.Throttle
	if th <= 0 {
		th = DefaultThrottle
	}
	var b bytes.Buffer
	err := plistTemplate.Execute(&b, map[string]any{
		"Label": a.Label, "Binary": a.Binary, "Config": a.Config, "LogPath": a.LogPath,
		"Throttle": int(th / time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("launchd: rendering plist: %w", err)
	}
	return b.Bytes(), nil
}
