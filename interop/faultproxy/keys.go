package main

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// logKeys writes, for a Sync answer the server sent, one line per
// collection with the time the whole answer had arrived (Unix seconds),
// its CollectionId and the SyncKey the server issued:
//
//	1795310662.123 vevent%2Fpersonal 1795310662
//
// The line is written whatever the client then hears (a fault may drop
// it): the server issued the key either way. interop/crash/crash.py uses
// it to prove that a server change was passed over by the server itself.
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
			for _, f := range c.Children {
				switch f.Tag {
				case wbxml.AirSyncCollectionId:
					id = string(f.Text)
				case wbxml.AirSyncSyncKey:
					key = string(f.Text)
				}
			}
			if id != "" && key != "" {
				fmt.Fprintf(&lines, "%.3f %s %s\n", float64(at.UnixMilli())/1000, id, key)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg.Keys.Write(lines.Bytes())
}
