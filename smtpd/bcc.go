package smtpd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
)

// AddBcc returns msg with a Bcc header naming the envelope recipients
// that its To, Cc and Bcc headers lack. Clients remove Bcc from the
// message and put those recipients only in RCPT TO; EAS SendMail takes
// the recipients from the MIME (MS-ASCMD 2.2.1.17, the server strips Bcc
// before delivery), so without this they would silently get nothing.
// Only the header is buffered.
func AddBcc(msg io.Reader, to []string) (io.Reader, error) {
	br := bufio.NewReaderSize(msg, 64<<10)
	var hdr bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		hdr.Write(line)
		if errors.Is(err, bufio.ErrBufferFull) {
			if hdr.Len() > maxHeader {
				return nil, errors.New("smtpd: header too long")
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("smtpd: reading header: %w", err)
		}
		if err != nil || len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(append(hdr.Bytes(), '\r', '\n')))
	if err != nil {
		return nil, fmt.Errorf("smtpd: parsing header: %w", err)
	}
	have := map[string]bool{}
	for _, k := range []string{"To", "Cc", "Bcc"} {
		for _, v := range m.Header[k] {
			list, _ := mail.ParseAddressList(v)
			for _, a := range list {
				have[strings.ToLower(a.Address)] = true
			}
		}
	}
	var missing []string
	for _, rcpt := range to {
		if !have[strings.ToLower(rcpt)] {
			have[strings.ToLower(rcpt)] = true
			missing = append(missing, rcpt)
		}
	}
	if len(missing) == 0 {
		return io.MultiReader(bytes.NewReader(hdr.Bytes()), br), nil
	}
	bcc := "Bcc: " + strings.Join(missing, ",\r\n ") + "\r\n"
	return io.MultiReader(strings.NewReader(bcc), bytes.NewReader(hdr.Bytes()), br), nil
}
