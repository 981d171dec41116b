package eas

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// FetchResult describes what an ItemOperations Fetch streamed.
type FetchResult struct {
	ContentType string // of an attachment, when the server says
	Size        int64  // bytes written to the writer
}

// ErrItemNotFound: the item or attachment does not exist (ItemOperations
// status 6, MS-ASCMD 2.2.3.177.8; common status 150).
var ErrItemNotFound = errors.New("eas: the item does not exist on the server")

// FetchAttachment streams the attachment named by fileReference (the
// FileReference of an item's Attachment, MS-ASAIRS 2.2.2.24) to w. The
// server may answer inline (WBXML Data) or, since the client accepts it,
// in the multipart form of MS-ASCMD 2.2.2.9.1.1; either way the content
// goes to w without being held in memory.
func (c *Client) FetchAttachment(ctx context.Context, fileReference string, w io.Writer) (*FetchResult, error) {
	return c.fetchStream(ctx, func(e *wbxml.Encoder, _ Version) {
		e.Element(wbxml.AirSyncBaseFileReference, fileReference)
	}, w)
}

// FetchMIME streams the whole RFC 5322 message of a mail item to w
// (BodyPreference type 4 with MIMESupport 2).
func (c *Client) FetchMIME(ctx context.Context, collectionID, serverID string, w io.Writer) (*FetchResult, error) {
	return c.fetchStream(ctx, func(e *wbxml.Encoder, v Version) {
		e.Element(wbxml.AirSyncCollectionId, collectionID)
		e.Element(wbxml.AirSyncServerId, serverID)
		e.Start(wbxml.ItemOperationsOptions)
		e.Element(wbxml.AirSyncMIMESupport, "2")
		encodeBodyPreference(e, BodyPreference{Type: 4}, v)
		e.End()
	}, w)
}

