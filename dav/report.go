package dav

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// reportRequest holds the elements of every REPORT we answer; XMLName
// says which one it is.
type reportRequest struct {
	XMLName   xml.Name
	AllProp   *struct{}   `xml:"DAV: allprop"`
	Prop      *reportProp `xml:"DAV: prop"`
	Hrefs     []string    `xml:"DAV: href"`
	SyncToken *string     `xml:"DAV: sync-token"`
	SyncLevel string      `xml:"DAV: sync-level"`
	Limit     *struct {
		NResults int `xml:"DAV: nresults"`
	} `xml:"DAV: limit"`
	CalFilter  *calFilter  `xml:"urn:ietf:params:xml:ns:caldav filter"`
	CardFilter *cardFilter `xml:"urn:ietf:params:xml:ns:carddav filter"`
	CardLimit  *struct {
		NResults int `xml:"urn:ietf:params:xml:ns:carddav nresults"`
	} `xml:"urn:ietf:params:xml:ns:carddav limit"`
}

// reportProp is the DAV:prop of a REPORT: the names asked for, and the
// CALDAV:expand inside calendar-data if any (RFC 4791 9.6.5).
type reportProp struct {
	names  []xml.Name
	expand *timeRange
}

// UnmarshalXML implements xml.Unmarshaler.
func (p *reportProp) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			p.names = append(p.names, t.Name)
			if t.Name != nameCalendarData {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var cd struct {
				Expand *timeRangeElem `xml:"urn:ietf:params:xml:ns:caldav expand"`
			}
			if err := d.DecodeElement(&cd, &t); err != nil {
				return err
			}
			if cd.Expand != nil {
				r, err := cd.Expand.parse()
				if err != nil || r.start.IsZero() || r.end.IsZero() {
					return fmt.Errorf("expand needs UTC start and end")
				}
				p.expand = &r
			}
		case xml.EndElement:
			return nil
		}
	}
}

// names returns the requested property names, and whether all were asked.
func (req *reportRequest) names() ([]xml.Name, bool) {
	if req.Prop == nil {
		return nil, true
	}
	return req.Prop.names, req.AllProp != nil
}

// expand is the CALDAV:expand range asked for, or nil.
func (req *reportRequest) expand() *timeRange {
	if req.Prop == nil {
		return nil
	}
	return req.Prop.expand
}

// wantsData reports whether calendar-data or address-data is requested.
func (req *reportRequest) wantsData() bool {
	if req.Prop == nil {
		return false
	}
	for _, n := range req.Prop.names {
		if n == nameCalendarData || n == nameAddressData {
			return true
		}
	}
	return false
}

// report dispatches REPORT on the request body's root element.
func (h *Handler) report(w http.ResponseWriter, r *http.Request, t target) error {
	var req reportRequest
	if ok, err := decodeBody(r, &req); err != nil {
		return err
	} else if !ok {
		return httpErrorf(http.StatusBadRequest, "dav: REPORT needs a body")
	}
	switch req.XMLName.Space + " " + req.XMLName.Local {
	case nsDAV + " sync-collection":
		return h.syncCollection(w, r, t, &req)
	case nsCalDAV + " calendar-multiget":
		return h.multiget(w, r, &req, spaceCalendars)
	case nsCardDAV + " addressbook-multiget":
		return h.multiget(w, r, &req, spaceContacts)
	case nsCalDAV + " calendar-query":
		return h.calendarQuery(w, r, t, &req)
	case nsCardDAV + " addressbook-query":
		return h.addressbookQuery(w, r, t, &req)
	}
	return preconditionError(http.StatusForbidden, "d:supported-report", "",
		"dav: REPORT %s is not supported", req.XMLName.Local)
}

// writeObjects streams the responses for objects of one collection.
func (h *Handler) writeObjects(ms *msWriter, req *reportRequest, t target, c *Collection, objs []Object) {
	names, all := req.names()
	prefix := h.collectionPath(t.space, c.ID)
	for i := range objs {
		ot := target{kind: targetObject, space: t.space, coll: c.ID, name: objs[i].Name}
		res := resource{t: ot, coll: c, obj: &objs[i], href: prefix + url.PathEscape(objs[i].Name), expand: req.expand()}
		ms.response(res.href, h.propResults(&res, names, all), false)
	}
}

