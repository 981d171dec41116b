package dav

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/emersion/go-vcard"
)

// cardFilter is CARDDAV:filter (RFC 6352 10.5).
type cardFilter struct {
	Test        string           `xml:"test,attr"`
	PropFilters []cardPropFilter `xml:"urn:ietf:params:xml:ns:carddav prop-filter"`
}

type cardPropFilter struct {
	Name         string          `xml:"name,attr"`
	Test         string          `xml:"test,attr"`
	IsNotDefined *struct{}       `xml:"urn:ietf:params:xml:ns:carddav is-not-defined"`
	TextMatches  []textMatch     `xml:"urn:ietf:params:xml:ns:carddav text-match"`
	ParamFilters []cardParamFilt `xml:"urn:ietf:params:xml:ns:carddav param-filter"`
}

type cardParamFilt struct {
	Name         string     `xml:"name,attr"`
	IsNotDefined *struct{}  `xml:"urn:ietf:params:xml:ns:carddav is-not-defined"`
	TextMatch    *textMatch `xml:"urn:ietf:params:xml:ns:carddav text-match"`
}

// matchCard applies an addressbook-query filter; test defaults to anyof
// (RFC 6352 10.5).
func matchCard(f *cardFilter, card vcard.Card) bool {
	if len(f.PropFilters) == 0 {
		return true
	}
	all := f.Test == "allof"
	for i := range f.PropFilters {
		ok := matchCardProp(&f.PropFilters[i], card)
		if ok && !all {
			return true
		}
		if !ok && all {
			return false
		}
	}
	return all
}

func matchCardProp(f *cardPropFilter, card vcard.Card) bool {
	fields := card[strings.ToUpper(f.Name)]
	if f.IsNotDefined != nil {
		return len(fields) == 0
	}
	if len(fields) == 0 {
		return false
	}
	all := f.Test == "allof"
	var tests []func(*vcard.Field) bool
	for i := range f.TextMatches {
		m := &f.TextMatches[i]
		tests = append(tests, func(fl *vcard.Field) bool { return m.matches(fl.Value) })
	}
	for i := range f.ParamFilters {
		pf := paramFilter{Name: f.ParamFilters[i].Name, IsNotDefined: f.ParamFilters[i].IsNotDefined, TextMatch: f.ParamFilters[i].TextMatch}
		tests = append(tests, func(fl *vcard.Field) bool {
			return matchParams([]paramFilter{pf}, func(n string) []string { return fl.Params[n] })
		})
	}
	if len(tests) == 0 {
		return true
	}
	for _, test := range tests {
		ok := false
		for _, fl := range fields {
			if test(fl) {
				ok = true
				break
			}
		}
		if ok && !all {
			return true
		}
		if !ok && all {
			return false
		}
	}
	return all
}

// addressbookQuery answers addressbook-query (RFC 6352 8.6), with the
// optional limit: a truncated answer carries a 507 response for the
// request-URI (RFC 6352 8.6.1).
func (h *Handler) addressbookQuery(w http.ResponseWriter, r *http.Request, t target, req *reportRequest) error {
	if t.space != spaceContacts || t.kind != targetCollection {
		return preconditionError(http.StatusForbidden, "d:supported-report", "",
			"dav: addressbook-query is only supported on an address book")
	}
	c, err := h.collection(r.Context(), t)
	if err != nil {
		return err
	}
	objs, err := h.allObjects(r.Context(), t.coll)
	if err != nil {
		return err
	}
	f := req.CardFilter
	if f == nil {
		f = &cardFilter{}
	}
	limit := 0
	if req.CardLimit != nil {
		limit = req.CardLimit.NResults
	}
	var matched []Object
	truncated := false
	pre := newCardPrefilter(f)
	for _, o := range objs {
		if !pre.mayMatch(o.Data) {
			continue
		}
		cards, err := decodeCards(o.Data, 1)
		if err == nil && len(cards) == 0 {
			err = errors.New("no vCard")
		}
		if err != nil {
			h.log.Warn("stored vcard does not parse", "collection", t.coll, "name", o.Name, "err", err)
			continue
		}
		if !matchCard(f, cards[0]) {
			continue
		}
		if limit > 0 && len(matched) == limit {
			truncated = true
			break
		}
		matched = append(matched, o)
	}
	ms := newMultiStatus(w, r)
	h.writeObjects(ms, req, t, c, matched)
	if truncated {
		ms.status(h.hrefOf(t), http.StatusInsufficientStorage)
	}
	return ms.close("")
}

// cardPrefilter skips vCards that cannot match an addressbook-query
// without parsing them: for a prop-filter made only of plain, positive
// text-matches, a card can only match if a needle occurs somewhere in its
// unfolded, lower-cased text. Parsing 5,000 cards costs far more than
// scanning them.
type cardPrefilter struct {
	all   bool
	props []prefilterProp // nil entry: prop-filter not prefilterable
}

type prefilterProp struct {
	ok      bool
	all     bool
	needles [][]byte
}

func newCardPrefilter(f *cardFilter) *cardPrefilter {
	p := &cardPrefilter{all: f.Test == "allof"}
	for _, pf := range f.PropFilters {
		pp := prefilterProp{ok: pf.IsNotDefined == nil && len(pf.ParamFilters) == 0 && len(pf.TextMatches) > 0, all: pf.Test == "allof"}
		for _, m := range pf.TextMatches {
			// Escaped characters in vCard values (RFC 6350 3.4) could hide
			// a needle: such needles are not prefiltered.
			if m.Negate == "yes" || strings.ContainsAny(m.Text, ",;\\\n\r") || m.Text == "" {
				pp.ok = false
			}
			pp.needles = append(pp.needles, []byte(strings.ToLower(m.Text)))
		}
		p.props = append(p.props, pp)
	}
	return p
}

// mayMatch reports whether a card could match; false is certain.
func (p *cardPrefilter) mayMatch(raw []byte) bool {
	if len(p.props) == 0 {
		return true
	}
	var text []byte
	result := p.all
	for _, pp := range p.props {
		may := true
		if pp.ok {
			if text == nil {
				text = unfoldLower(raw)
			}
			may = pp.all
			for _, n := range pp.needles {
				found := bytes.Contains(text, n)
				if found && !pp.all {
					may = true
					break
				}
				if !found && pp.all {
					may = false
					break
				}
			}
		}
		if may && !p.all {
			return true
		}
		if !may && p.all {
			return false
		}
	}
	return result
}

// unfoldLower joins folded lines (RFC 6350 3.2) and lower-cases.
func unfoldLower(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' && i+2 < len(raw) && raw[i+1] == '\n' && (raw[i+2] == ' ' || raw[i+2] == '\t') {
			i += 2
			continue
		}
		if c == '\n' && i+1 < len(raw) && (raw[i+1] == ' ' || raw[i+1] == '\t') {
			i++
			continue
		}
		out = append(out, c)
	}
	return bytes.ToLower(out)
}
