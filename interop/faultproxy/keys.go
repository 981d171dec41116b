package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// logKeys writes, for a Sync answer the server sent, one line per
// collection with the time the whole answer had arrived (Unix seconds),
// its CollectionId, the SyncKey the server issued and the ServerIds of
// the items its Commands reported (added, changed, deleted), each
// query-escaped and joined by commas, "-" for none:
//
//	1795310662.123 vevent%2Fpersonal 1795310662 ev-1.ics,ev-2.ics
//
// The line is written whatever the client then hears (a fault may drop
// it): the server issued the key and reported the items either way.
// interop/crash/crash.py uses it to prove that a server change was passed
// over by the server itself: never reported in any answer after it was
// made.
func (p *Proxy) logKeys(r *http.Request, resp *http.Response, body []byte) {
	if p.cfg.Keys == nil || commandOf(r) != "Sync" || resp.StatusCode != http.StatusOK || len(body) == 0 {
		return
	}
	at := time.Now()
	root, err := wbxml.Parse(bytes.NewReader(body))
	if err != nil || root == nil {
		return
	}
	var lines bytes.Buffer
	for _, colls := range root.Children {
		if colls.Tag != wbxml.AirSyncCollections {
			continue
		}
		for _, c := range colls.Children {
			var id, key string
			var items []string
			for _, f := range c.Children {
				switch f.Tag {
				case wbxml.AirSyncCollectionId:
					id = string(f.Text)
				case wbxml.AirSyncSyncKey:
					key = string(f.Text)
				case wbxml.AirSyncCommands:
					items = append(items, reported(f)...)
				}
			}
			if id != "" && key != "" {
				list := "-"
				if len(items) > 0 {
					list = strings.Join(items, ",")
				}
				fmt.Fprintf(&lines, "%.3f %s %s %s\n", float64(at.UnixMilli())/1000, id, key, list)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg.Keys.Write(lines.Bytes())
}

// reported is the query-escaped ServerId of every command (Add, Change,
// Delete, SoftDelete) of a Sync answer's Commands element.
func reported(commands *wbxml.Node) []string {
	var ids []string
	for _, cmd := range commands.Children {
		for _, f := range cmd.Children {
			if f.Tag == wbxml.AirSyncServerId {
				ids = append(ids, url.QueryEscape(string(f.Text)))
			}
		}
	}
	return ids
}
