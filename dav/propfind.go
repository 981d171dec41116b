package dav

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// propfindRequest is DAV:propfind (RFC 4918 14.20).
type propfindRequest struct {
	XMLName  xml.Name   `xml:"DAV: propfind"`
	AllProp  *struct{}  `xml:"DAV: allprop"`
	PropName *struct{}  `xml:"DAV: propname"`
	Prop     *propNames `xml:"DAV: prop"`
	Include  *propNames `xml:"DAV: include"`
}

// collection returns the collection a target names, checking that its
// kind lives in the target's space.
func (h *Handler) collection(ctx context.Context, t target) (*Collection, error) {
	c, err := h.backend.Collection(ctx, t.coll)
	if err != nil {
		return nil, wrapBackend("loading collection", err)
	}
	if spaceOf(c.Kind) != t.space {
		return nil, httpErrorf(http.StatusNotFound, "dav: no collection %q among %s", t.coll, t.space)
	}
	return &c, nil
}

// object returns one object with its data.
func (h *Handler) object(ctx context.Context, t target) (*Collection, *Object, error) {
	c, err := h.collection(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	objs, err := h.backend.GetObjects(ctx, t.coll, []string{t.name})
	if err != nil {
		return nil, nil, wrapBackend("loading object", err)
	}
	for i := range objs {
		if objs[i].Name == t.name {
			return c, &objs[i], nil
		}
	}
	return nil, nil, httpErrorf(http.StatusNotFound, "dav: no object %q in collection %q", t.name, t.coll)
}

// wrapBackend gives a Backend error context, keeping it matchable.
func wrapBackend(doing string, err error) error {
	return &wrapped{doing: doing, err: err}
}

type wrapped struct {
	doing string
	err   error
}

func (w *wrapped) Error() string { return "dav: " + w.doing + ": " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

// resources lists the resource a target names and, at depth 1, its
// members.
// withData loads object bodies too, for a PROPFIND that asks for
// calendar-data or address-data (not defined for PROPFIND, but some
// clients ask, and a body is cheaper than a second round trip).
func (h *Handler) resources(ctx context.Context, t target, depth int, withData bool) ([]resource, error) {
	self := resource{t: t}
	var members []resource
	switch t.kind {
	case targetRoot:
		if depth > 0 {
			for _, m := range []target{{kind: targetPrincipal}, {kind: targetHome, space: spaceCalendars}, {kind: targetHome, space: spaceContacts}} {
				members = append(members, resource{t: m})
			}
		}
	case targetPrincipals:
		if depth > 0 {
			members = append(members, resource{t: target{kind: targetPrincipal}})
		}
	case targetHome:
		if depth > 0 {
			colls, err := h.backend.Collections(ctx)
			if err != nil {
				return nil, wrapBackend("listing collections", err)
			}
			for i := range colls {
				if spaceOf(colls[i].Kind) == t.space {
					ct := target{kind: targetCollection, space: t.space, coll: colls[i].ID}
					members = append(members, resource{t: ct, coll: &colls[i]})
				}
			}
		}
	case targetCollection:
		c, err := h.collection(ctx, t)
		if err != nil {
			return nil, err
		}
		self.coll = c
		if depth > 0 {
			var objs []Object
			var err error
			if withData {
				objs, err = h.allObjects(ctx, t.coll)
			} else if objs, err = h.backend.Objects(ctx, t.coll); err != nil {
				err = wrapBackend("listing objects", err)
			}
			if err != nil {
				return nil, err
			}
			members = make([]resource, len(objs))
			prefix := h.collectionPath(t.space, t.coll)
			for i := range objs {
				ot := target{kind: targetObject, space: t.space, coll: t.coll, name: objs[i].Name}
				members[i] = resource{t: ot, coll: c, obj: &objs[i], href: prefix + url.PathEscape(objs[i].Name)}
			}
		}
	case targetObject:
		c, o, err := h.object(ctx, t)
		if err != nil {
			return nil, err
		}
		self.coll, self.obj = c, o
	}
	return append([]resource{self}, members...), nil
}

// propfind answers PROPFIND (RFC 4918 9.1). Depth infinity is served as
// depth 1: collections here hold no collections deeper than that.
func (h *Handler) propfind(w http.ResponseWriter, r *http.Request, t target) error {
	depth, err := depthOf(r, 2)
	if err != nil {
		return err
	}
	var req propfindRequest
	if _, err := decodeBody(r, &req); err != nil {
		return err
	}
	all := req.Prop == nil || req.AllProp != nil
	var names []xml.Name
	if req.Prop != nil {
		names = *req.Prop
	}
	if all && req.Include != nil {
		names = *req.Include
	}
	withData := slices.Contains(names, nameCalendarData) || slices.Contains(names, nameAddressData)
	res, err := h.resources(r.Context(), t, depth, withData)
	if err != nil {
		return err
	}
	ms := newMultiStatus(w, r)
	for i := range res {
		if req.PropName != nil {
			ms.response(h.resHref(&res[i]), h.propResults(&res[i], nil, true), true)
			continue
		}
		ms.response(h.resHref(&res[i]), h.propResults(&res[i], names, all), false)
	}
	return ms.close("")
}

// get answers GET and HEAD: the object as stored, byte for byte, so that
// its ETag stays the tag of what the client sees.
func (h *Handler) get(w http.ResponseWriter, r *http.Request, t target) error {
	if t.kind != targetObject {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.Method == http.MethodGet {
			io.WriteString(w, "easbridge CalDAV/CardDAV server\n")
		}
		return nil
	}
	c, o, err := h.object(r.Context(), t)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType(t.space, c))
	w.Header().Set("ETag", quoteETag(o.ETag))
	if !o.ModTime.IsZero() {
		w.Header().Set("Last-Modified", o.ModTime.UTC().Format(http.TimeFormat))
	}
	if inm, _ := parseCondition(r.Header.Get("If-None-Match")); inm != "" && (inm == "*" || inm == o.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(o.Data)))
	if r.Method == http.MethodGet {
		w.Write(o.Data)
	}
	return nil
}
