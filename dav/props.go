package dav

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// resource is one thing a response describes: a target and, for
// collections and objects, what the Backend said about it.
type resource struct {
	t    target
	coll *Collection
	obj  *Object // Data may be nil
	// href, when set, is hrefOf(t) computed once for a whole collection.
	href string
	// expand, when set, asks for calendar-data expanded to this range.
	expand *timeRange
}

// resHref is the href of a resource.
func (h *Handler) resHref(res *resource) string {
	if res.href != "" {
		return res.href
	}
	return h.hrefOf(res.t)
}

// privileges is current-user-privilege-set (RFC 3744 5.4): the one user
// may do everything. Thunderbird treats a calendar without write or
// write-content as read-only.
const privileges = "<d:privilege><d:all/></d:privilege><d:privilege><d:read/></d:privilege>" +
	"<d:privilege><d:write/></d:privilege><d:privilege><d:write-properties/></d:privilege>" +
	"<d:privilege><d:write-content/></d:privilege><d:privilege><d:bind/></d:privilege>" +
	"<d:privilege><d:unbind/></d:privilege><d:privilege><d:read-current-user-privilege-set/></d:privilege>"

// componentOf is the iCalendar component a calendar kind holds.
func componentOf(k Kind) string {
	switch k {
	case KindTasks:
		return "VTODO"
	case KindJournal:
		return "VJOURNAL"
	}
	return "VEVENT"
}

func reportXML(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("<d:supported-report><d:report><" + n + "/></d:report></d:supported-report>")
	}
	return b.String()
}

// propValue returns the inner XML of property n on res, or false when res
// does not have it (answered as 404 in a propstat).
func (h *Handler) propValue(res *resource, n xml.Name) (string, bool) {
	if v, ok := h.commonProp(res, n); ok {
		return v, true
	}
	switch {
	case res.obj != nil:
		return h.objectProp(res, n)
	case res.coll != nil:
		return h.collectionProp(res.coll, n)
	}
	return "", false
}

// commonProp answers the properties every resource has. Home sets and
// the principal are answered everywhere: clients ask for them on whatever
// URL the user typed.
func (h *Handler) commonProp(res *resource, n xml.Name) (string, bool) {
	switch n {
	case xml.Name{Space: nsDAV, Local: "current-user-principal"}, xml.Name{Space: nsDAV, Local: "principal-URL"}:
		return hrefXML(h.principalPath()), true
	case xml.Name{Space: nsDAV, Local: "owner"}:
		return hrefXML(h.principalPath()), true
	case xml.Name{Space: nsDAV, Local: "principal-collection-set"}:
		return hrefXML("/principals/"), true
	case xml.Name{Space: nsDAV, Local: "current-user-privilege-set"}:
		return privileges, true
	case xml.Name{Space: nsCalDAV, Local: "calendar-home-set"}:
		return hrefXML(h.homePath(spaceCalendars)), true
	case xml.Name{Space: nsCardDAV, Local: "addressbook-home-set"}:
		return hrefXML(h.homePath(spaceContacts)), true
	case xml.Name{Space: nsDAV, Local: "resourcetype"}:
		return h.resourceType(res), true
	case xml.Name{Space: nsDAV, Local: "supported-report-set"}:
		return h.supportedReports(res), true
	case xml.Name{Space: nsDAV, Local: "displayname"}:
		return h.displayName(res)
	}
	return "", false
}

func (h *Handler) resourceType(res *resource) string {
	switch res.t.kind {
	case targetPrincipal:
		return "<d:collection/><d:principal/>"
	case targetCollection:
		if res.t.space == spaceContacts {
			return "<d:collection/><card:addressbook/>"
		}
		return "<d:collection/><c:calendar/>"
	case targetObject:
		return ""
	}
	return "<d:collection/>"
}

func (h *Handler) supportedReports(res *resource) string {
	switch res.t.kind {
	case targetCollection, targetObject:
		if res.t.space == spaceContacts {
			return reportXML("card:addressbook-query", "card:addressbook-multiget", "d:sync-collection")
		}
		return reportXML("c:calendar-query", "c:calendar-multiget", "d:sync-collection")
	case targetHome:
		if res.t.space == spaceContacts {
			return reportXML("card:addressbook-multiget")
		}
		return reportXML("c:calendar-multiget")
	}
	return ""
}

func (h *Handler) displayName(res *resource) (string, bool) {
	switch res.t.kind {
	case targetRoot:
		return "easbridge", true
	case targetPrincipal:
		return escaped(h.user), true
	case targetHome:
		if res.t.space == spaceContacts {
			return "Address books", true
		}
		return "Calendars", true
	case targetCollection:
		if res.coll.DisplayName != "" {
			return escaped(res.coll.DisplayName), true
		}
		return escaped(res.coll.ID), true
	}
	return "", false
}