// multiget answers calendar-multiget (RFC 4791 7.9) and
// addressbook-multiget (RFC 6352 8.7): one Backend call per collection,
// hrefs answered in request order, unknown ones with 404.
func (h *Handler) multiget(w http.ResponseWriter, r *http.Request, req *reportRequest, space string) error {
	type ref struct {
		href string
		t    target
		ok   bool
	}
	refs := make([]ref, len(req.Hrefs))
	byColl := map[string][]string{}
	for i, href := range req.Hrefs {
		t, err := h.parseHref(href)
		refs[i] = ref{href: strings.TrimSpace(href), t: t, ok: err == nil && t.kind == targetObject && t.space == space}
		if refs[i].ok {
			byColl[t.coll] = append(byColl[t.coll], t.name)
		}
	}
	type loaded struct {
		c    *Collection
		objs map[string]*Object
	}
	colls := map[string]loaded{}
	for id, names := range byColl {
		c, err := h.collection(r.Context(), target{kind: targetCollection, space: space, coll: id})
		if err != nil {
			if statusOf(err) == http.StatusNotFound || isNotFound(err) {
				continue
			}
			return err
		}
		objs, err := h.backend.GetObjects(r.Context(), id, names)
		if err != nil {
			return wrapBackend("loading objects", err)
		}
		l := loaded{c: c, objs: make(map[string]*Object, len(objs))}
		for i := range objs {
			l.objs[objs[i].Name] = &objs[i]
		}
		colls[id] = l
	}
	names, all := req.names()
	ms := newMultiStatus(w, r)
	for _, rf := range refs {
		l, found := colls[rf.t.coll]
		var o *Object
		if rf.ok && found {
			o = l.objs[rf.t.name]
		}
		if o == nil {
			ms.status(rf.href, http.StatusNotFound)
			continue
		}
		res := resource{t: rf.t, coll: l.c, obj: o, expand: req.expand()}
		ms.response(h.hrefOf(rf.t), h.propResults(&res, names, all), false)
	}
	return ms.close("")
}

// isNotFound reports whether err is a 404 of ours.
func isNotFound(err error) bool {
	he, ok := err.(*httpError)
	return ok && he.status == http.StatusNotFound
}

// syncCollection answers sync-collection (RFC 6578 3). The Depth header is
// ignored: RFC 6578 asks for 0, some clients send 1. Collections here
// hold no sub-collections, so sync-level infinite is the same as 1. The
// Backend's token covers every change, so a limit smaller than the
// change set cannot be honoured by truncation: the request fails with
// number-of-matches-within-limits (RFC 6578 3.6) and the client retries
// without a limit.
func (h *Handler) syncCollection(w http.ResponseWriter, r *http.Request, t target, req *reportRequest) error {
	if t.kind != targetCollection {
		return preconditionError(http.StatusForbidden, "d:supported-report", "",
			"dav: sync-collection is only supported on a collection")
	}
	switch strings.TrimSpace(req.SyncLevel) {
	case "1", "infinite", "infinity", "":
	default:
		return httpErrorf(http.StatusBadRequest, "dav: bad sync-level %q", req.SyncLevel)
	}
	c, err := h.collection(r.Context(), t)
	if err != nil {
		return err
	}
	since := ""
	if req.SyncToken != nil {
		since = strings.TrimSpace(*req.SyncToken)
	}
	changed, deleted, token, err := h.backend.Changes(r.Context(), t.coll, since)
	if err != nil {
		return wrapBackend("listing changes", err)
	}
	if req.Limit != nil && req.Limit.NResults > 0 && len(changed)+len(deleted) > req.Limit.NResults {
		return preconditionError(http.StatusInsufficientStorage, "d:number-of-matches-within-limits", "",
			"dav: %d changes exceed the limit of %d", len(changed)+len(deleted), req.Limit.NResults)
	}
	if req.wantsData() && len(changed) > 0 {
		names := make([]string, len(changed))
		for i := range changed {
			names[i] = changed[i].Name
		}
		if changed, err = h.backend.GetObjects(r.Context(), t.coll, names); err != nil {
			return wrapBackend("loading changed objects", err)
		}
	}
	ms := newMultiStatus(w, r)
	h.writeObjects(ms, req, t, c, changed)
	for _, name := range deleted {
		ms.status(h.objectPath(t.space, t.coll, name), http.StatusNotFound)
	}
	return ms.close(token)
}
