package bridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
)

// Sending is at most once where the server lets the bridge know, and at
// least once otherwise. A SendMail whose answer is lost (the connection
// dropped after the request went out, a kill while waiting) leaves the
// bridge not knowing whether the message went; the ClientId lets a server
// recognise a second try (MS-ASCMD 2.2.3.28.1, status 118) but not every
// server keeps it. So before such a message is sent again, the engine
// looks for its Message-ID in the Sent folder, which SaveInSentItems puts
// every sent message in: found, it was sent; not found once the server
// has had sendSettle to file it, it is sent again.
//
// The attempt whose outcome is unknown is kept in the store (meta key
// metaSendUnsure + ClientId, value the time it began), written before
// the request goes out, so a kill during a send is covered too.

// sendSettle is how long after an unanswered SendMail the Sent folder is
// trusted to show the message if the server took it (servers file the
// copy while or right after they submit).
const sendSettle = 15 * time.Second

const (
	metaSendUnsure = "engine-send-unsure:" // + ClientId: RFC 3339 time the unanswered SendMail began
	metaSentFolder = "engine-sent-folder"  // ServerId of the server's Sent Items (FolderSync type 5)
)

// errSendUnsure says that a message may have been sent and was not found
// in the Sent folder only because that folder cannot be checked now.
var errSendUnsure = errors.New("bridge: an earlier try to send the message got no answer")

// Send sends a message by SendMail, saved in Sent Items, unless an earlier
// try whose answer was lost is known to have reached the server. A
// message without a Message-ID gets one made from its content, so every
// try carries the same and it can be found in Sent. It is safe to call
// from any goroutine; only the engine's own calls (the Maildir outbox)
// may sync the Sent folder to settle an earlier unanswered try: other
// callers get errSendUnsure then, and should leave the message in the
// outbox.
func (e *Engine) Send(ctx context.Context, data []byte) error {
	return e.send(ctx, data, false)
}

