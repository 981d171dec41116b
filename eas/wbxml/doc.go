// Package wbxml encodes and decodes the Exchange ActiveSync dialect of WAP
// Binary XML: WBXML 1.3 (W3C NOTE-wbxml-19990624, "WBXML 1.3" below) with
// the code pages of [MS-ASWBXML] section 2.1.2.1.
//
// ActiveSync uses a small subset of WBXML: a fixed header (version 1.3,
// public identifier 1, charset UTF-8, empty string table: 03 01 6A 00),
// tags from 26 code pages switched with SWITCH_PAGE, inline strings (STR_I)
// and opaque data (OPAQUE). No attributes, no LITERAL tags, no extensions
// ([MS-ASWBXML] section 2.1.2).
//
// The Decoder streams: it reads through a small buffer from the io.Reader
// and never holds the whole document, so a Sync response of many megabytes
// can be walked element by element, and a large body or attachment can be
// copied to an io.Writer with CopyText without being held in memory.
// Hostile input gets a *SyntaxError (or ErrNotWBXML), never a panic and
// never an allocation proportional to a length the input claims.
//
// The Encoder writes the same subset. Node is a small tree for tests, tools
// and debug output.
package wbxml

//go:generate go run ./internal/gentables
