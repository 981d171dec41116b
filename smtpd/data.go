package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"

	"github.com/emersion/go-smtp"
)

// Replies, RFC 5321 4.2 and the RFC 3463 enhanced codes.
var (
	replySent        = &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: sent"}
	replyQueued      = &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: queued in the Outbox, the server could not take it now; it will be sent later"}
	replyMalformed   = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message is not RFC 5322: a header block of Name: value lines must come first"}
	replyLineTooLong = &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Line too long (RFC 5321 4.5.3.1.6)"}
	replyTempFailed  = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot send or queue the message now, try again later"}
)

// maxHeader bounds the header block checked before sending.
const maxHeader = 1 << 20

// Data receives the message and hands it on; see the package comment for
// the replies.
func (s *session) Data(r io.Reader) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	f, err := s.srv.tempFile()
	if err != nil {
		s.srv.log.Error("smtpd: cannot keep a message", "err", err)
		return replyTempFailed
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se // 552 too large, from the library
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			return replyLineTooLong
		}
		s.srv.log.Error("smtpd: cannot keep a message", "err", err)
		return replyTempFailed
	}
	if err := checkHeader(f); err != nil {
		return replyMalformed
	}
	return s.srv.deliver(s.from, s.to, f)
}

// deliver tries the Sender, then the Spool.
func (srv *Server) deliver(from string, to []string, f *os.File) error {
	ctx, cancel := context.WithTimeout(context.Background(), srv.cfg.SendTimeout)
	defer cancel()
	rewind := func() io.Reader {
		f.Seek(0, io.SeekStart)
		return bufio.NewReaderSize(f, 64<<10)
	}
	err := srv.sender.Send(ctx, from, to, rewind())
	if err == nil {
		srv.log.Info("smtpd: message sent", "recipients", len(to))
		return replySent
	}
	if IsPermanent(err) {
		srv.log.Info("smtpd: message refused", "err", err)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Refused by the mail server: " + oneLine(err.Error())}
	}
	srv.log.Warn("smtpd: cannot send now", "err", err)
	if srv.spool == nil {
		return replyTempFailed
	}
	sctx, scancel := context.WithTimeout(context.Background(), srv.cfg.SendTimeout)
	defer scancel()
	if err := srv.spool.Spool(sctx, from, to, rewind()); err != nil {
		srv.log.Error("smtpd: cannot queue the message", "err", err)
		return replyTempFailed
	}
	srv.log.Info("smtpd: message queued in the outbox", "recipients", len(to))
	return replyQueued
}

// oneLine keeps an error text fit for one reply line.
func oneLine(s string) string {
	s = string(bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, []byte(s)))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// checkHeader reads the start of f: a header block of "Name: value"
// fields (RFC 5322 2.2) ending in a blank line (or the end of a
// header-only message).
func checkHeader(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(f, maxHeader)
	peek, err := br.Peek(maxHeader)
	whole := errors.Is(err, io.EOF)
	if err != nil && !whole && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	return validHeader(peek, whole)
}

var errMalformed = errors.New("smtpd: malformed header")

func validHeader(b []byte, whole bool) error {
	if len(b) == 0 {
		return errMalformed
	}
	first := true
	for len(b) > 0 {
		line, rest := b, []byte(nil)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, rest = b[:i], b[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) == 0:
			if first {
				return errMalformed
			}
			return nil
		case line[0] == ' ' || line[0] == '\t':
			if first {
				return errMalformed
			}
		default:
			i := bytes.IndexByte(line, ':')
			if i <= 0 {
				return errMalformed
			}
			for _, c := range line[:i] {
				if c <= ' ' || c > '~' {
					return errMalformed
				}
			}
		}
		first, b = false, rest
	}
	if !whole {
		return errMalformed
	}
	return nil
}