func (e *Engine) send(ctx context.Context, data []byte, engine bool) error {
	data, mid := withMessageID(data)
	cid := OutboxClientID(data)
	key := metaSendUnsure + cid
	began, err := e.st.Meta(ctx, key)
	if err != nil {
		return err
	}
	if began != "" {
		if !engine {
			return errSendUnsure
		}
		sent, err := e.settleUnsure(ctx, began, mid)
		if err != nil {
			return err
		}
		if sent {
			e.log.Info("an earlier try to send the message had reached the server (found in Sent)", "message_id", mid)
			return e.st.SetMeta(ctx, key, "")
		}
		e.log.Warn("an earlier try to send the message got no answer and the message is not in Sent: sending it again", "message_id", mid)
	}
	if err := e.st.SetMeta(ctx, key, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	err = e.c.SendMail(ctx, &eas.Message{MIME: data, SaveInSentItems: true, ClientID: cid})
	if err == nil || sentBefore(err) {
		return e.st.SetMeta(ctx, key, "")
	}
	if answered(err) {
		// The server answered: it did not take the message.
		if cerr := e.st.SetMeta(ctx, key, ""); cerr != nil {
			return errors.Join(err, cerr)
		}
	}
	return err
}

// settleUnsure decides whether the unanswered try that began at began
// (RFC 3339) sent the message with Message-ID mid: it waits until the
// server has had sendSettle since the try (or since this process started:
// a try cut short by a kill ended before that), brings the Sent folder up
// to date and looks for the message there.
func (e *Engine) settleUnsure(ctx context.Context, began, mid string) (bool, error) {
	at, err := time.Parse(time.RFC3339Nano, began)
	if err != nil {
		at = time.Now()
	}
	if e.started.After(at) {
		at = e.started
	}
	ready := at.Add(e.hooks.sendSettle)
	if d := time.Until(ready); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
	colls, err := e.sentCollections(ctx)
	if err != nil {
		return false, err
	}
	for _, c := range colls {
		if err := e.pull(ctx, c); err != nil {
			return false, fmt.Errorf("bridge: checking Sent for an unanswered send: %w", err)
		}
		if _, err := e.st.ItemByMessageID(ctx, c.ID, mid); err == nil {
			return true, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	if len(colls) == 0 {
		e.log.Warn("the Sent folder is not mirrored, so an unanswered send cannot be checked", "message_id", mid)
	}
	return false, nil
}

// sentCollections is the mirrored Sent folder, or, when the state predates
// recording it, every mirrored mail folder; none when Sent is not mirrored.
func (e *Engine) sentCollections(ctx context.Context) ([]store.Collection, error) {
	id, err := e.st.Meta(ctx, metaSentFolder)
	if err != nil {
		return nil, err
	}
	if id != "" {
		c, err := e.st.CollectionByServerID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []store.Collection{c}, nil
	}
	all, err := e.st.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Collection
	for _, c := range all {
		if c.Kind == store.KindMail && c.ServerID != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// pull brings one collection up to date from the server, sending nothing.
func (e *Engine) pull(ctx context.Context, c store.Collection) error {
	resets := map[int64]int{}
	for range maxRounds {
		more, err := e.syncBatch(ctx, []store.Collection{c}, resets, false)
		if err != nil || !more {
			return err
		}
		if c, err = e.st.CollectionByServerID(ctx, c.ServerID); err != nil {
			return err
		}
	}
	return errors.New("bridge: the server keeps reporting more changes")
}

// sentBefore says whether the server refused a send because it already
// sent a message with this ClientId (MS-ASCMD 2.2.2: 118
// MessagePreviouslySent): the earlier try went through.
func sentBefore(err error) bool {
	var se *eas.StatusError
	return errors.As(err, &se) && se.Status == 118
}

// answered says whether a failed request got the server's answer (an
// EAS status, throttling, an HTTP error status), so the server did not
// act on it; otherwise (the connection lost, no or a cut answer) it may
// have.
func answered(err error) bool {
	var se *eas.StatusError
	var te *eas.ThrottledError
	var he *eas.HTTPError
	return errors.As(err, &se) || errors.As(err, &te) || (errors.As(err, &he) && he.StatusCode >= 400)
}

// Refused says whether a send failed because the server refused the
// message itself (an EAS status about the message, an HTTP client error
// other than credentials, throttling or provisioning): trying the same
// message again cannot help. Anything else (the server unreachable or
// busy, credentials, a lost answer) may pass.
func Refused(err error) bool {
	var se *eas.StatusError
	if errors.As(err, &se) {
		return se.Err == nil && se.Status != 110 && se.Status != 114 // ServerError, MailboxServerOffline
	}
	var he *eas.HTTPError
	return errors.As(err, &he) && he.Err == nil && he.StatusCode >= 400 && he.StatusCode < 500 &&
		he.StatusCode != 429 && he.StatusCode != 449
}

// withMessageID returns the message with a Message-ID header (RFC 5322
// 3.6.4), adding one made from its content when it has none, as a
// submission server may (RFC 6409 8.3), and that Message-ID.
func withMessageID(data []byte) ([]byte, string) {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if lf := bytes.Index(data, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end) {
		end = lf
	}
	head := data
	if end >= 0 {
		head = data[:end+2]
	}
	if mid := headerMessageID(head); mid != "" {
		return data, mid
	}
	sum := sha256.Sum256(data)
	domain := "easbridge.localhost"
	if m, err := mail.ReadMessage(bytes.NewReader(append(head[:len(head):len(head)], "\r\n"...))); err == nil {
		if from, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
			if at := strings.LastIndexByte(from.Address, '@'); at >= 0 && at < len(from.Address)-1 {
				domain = from.Address[at+1:]
			}
		}
	}
	mid := "<" + hex.EncodeToString(sum[:12]) + "@" + domain + ">"
	nl := "\r\n"
	if i := bytes.IndexByte(data, '\n'); i >= 0 && (i == 0 || data[i-1] != '\r') {
		nl = "\n"
	}
	return append([]byte("Message-ID: "+mid+nl), data...), mid
}
