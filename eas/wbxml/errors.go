package wbxml

import (
	"errors"
	"fmt"
)

// ErrNotWBXML reports a body that is not ActiveSync WBXML: empty, an HTML
// or XML page (starting with '<'), or a header other than WBXML 1.3
// (WBXML 1.3 section 5.4).
var ErrNotWBXML = errors.New("wbxml: not a WBXML 1.3 document")

// SyntaxError reports malformed or truncated WBXML, an unknown code page or
// token, or input beyond the decoder's limits. Offset is the number of
// bytes consumed when the problem was found.
type SyntaxError struct {
	Offset int64
	Msg    string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("wbxml: %s at offset %d", e.Msg, e.Offset)
}
