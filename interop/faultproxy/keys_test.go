package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// The SyncKey of every collection of a Sync answer is logged, even when
// the client never hears the answer (the server issued it).
func TestSyncKeysLogged(t *testing.T) {
	t.Parallel()
	doc := &wbxml.Node{Tag: wbxml.AirSyncSync, Children: []*wbxml.Node{{Tag: wbxml.AirSyncCollections, Children: []*wbxml.Node{
		{Tag: wbxml.AirSyncCollection, Children: []*wbxml.Node{
			{Tag: wbxml.AirSyncSyncKey, Text: []byte("1795310662")},
			{Tag: wbxml.AirSyncCollectionId, Text: []byte("vevent%2Fpersonal")},
			{Tag: wbxml.AirSyncCommands, Children: []*wbxml.Node{
				{Tag: wbxml.AirSyncChange, Children: []*wbxml.Node{{Tag: wbxml.AirSyncServerId, Text: []byte("ev 1.ics")}}},
				{Tag: wbxml.AirSyncDelete, Children: []*wbxml.Node{{Tag: wbxml.AirSyncServerId, Text: []byte("ev,2.ics")}}},
			}},
		}},
		{Tag: wbxml.AirSyncCollection, Children: []*wbxml.Node{
			{Tag: wbxml.AirSyncSyncKey, Text: []byte("1795310663")},
			{Tag: wbxml.AirSyncCollectionId, Text: []byte("vcard%2Fpersonal")},
		}},
	}}}}
	var answer bytes.Buffer
	if err := doc.Encode(&answer); err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(answer.Bytes()) }))
	defer up.Close()
	target, _ := url.Parse(up.URL)
	tests := []struct {
		name  string
		rates Rates
		cmd   string
		want  []string
	}{
		{"passed", Rates{}, "Sync", []string{"vevent%2Fpersonal 1795310662 ev+1.ics,ev%2C2.ics", "vcard%2Fpersonal 1795310663 -"}},
		{"dropped after", Rates{DropAfter: 1}, "Sync", []string{"vevent%2Fpersonal 1795310662 ev+1.ics,ev%2C2.ics", "vcard%2Fpersonal 1795310663 -"}},
		{"not a Sync", Rates{}, "Ping", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys syncBuffer
			p, err := New(Config{Target: target, Rates: tt.rates, Keys: &keys})
			if err != nil {
				t.Fatal(err)
			}
			ps := httptest.NewServer(p)
			defer ps.Close()
			resp, err := http.Post(ps.URL+"/Microsoft-Server-ActiveSync?Cmd="+tt.cmd, "application/vnd.ms-sync.wbxml", strings.NewReader("x"))
			if err == nil {
				resp.Body.Close()
			}
			var got []string
			line := regexp.MustCompile(`^\d+\.\d{3} (\S+ \S+ \S+)$`)
			for _, l := range strings.Split(strings.TrimSpace(keys.String()), "\n") {
				if l == "" {
					continue
				}
				m := line.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("bad line %q", l)
				}
				got = append(got, m[1])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("logged %q, want %q", got, tt.want)
			}
		})
	}
}
