package dav

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
)

// put answers PUT (RFC 4791 5.3.2, RFC 6352 6.3.2): the body is validated
// before the Backend sees it, so a refused PUT leaves the store untouched.
func (h *Handler) put(w http.ResponseWriter, r *http.Request, t target) error {
	if t.kind != targetObject {
		return httpErrorf(http.StatusMethodNotAllowed, "dav: PUT is only allowed on an object inside a collection")
	}
	if err := checkNewName(t.name); err != nil {
		return err
	}
	if r.ContentLength > h.maxSize {
		return httpErrorf(http.StatusRequestEntityTooLarge, "dav: body of %d bytes exceeds the limit of %d bytes", r.ContentLength, h.maxSize)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, h.maxSize+1))
	if err != nil {
		return httpErrorf(http.StatusBadRequest, "dav: reading body: %v", err)
	}
	if int64(len(data)) > h.maxSize {
		return httpErrorf(http.StatusRequestEntityTooLarge, "dav: body exceeds the limit of %d bytes", h.maxSize)
	}
	c, err := h.collection(r.Context(), t)
	if err != nil {
		return err
	}
	var in ObjectInput
	if c.Kind == KindContacts {
		in, err = validateCard(data)
	} else {
		in, err = validateCalendar(data, c.Kind)
	}
	if err != nil {
		return err
	}
	var cond Conditions
	if cond.IfMatch, err = parseCondition(r.Header.Get("If-Match")); err != nil {
		return err
	}
	if cond.IfNoneMatch, err = parseCondition(r.Header.Get("If-None-Match")); err != nil {
		return err
	}
	etag, created, err := h.backend.PutObject(r.Context(), t.coll, t.name, in, cond)
	if err != nil {
		var uc *UIDConflictError
		if errors.As(err, &uc) {
			cond := "c:no-uid-conflict"
			if t.space == spaceContacts {
				cond = "card:no-uid-conflict"
			}
			href := h.objectPath(t.space, t.coll, uc.Name)
			return preconditionError(http.StatusConflict, cond, hrefXML(href),
				"dav: UID %q is already used by %s in this collection", in.UID, href)
		}
		return wrapBackend("storing object", err)
	}
	w.Header().Set("ETag", quoteETag(etag))
	if created {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// delete answers DELETE on an object (If-Match honoured) or a collection.
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, t target) error {
	switch t.kind {
	case targetObject:
		ifMatch, err := parseCondition(r.Header.Get("If-Match"))
		if err != nil {
			return err
		}
		if _, err := h.collection(r.Context(), t); err != nil {
			return err
		}
		if err := h.backend.DeleteObject(r.Context(), t.coll, t.name, Conditions{IfMatch: ifMatch}); err != nil {
			return wrapBackend("deleting object", err)
		}
	case targetCollection:
		if _, err := h.collection(r.Context(), t); err != nil {
			return err
		}
		if err := h.backend.DeleteCollection(r.Context(), t.coll); err != nil {
			return wrapBackend("deleting collection", err)
		}
	default:
		return httpErrorf(http.StatusForbidden, "dav: this resource cannot be deleted")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setProp is one property inside a set or remove of PROPPATCH, MKCOL or
// MKCALENDAR.
type setProp struct {
	XMLName xml.Name
	Text    string `xml:",chardata"`
	Comps   []struct {
		Name string `xml:"name,attr"`
	} `xml:"urn:ietf:params:xml:ns:caldav comp"`
	Children []struct {
		XMLName xml.Name
	} `xml:",any"`
}

// propUpdate is a DAV:set or DAV:remove.
type propUpdate struct {
	XMLName xml.Name
	Prop    []struct {
		Props []setProp `xml:",any"`
	} `xml:"DAV: prop"`
}

// props flattens the prop elements of a set or remove.
func (u *propUpdate) props() []setProp {
	var out []setProp
	for _, p := range u.Prop {
		out = append(out, p.Props...)
	}
	return out
}

// updateRequest is propertyupdate (RFC 4918 14.19), mkcol (RFC 5689 5.1)
// or mkcalendar (RFC 4791 9.1): all hold a sequence of set/remove.
type updateRequest struct {
	XMLName xml.Name
	Updates []propUpdate `xml:",any"`
}

// mkcol answers MKCALENDAR (RFC 4791 5.3.1) and MKCOL, extended or not
// (RFC 5689): a plain MKCOL makes the kind of collection its home holds.
func (h *Handler) mkcol(w http.ResponseWriter, r *http.Request, t target) error {
	if t.kind != targetCollection {
		return httpErrorf(http.StatusForbidden, "dav: collections can only be created inside a home set")
	}
	if err := checkNewName(t.coll); err != nil {
		return err
	}
	var req updateRequest
	if _, err := decodeBody(r, &req); err != nil {
		return err
	}
	c := Collection{ID: t.coll, Kind: KindEvents}
	if t.space == spaceContacts {
		c.Kind = KindContacts
	}
	wantCalendar := r.Method == "MKCALENDAR"
	for _, u := range req.Updates {
		if u.XMLName.Local != "set" {
			continue
		}
		for _, p := range u.props() {
			switch p.XMLName.Space + " " + p.XMLName.Local {
			case nsDAV + " displayname":
				c.DisplayName = p.Text
			case nsApple + " calendar-color":
				c.Color = strings.TrimSpace(p.Text)
			case nsCalDAV + " calendar-description", nsCardDAV + " addressbook-description":
				c.Description = p.Text
			case nsCalDAV + " supported-calendar-component-set":
				c.Kind = kindOfComps(p)
			case nsDAV + " resourcetype":
				for _, ch := range p.Children {
					switch ch.XMLName.Space + " " + ch.XMLName.Local {
					case nsCalDAV + " calendar":
						wantCalendar = true
					case nsCardDAV + " addressbook":
						c.Kind = KindContacts
					}
				}
			}
		}
	}
	if wantCalendar && c.Kind == KindContacts {
		return httpErrorf(http.StatusForbidden, "dav: a collection cannot be both a calendar and an address book")
	}
	if spaceOf(c.Kind) != t.space {
		return preconditionError(http.StatusForbidden, "d:valid-resourcetype", "",
			"dav: a %s collection cannot be created under /%s/", c.Kind, t.space)
	}
	if _, err := h.backend.CreateCollection(r.Context(), c); err != nil {
		if errors.Is(err, ErrExists) {
			w.Header().Set("Allow", allowMethods)
			return httpErrorf(http.StatusMethodNotAllowed, "dav: collection %q already exists", t.coll)
		}
		return wrapBackend("creating collection", err)
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// kindOfComps picks the collection kind for a supported-calendar-component-set.
// A set naming VEVENT (alone or with others) makes an event calendar:
// tasks and events live in separate collections here.
func kindOfComps(p setProp) Kind {
	kind := KindEvents
	for i, c := range p.Comps {
		switch strings.ToUpper(c.Name) {
		case "VEVENT":
			return KindEvents
		case "VTODO":
			if i == 0 || kind != KindJournal {
				kind = KindTasks
			}
		case "VJOURNAL":
			if i == 0 {
				kind = KindJournal
			}
		}
	}
	return kind
}

// proppatch answers PROPPATCH (RFC 4918 9.2): displayname and
// calendar-color of a collection are stored; anything else is refused
// with 403 and the rest of the request fails with 424, atomically.
func (h *Handler) proppatch(w http.ResponseWriter, r *http.Request, t target) error {
	var req updateRequest
	if ok, err := decodeBody(r, &req); err != nil {
		return err
	} else if !ok {
		return httpErrorf(http.StatusBadRequest, "dav: PROPPATCH needs a propertyupdate body")
	}
	var coll *Collection
	if t.kind == targetCollection {
		c, err := h.collection(r.Context(), t)
		if err != nil {
			return err
		}
		coll = c
	}
	var name, color *string
	var results []propResult
	failed := false
	for _, u := range req.Updates {
		remove := u.XMLName.Local == "remove"
		for _, p := range u.props() {
			v := p.Text
			if remove {
				v = ""
			}
			res := propResult{name: p.XMLName, status: http.StatusOK}
			switch {
			case coll != nil && p.XMLName == xml.Name{Space: nsDAV, Local: "displayname"}:
				name = &v
			case coll != nil && coll.Kind.IsCalendar() && p.XMLName == xml.Name{Space: nsApple, Local: "calendar-color"}:
				v = strings.TrimSpace(v)
				color = &v
			default:
				res.status = http.StatusForbidden
				failed = true
			}
			results = append(results, res)
		}
	}
	if failed {
		for i := range results {
			if results[i].status == http.StatusOK {
				results[i].status = http.StatusFailedDependency
			}
		}
	} else if name != nil || color != nil {
		if err := h.backend.UpdateCollection(r.Context(), t.coll, name, color); err != nil {
			return wrapBackend("updating collection", err)
		}
	}
	ms := newMultiStatus(w, r)
	ms.response(h.hrefOf(t), results, true)
	return ms.close("")
}
