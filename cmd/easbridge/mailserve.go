package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/easbridge/easbridge/bridge"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/imapd"
	"github.com/easbridge/easbridge/maildir"
	"github.com/easbridge/easbridge/smtpd"
)

// listenOff in [imap] or [smtp] listen turns that server off.
const listenOff = "off"

// checkMailListen checks [table] listen: "off" or a loopback host:port,
// since both servers take a password without TLS.
func checkMailListen(table, listen string) error {
	if listen == listenOff {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("[%s] listen %q: want host:port or \"off\"", table, listen)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("[%s] listen %q is not a loopback address: the server takes a password without TLS", table, listen)
	}
	return nil
}

// mailServers are the loopback IMAP and SMTP servers of `easbridge run`:
// one listener each, the user name at login choosing the account.
type mailServers struct {
	imap *imapd.Group
	smtp *smtpd.Group
	subs []*maildir.Subscription
	// imapAddr and smtpAddr are the bound addresses ("" when not serving).
	imapAddr, smtpAddr string
}

// startMail starts IMAP and SMTP submission for accounts, each account's
// name and the local (DAV) password logging in. What IMAP clients change
// goes through the Maildir's user view (maildir.Store.AsUser): the
// watcher reports it to the engine exactly like a change made by mutt,
// never as the bridge's own echo. What the engine delivers reaches idling
// IMAP clients at once through a maildir.Subscription.
//
// A server whose address cannot be bound is logged and left out: mail
// still reaches the Maildir and DAV keeps working.
func startMail(ctx context.Context, cfg *config, accounts []*account, password string, log *slog.Logger) (*mailServers, error) {
	ms := &mailServers{}
	var imaps []*imapd.Server
	var smtps []*smtpd.Server
	for _, a := range accounts {
		user := a.mail.AsUser()
		if cfg.IMAP.Listen != listenOff {
			is, err := imapd.New(user, imapd.Config{Listen: cfg.IMAP.Listen, User: a.cfg.Name, Password: password, Logger: log})
			if err != nil {
				return nil, err
			}
			imaps = append(imaps, is)
			sub := a.mail.Subscribe()
			ms.subs = append(ms.subs, sub)
			go notifyLoop(ctx, sub, is)
		}
		if cfg.SMTP.Listen != listenOff {
			ss, err := smtpd.New(smtpd.Config{Listen: cfg.SMTP.Listen, User: a.cfg.Name, Password: password, Logger: log},
				easSender(a.engine), outboxSpool(user))
			if err != nil {
				return nil, err
			}
			smtps = append(smtps, ss)
		}
	}
	if len(imaps) > 0 {
		g, err := imapd.NewGroup(imaps...)
		if err != nil {
			return nil, err
		}
		if ln, err := net.Listen("tcp", cfg.IMAP.Listen); err != nil {
			log.Error("imap server not started", "err", err)
			g.Close()
		} else {
			ms.imap, ms.imapAddr = g, ln.Addr().String()
			go func() {
				if err := g.Serve(ln); err != nil {
					log.Error("imap server failed", "err", err)
				}
			}()
			log.Info("imap server listening", "addr", ln.Addr().String())
		}
	}
	if len(smtps) > 0 {
		g, err := smtpd.NewGroup(smtps...)
		if err != nil {
			return nil, err
		}
		if ln, err := net.Listen("tcp", cfg.SMTP.Listen); err != nil {
			log.Error("smtp server not started", "err", err)
		} else {
			ms.smtp, ms.smtpAddr = g, ln.Addr().String()
			go func() {
				if err := g.Serve(ln); err != nil {
					log.Error("smtp server failed", "err", err)
				}
			}()
			log.Info("smtp server listening", "addr", ln.Addr().String())
		}
	}
	return ms, nil
}

// close stops both servers and the subscriptions.
func (ms *mailServers) close() {
	if ms == nil {
		return
	}
	if ms.imap != nil {
		ms.imap.Close()
	}
	if ms.smtp != nil {
		ms.smtp.Close()
	}
	for _, s := range ms.subs {
		s.Close()
	}
	*ms = mailServers{}
}

// notifyLoop tells the IMAP server of every folder that changed in the
// Maildir (the engine's deliveries, other programs' changes), so an
// idling client hears of new mail at once.
func notifyLoop(ctx context.Context, sub *maildir.Subscription, is *imapd.Server) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.C():
			for _, f := range sub.Changed() {
				is.Notify(f)
			}
		}
	}
}

// easSender sends a submitted message through the account's engine
// (bridge.Engine.Send: EAS SendMail, saved in Sent by the server, not
// sent twice after an answer that was lost). Envelope recipients missing
// from the header go into Bcc (smtpd.AddBcc), since SendMail takes the
// recipients from the MIME.
func easSender(e *bridge.Engine) smtpd.Sender {
	return smtpd.SenderFunc(func(ctx context.Context, _ string, to []string, msg io.Reader) error {
		r, err := smtpd.AddBcc(msg, to)
		if err != nil {
			return smtpd.Permanent(err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("reading the submitted message: %w", err)
		}
		return sendError(e.Send(ctx, data))
	})
}

// sendError marks the server's refusal of a message (bridge.Refused) as
// permanent: the SMTP client gets 554 with the reason. Everything else
// (the server unreachable, busy, throttling, the credentials or device
// needing attention, an earlier try not yet settled) is temporary, and
// the message waits in the Outbox.
func sendError(err error) error {
	if err == nil || !bridge.Refused(err) {
		return err
	}
	var se *eas.StatusError
	if errors.As(err, &se) {
		if why := refusals[se.Status]; why != "" {
			err = fmt.Errorf("%s: %w", why, err)
		}
	}
	return smtpd.Permanent(err)
}

// refusals phrase the SendMail statuses of MS-ASCMD 2.2.2 for the user.
var refusals = map[int]string{
	107: "the server cannot parse the message's MIME",
	113: "the mailbox is over its quota",
	115: "the account's sending quota is exceeded",
	116: "a recipient could not be resolved",
	119: "the message has no recipient",
	120: "the server could not submit the message (refused by its mail system, e.g. too large or a recipient refused)",
	122: "an attachment is too large",
}

// outboxSpool keeps a message that cannot be sent now in the Maildir
// Outbox (with its Bcc), through the user view: the watcher reports it
// and the engine sends it when the server answers again.
func outboxSpool(user *maildir.Store) smtpd.Spool {
	return smtpd.SpoolFunc(func(ctx context.Context, _ string, to []string, msg io.Reader) error {
		r, err := smtpd.AddBcc(msg, to)
		if err != nil {
			return err
		}
		if _, err := user.Deliver(ctx, user.Outbox(), "", r, 0); err != nil {
			return fmt.Errorf("spooling to the outbox: %w", err)
		}
		return nil
	})
}