func (h *Handler) collectionProp(c *Collection, n xml.Name) (string, bool) {
	cal := c.Kind.IsCalendar()
	switch n {
	case xml.Name{Space: nsCS, Local: "getctag"}:
		return escaped(c.CTag), true
	case xml.Name{Space: nsDAV, Local: "sync-token"}:
		return escaped(c.SyncToken), true
	case xml.Name{Space: nsApple, Local: "calendar-color"}:
		return escaped(c.Color), cal && c.Color != ""
	case xml.Name{Space: nsCalDAV, Local: "calendar-description"}:
		return escaped(c.Description), cal && c.Description != ""
	case xml.Name{Space: nsCardDAV, Local: "addressbook-description"}:
		return escaped(c.Description), !cal && c.Description != ""
	case xml.Name{Space: nsCalDAV, Local: "supported-calendar-component-set"}:
		return `<c:comp name="` + componentOf(c.Kind) + `"/>`, cal
	case xml.Name{Space: nsCalDAV, Local: "supported-calendar-data"}:
		return `<c:calendar-data content-type="text/calendar" version="2.0"/>`, cal
	case xml.Name{Space: nsCardDAV, Local: "supported-address-data"}:
		return `<card:address-data-type content-type="text/vcard" version="3.0"/>` +
			`<card:address-data-type content-type="text/vcard" version="4.0"/>`, !cal
	case xml.Name{Space: nsCalDAV, Local: "max-resource-size"}:
		return strconv.FormatInt(h.maxSize, 10), cal
	case xml.Name{Space: nsCardDAV, Local: "max-resource-size"}:
		return strconv.FormatInt(h.maxSize, 10), !cal
	}
	return "", false
}

func (h *Handler) objectProp(res *resource, n xml.Name) (string, bool) {
	o := res.obj
	switch n {
	case xml.Name{Space: nsDAV, Local: "getetag"}:
		return `"` + escaped(o.ETag) + `"`, true
	case xml.Name{Space: nsDAV, Local: "getcontenttype"}:
		return contentType(res.t.space, res.coll), true
	case xml.Name{Space: nsDAV, Local: "getcontentlength"}:
		size := o.Size
		if o.Data != nil {
			size = int64(len(o.Data))
		}
		return strconv.FormatInt(size, 10), true
	case xml.Name{Space: nsDAV, Local: "getlastmodified"}:
		if o.ModTime.IsZero() {
			return "", false
		}
		return o.ModTime.UTC().Format(http.TimeFormat), true
	case xml.Name{Space: nsCalDAV, Local: "calendar-data"}:
		if o.Data == nil || res.t.space != spaceCalendars {
			return "", false
		}
		if res.expand != nil {
			if data, err := expandCalendar(o.Data, *res.expand); err == nil {
				return escaped(string(data)), true
			}
			// Not expandable (the encoder is stricter than the decoder):
			// the stored object is returned, and the client expands.
		}
		return escaped(string(o.Data)), true
	case xml.Name{Space: nsCardDAV, Local: "address-data"}:
		return escaped(string(o.Data)), o.Data != nil && res.t.space == spaceContacts
	}
	return "", false
}

// contentType is the media type of an object in a collection.
func contentType(space string, c *Collection) string {
	if space == spaceContacts {
		return "text/vcard; charset=utf-8"
	}
	if c != nil {
		switch c.Kind {
		case KindTasks:
			return "text/calendar; charset=utf-8; component=vtodo"
		case KindJournal:
			return "text/calendar; charset=utf-8; component=vjournal"
		}
	}
	return "text/calendar; charset=utf-8; component=vevent"
}

// allPropNames is what allprop and propname answer for a resource
// (RFC 4918 9.1: the live properties a client most likely wants).
func allPropNames(res *resource) []xml.Name {
	d := func(l string) xml.Name { return xml.Name{Space: nsDAV, Local: l} }
	names := []xml.Name{d("resourcetype")}
	switch {
	case res.obj != nil:
		names = append(names, d("getetag"), d("getcontenttype"), d("getcontentlength"), d("getlastmodified"))
	case res.coll != nil:
		names = append(names, d("displayname"), d("sync-token"), xml.Name{Space: nsCS, Local: "getctag"})
	default:
		names = append(names, d("displayname"))
	}
	return names
}

// propResults answers the requested names on res; nil names means
// allprop (plus include).
func (h *Handler) propResults(res *resource, names []xml.Name, all bool) []propResult {
	defaults := 0
	if all {
		defs := allPropNames(res)
		defaults = len(defs)
		names = append(defs, names...)
	}
	out := make([]propResult, 0, len(names))
	for i, n := range names {
		if v, ok := h.propValue(res, n); ok {
			out = append(out, propResult{name: n, status: http.StatusOK, inner: v})
		} else if i >= defaults {
			// allprop lists only what exists; asked-for names get a 404.
			out = append(out, propResult{name: n, status: http.StatusNotFound})
		}
	}
	return out
}