// FetchItem fetches one item, decoded, with the given body preferences
// (MS-ASCMD 2.2.1.10.1); class tells how to decode it.
func (c *Client) FetchItem(ctx context.Context, collectionID, serverID string, class Class, prefs []BodyPreference) (Item, error) {
	var item Item
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	err = c.itemOperationsFetch(ctx, false, func(e *wbxml.Encoder) {
		e.Element(wbxml.AirSyncCollectionId, collectionID)
		e.Element(wbxml.AirSyncServerId, serverID)
		if len(prefs) > 0 {
			e.Start(wbxml.ItemOperationsOptions)
			for _, bp := range prefs {
				encodeBodyPreference(e, bp, v)
			}
			e.End()
		}
	}, func(d *wbxml.Decoder) error {
		it, err := DecodeItem(d, class, v)
		item = it
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	if item == nil {
		return nil, ErrItemNotFound
	}
	return item, nil
}

// fetchStream runs a Fetch whose content (Data, or Body Data, or a
// multipart part) is copied to w.
func (c *Client) fetchStream(ctx context.Context, build func(e *wbxml.Encoder, v Version), w io.Writer) (*FetchResult, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	res := &FetchResult{}
	part := -1
	cw := &countWriter{w: w}
	err = c.itemOperationsFetch(ctx, true, func(e *wbxml.Encoder) { build(e, v) }, func(d *wbxml.Decoder) error {
		return decodeFetchProperties(d, res, cw, &part)
	}, func(parts *multipart) error {
		if part < 0 {
			return nil
		}
		return parts.copyPart(part, cw)
	})
	res.Size = cw.n
	if err != nil {
		return nil, err
	}
	return res, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// decodeFetchProperties walks Properties: ContentType, Data or Part, and
// a Body with Data or Part (for MIME).
func decodeFetchProperties(d *wbxml.Decoder, res *FetchResult, w io.Writer, part *int) error {
	return d.Each(func(t wbxml.Tag) error {
		var err error
		switch t {
		case wbxml.AirSyncBaseContentType:
			res.ContentType, err = d.Text()
		case wbxml.ItemOperationsData, wbxml.AirSyncBaseData:
			_, err = d.CopyText(w)
		case wbxml.ItemOperationsPart:
			*part, err = readInt(d)
		case wbxml.AirSyncBaseBody:
			err = decodeFetchProperties(d, res, w, part)
		default:
			err = d.Skip()
		}
		return err
	})
}

// itemOperationsFetch sends one ItemOperations Fetch and hands its
// Properties to props. With multipart accepted and answered, after the
// WBXML part has been decoded, rest gets the remaining parts.
func (c *Client) itemOperationsFetch(ctx context.Context, multi bool, build func(e *wbxml.Encoder), props func(d *wbxml.Decoder) error, rest func(*multipart) error) error {
	body, err := encode(func(e *wbxml.Encoder) {
		e.Start(wbxml.ItemOperationsItemOperations)
		e.Start(wbxml.ItemOperationsFetch)
		e.Element(wbxml.ItemOperationsStore, "Mailbox")
		build(e)
		e.End()
		e.End()
	})
	if err != nil {
		return err
	}
	r := &request{cmd: "ItemOperations", body: body, acceptMultiPart: multi}
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	if resp.contentType() != contentTypeMultipart {
		return c.decodeResponse(resp, r.cmd, wbxml.ItemOperationsItemOperations, func(d *wbxml.Decoder) error {
			if d == nil {
				return ErrEmptyResponse
			}
			return decodeItemOperations(d, props)
		})
	}
	defer resp.Close()
	mp, err := readMultipart(resp.body)
	if err != nil {
		return err
	}
	first, err := mp.part(0)
	if err != nil {
		return err
	}
	d := wbxml.NewDecoder(first)
	root, err := d.Root()
	if err != nil {
		return fmt.Errorf("eas: decoding ItemOperations response: %w", err)
	}
	if root != wbxml.ItemOperationsItemOperations {
		return fmt.Errorf("eas: ItemOperations answered with a %s document", root)
	}
	if err := decodeItemOperations(d, props); err != nil {
		return err
	}
	if rest != nil {
		return rest(mp)
	}
	return nil
}

func decodeItemOperations(d *wbxml.Decoder, props func(d *wbxml.Decoder) error) error {
	return d.Each(func(t wbxml.Tag) error {
		switch t {
		case wbxml.ItemOperationsStatus:
			return readStatus(d, itemOperationsStatusError)
		case wbxml.ItemOperationsResponse:
			return d.Each(func(t wbxml.Tag) error {
				if t != wbxml.ItemOperationsFetch {
					return d.Skip()
				}
				return decodeFetch(d, props)
			})
		}
		return d.Skip()
	})
}

func decodeFetch(d *wbxml.Decoder, props func(d *wbxml.Decoder) error) error {
	return d.Each(func(t wbxml.Tag) error {
		switch t {
		case wbxml.ItemOperationsStatus:
			return readStatus(d, itemOperationsStatusError)
		case wbxml.ItemOperationsProperties:
			return props(d)
		}
		return d.Skip()
	})
}

func itemOperationsStatusError(st int) error {
	switch st {
	case 6, 15, statusItemNotFound:
		return &StatusError{Command: "ItemOperations", Status: st, Err: ErrItemNotFound}
	case 3, 7, 12:
		return &ThrottledError{Command: "ItemOperations", Status: st, Reason: "server error", Err: ErrUnavailable}
	case 5, 16:
		return &StatusError{Command: "ItemOperations", Status: st, Err: ErrForbidden}
	}
	if st > 100 {
		return commandStatusError("ItemOperations", st)
	}
	return &StatusError{Command: "ItemOperations", Status: st}
}

const statusItemNotFound = 150

// multipart reads the multipart response of MS-ASCMD 2.2.2.9.1.1: a part
// count, then (offset, length) pairs, all 32-bit little-endian, then the
// parts, in order. Part 0 is the WBXML document. Parts are read forward
// only, so nothing is buffered.
type multipart struct {
	r     io.Reader
	pos   int64 // stream offset once cur is drained
	cur   *io.LimitedReader
	parts [][2]int64
}

// maxParts bounds the part table of a hostile answer.
const maxParts = 1 << 16

func readMultipart(r io.Reader) (*multipart, error) {
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("eas: reading multipart header: %w", err)
	}
	if n == 0 || n > maxParts {
		return nil, fmt.Errorf("eas: multipart answer with %d parts", n)
	}
	m := &multipart{r: r, pos: 4 + 8*int64(n)}
	for i := uint32(0); i < n; i++ {
		var meta [2]int32
		if err := binary.Read(r, binary.LittleEndian, &meta); err != nil {
			return nil, fmt.Errorf("eas: reading multipart header: %w", err)
		}
		if meta[0] < 0 || meta[1] < 0 {
			return nil, errors.New("eas: multipart answer with a negative offset")
		}
		m.parts = append(m.parts, [2]int64{int64(meta[0]), int64(meta[1])})
	}
	return m, nil
}

// part positions the stream at part i and returns a reader of its bytes.
func (m *multipart) part(i int) (io.Reader, error) {
	if i < 0 || i >= len(m.parts) {
		return nil, fmt.Errorf("eas: multipart answer has no part %d", i)
	}
	off, n := m.parts[i][0], m.parts[i][1]
	if m.cur != nil {
		if _, err := io.Copy(io.Discard, m.cur); err != nil {
			return nil, fmt.Errorf("eas: skipping multipart part: %w", err)
		}
		m.cur = nil
	}
	if off < m.pos {
		return nil, fmt.Errorf("eas: multipart part %d lies before the read position", i)
	}
	if _, err := io.CopyN(io.Discard, m.r, off-m.pos); err != nil {
		return nil, fmt.Errorf("eas: skipping to multipart part %d: %w", i, err)
	}
	m.pos = off + n
	m.cur = &io.LimitedReader{R: m.r, N: n}
	return m.cur, nil
}

func (m *multipart) copyPart(i int, w io.Writer) error {
	// Part 0 may not have been read to its end by the decoder.
	if i == 0 {
		return errors.New("eas: multipart data refers to the WBXML part")
	}
	pr, err := m.part(i)
	if err != nil {
		return err
	}
	want := m.parts[i][1]
	n, err := io.Copy(w, pr)
	if err != nil {
		return fmt.Errorf("eas: copying multipart part %d: %w", i, err)
	}
	if n != want {
		return fmt.Errorf("eas: multipart part %d truncated after %s of %s bytes", i, strconv.FormatInt(n, 10), strconv.FormatInt(want, 10))
	}
	return nil
}
