package dav

import (
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"
)

// targetKind is what a request URL names.
type targetKind int

const (
	targetRoot       targetKind = iota // "/"
	targetWellKnown                    // /.well-known/caldav or carddav
	targetPrincipals                   // /principals/
	targetPrincipal                    // /principals/USER/
	targetHome                         // /calendars/USER/ or /contacts/USER/
	targetCollection                   // .../USER/COLL/
	targetObject                       // .../USER/COLL/NAME
)

// The two home spaces.
const (
	spaceCalendars = "calendars"
	spaceContacts  = "contacts"
)

// target is a parsed request path.
type target struct {
	kind  targetKind
	space string // spaceCalendars or spaceContacts for home and below
	coll  string
	name  string
}

// parseTarget maps a URL path to a target. Paths of other users or
// unknown shapes are 404: nothing else is listed or reachable.
func (h *Handler) parseTarget(p string) (target, error) {
	if p == "" {
		p = "/"
	}
	clean := path.Clean(p)
	switch clean {
	case "/":
		return target{kind: targetRoot}, nil
	case "/.well-known/caldav", "/.well-known/carddav":
		return target{kind: targetWellKnown}, nil
	case "/principals":
		return target{kind: targetPrincipals}, nil
	}
	segs := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	if len(segs) < 2 || segs[1] != h.user {
		return target{}, httpErrorf(http.StatusNotFound, "dav: no such resource %q", p)
	}
	switch segs[0] {
	case "principals":
		if len(segs) == 2 {
			return target{kind: targetPrincipal}, nil
		}
	case spaceCalendars, spaceContacts:
		t := target{kind: targetHome, space: segs[0]}
		switch len(segs) {
		case 2:
			return t, nil
		case 3:
			t.kind, t.coll = targetCollection, segs[2]
			return t, nil
		case 4:
			t.kind, t.coll, t.name = targetObject, segs[2], segs[3]
			return t, nil
		}
	}
	return target{}, httpErrorf(http.StatusNotFound, "dav: no such resource %q", p)
}

// parseHref maps an href from a request body (a path or an absolute URL)
// to a target.
func (h *Handler) parseHref(href string) (target, error) {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return target{}, httpErrorf(http.StatusBadRequest, "dav: bad href %q", href)
	}
	return h.parseTarget(u.Path)
}

func (h *Handler) principalPath() string {
	return "/principals/" + url.PathEscape(h.user) + "/"
}

func (h *Handler) homePath(space string) string {
	return "/" + space + "/" + url.PathEscape(h.user) + "/"
}

func (h *Handler) collectionPath(space, coll string) string {
	return h.homePath(space) + url.PathEscape(coll) + "/"
}

func (h *Handler) objectPath(space, coll, name string) string {
	return h.collectionPath(space, coll) + url.PathEscape(name)
}

// hrefOf is the canonical href of a target.
func (h *Handler) hrefOf(t target) string {
	switch t.kind {
	case targetPrincipals:
		return "/principals/"
	case targetPrincipal:
		return h.principalPath()
	case targetHome:
		return h.homePath(t.space)
	case targetCollection:
		return h.collectionPath(t.space, t.coll)
	case targetObject:
		return h.objectPath(t.space, t.coll, t.name)
	}
	return "/"
}

// spaceOf is the home space a collection kind lives in.
func spaceOf(k Kind) string {
	if k == KindContacts {
		return spaceContacts
	}
	return spaceCalendars
}

// maxNameLen bounds the collection and object names a client may create.
const maxNameLen = 255

// checkNewName refuses a name a client wants to create that is empty,
// too long, not UTF-8 or holds control characters: names end up in hrefs,
// logs and file-like tools downstream.
func checkNewName(name string) error {
	if name == "" || len(name) > maxNameLen || !utf8.ValidString(name) {
		return httpErrorf(http.StatusForbidden, "dav: resource name %q is empty, too long or not UTF-8", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return httpErrorf(http.StatusForbidden, "dav: resource name %q holds a control character", name)
		}
	}
	return nil
}
