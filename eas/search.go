package eas

import (
	"context"
	"errors"
	"fmt"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// GALEntry is one Global Address List entry (MS-ASCMD 2.2.3.141.1 and the
// GAL code page).
type GALEntry struct {
	DisplayName  string
	FirstName    string
	LastName     string
	EmailAddress string
	Alias        string
	Company      string
	Title        string
	Office       string
	Phone        string
	HomePhone    string
	MobilePhone  string
}

// GALResult is the answer to a GAL search. Total is the number of
// matches on the server, which may exceed len(Entries).
type GALResult struct {
	Entries []GALEntry
	Total   int
}

// SearchGAL searches the Global Address List (MS-ASCMD 2.2.1.16, Store
// "GAL") for query, returning at most max entries (1..100).
func (c *Client) SearchGAL(ctx context.Context, query string, max int) (*GALResult, error) {
	if max <= 0 || max > 100 {
		max = 100
	}
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.SearchSearch)
		e.Start(wbxml.SearchStore)
		e.Element(wbxml.SearchName, "GAL")
		e.Element(wbxml.SearchQuery, query)
		e.Start(wbxml.SearchOptions)
		e.Element(wbxml.SearchRange, fmt.Sprintf("0-%d", max-1))
		e.End()
		e.End()
		e.End()
	})
	if err != nil {
		return nil, err
	}
	res := &GALResult{}
	err = c.roundTrip(ctx, &request{cmd: "Search", body: body}, wbxml.SearchSearch, func(d *wbxml.Decoder) error {
		if d == nil {
			return ErrEmptyResponse
		}
		return d.Each(func(t wbxml.Tag) error {
			switch t {
			case wbxml.SearchStatus:
				return readStatus(d, searchStatusError)
			case wbxml.SearchResponse:
				return decodeSearchResponse(d, res)
			}
			return d.Skip()
		})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func searchStatusError(st int) error {
	switch st {
	case 2, 8:
		return &StatusError{Command: "Search", Status: st, Err: errors.New("eas: the server rejected the search request")}
	case 3, 10:
		return &ThrottledError{Command: "Search", Status: st, Reason: "search server error", Err: ErrUnavailable}
	}
	return commandStatusError("Search", st)
}

func decodeSearchResponse(d *wbxml.Decoder, res *GALResult) error {
	return d.Each(func(t wbxml.Tag) error {
		if t != wbxml.SearchStore {
			return d.Skip()
		}
		return d.Each(func(t wbxml.Tag) error {
			switch t {
			case wbxml.SearchStatus:
				return readStatus(d, searchStatusError)
			case wbxml.SearchTotal:
				var err error
				res.Total, err = readInt(d)
				return err
			case wbxml.SearchResult:
				var e GALEntry
				if err := decodeGALResult(d, &e); err != nil {
					return err
				}
				if e != (GALEntry{}) {
					res.Entries = append(res.Entries, e)
				}
				return nil
			}
			return d.Skip()
		})
	})
}

func decodeGALResult(d *wbxml.Decoder, e *GALEntry) error {
	return d.Each(func(t wbxml.Tag) error {
		if t != wbxml.SearchProperties {
			return d.Skip()
		}
		return d.Each(func(t wbxml.Tag) error {
			var dst *string
			switch t {
			case wbxml.GALDisplayName:
				dst = &e.DisplayName
			case wbxml.GALFirstName:
				dst = &e.FirstName
			case wbxml.GALLastName:
				dst = &e.LastName
			case wbxml.GALEmailAddress:
				dst = &e.EmailAddress
			case wbxml.GALAlias:
				dst = &e.Alias
			case wbxml.GALCompany:
				dst = &e.Company
			case wbxml.GALTitle:
				dst = &e.Title
			case wbxml.GALOffice:
				dst = &e.Office
			case wbxml.GALPhone:
				dst = &e.Phone
			case wbxml.GALHomePhone:
				dst = &e.HomePhone
			case wbxml.GALMobilePhone:
				dst = &e.MobilePhone
			}
			if dst == nil {
				return d.Skip()
			}
			var err error
			*dst, err = d.Text()
			return err
		})
	})
}
